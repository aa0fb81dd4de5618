#include "servers/vpn/supervisor.hpp"

#include <algorithm>
#include <array>
#include <csignal>

#include <fmt/format.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/log.hpp"
#include "servers/dns/log_quote.hpp"
#include "servers/vpn/vpn_check.hpp"

namespace robur::vpn {

namespace {

using Clock = std::chrono::steady_clock;
using dns::log_quote;

// Without a pidfd the loop looks at the child this often.
constexpr std::chrono::milliseconds exit_poll_interval{200};

std::string top_level_argument(const openvpn::Config& config, std::string_view name)
{
    const auto* directive = config.find(name);
    if (directive == nullptr || directive->args.empty()) {
        return {};
    }
    return directive->args.front();
}

} // namespace

Supervisor::Supervisor(store::Repository repository, SupervisorOptions options)
    : repository_(std::move(repository)), options_(std::move(options)),
      watcher_(repository_.git_dir(), options_.branch),
      restart_delay_(options_.restart_delay_min), logger_(log::get("vpn"))
{
}

Supervisor::~Supervisor()
{
    stop();
}

Result<void> Supervisor::start(std::vector<Diagnostic>& diagnostics)
{
    auto head = repository_.branch_head(options_.branch);
    if (!head) {
        return tl::unexpected(head.error());
    }
    if (!*head) {
        return make_error(Errc::not_found, fmt::format("branch {} not found or without commits",
                                                       options_.branch));
    }
    auto prepared = prepare(**head, diagnostics);
    if (!prepared) {
        return tl::unexpected(prepared.error());
    }
    commit_ = **head;
    if (auto launched = install_and_launch(*prepared); !launched) {
        return launched;
    }
    next_poll_ = Clock::now() + options_.poll_interval;
    return {};
}

Result<Supervisor::Prepared> Supervisor::prepare(const store::ObjectId& commit,
                                                 std::vector<Diagnostic>& diagnostics)
{
    auto snapshot = repository_.snapshot(commit.to_string());
    if (!snapshot) {
        return tl::unexpected(snapshot.error());
    }
    auto checked = check_vpn(*snapshot, options_.name, 0);
    if (!checked) {
        return tl::unexpected(checked.error());
    }
    diagnostics.insert(diagnostics.end(), checked->begin(), checked->end());
    if (has_errors(*checked)) {
        return make_error(Errc::validation_failed,
                          fmt::format("{}/ of commit {} is invalid", vpn_folder(options_.name),
                                      commit.short_string()));
    }

    auto parsed = parse_vpn_file(*snapshot, options_.name, "server.conf");
    if (!parsed) {
        return tl::unexpected(parsed.error());
    }
    auto served = make_served_config(parsed->config, options_.overrides);
    if (!served) {
        return tl::unexpected(served.error());
    }
    for (const auto& change : served->changes) {
        logger_->info("served config changed vpn={} change={}", options_.name,
                      log_quote(change));
    }
    auto owner = resolve_owner(top_level_argument(parsed->config, "user"),
                               top_level_argument(parsed->config, "group"));
    if (!owner) {
        return tl::unexpected(owner.error());
    }

    std::vector<std::string> skipped;
    auto folder = prepare_runtime_folder(*snapshot, options_.name, served->text,
                                         options_.runtime_folder, *owner, skipped);
    if (!folder) {
        return tl::unexpected(folder.error());
    }
    for (const auto& path : skipped) {
        logger_->warn("symlink not copied to the runtime folder path={}", path);
    }
    return Prepared{commit, std::move(*folder)};
}

Result<void> Supervisor::install_and_launch(const Prepared& prepared)
{
    if (auto installed = install_runtime_folder(prepared.folder, options_.runtime_folder);
        !installed) {
        return installed;
    }
    installed_ = true;
    return launch();
}

Result<void> Supervisor::launch()
{
    const std::vector<std::string> argv{options_.openvpn,
                                        "--cd",
                                        options_.runtime_folder.string(),
                                        "--config",
                                        std::string(served_config_name),
                                        "--suppress-timestamps"};
    auto child = ChildProcess::spawn(
        argv, [logger = logger_, name = options_.name](std::string_view line) {
            logger->info("openvpn output vpn={} line={}", name, log_quote(line));
        });
    if (!child) {
        if (child.error().code == Errc::not_found) {
            return make_error(Errc::not_found,
                              fmt::format("openvpn program {} not found; install openvpn or "
                                          "pass --openvpn PATH",
                                          options_.openvpn));
        }
        return tl::unexpected(child.error());
    }
    child_ = std::move(*child);
    started_at_ = Clock::now();
    restart_at_.reset();
    logger_->info("openvpn started vpn={} pid={} commit={} folder={}", options_.name,
                  child_->pid(), commit_ ? commit_->short_string() : "-",
                  options_.runtime_folder.string());
    return {};
}

void Supervisor::run(int stop_fd)
{
    logger_->info("watching branch vpn={} branch={} interval_ms={} inotify={}", options_.name,
                  options_.branch, options_.poll_interval.count(), watcher_.fd() >= 0);
    while (!stopped_) {
        std::array<pollfd, 4> fds{{{stop_fd, POLLIN, 0},
                                   {watcher_.fd(), POLLIN, 0},
                                   {child_ ? child_->output_fd() : -1, POLLIN, 0},
                                   {child_ ? child_->exit_fd() : -1, POLLIN, 0}}};
        ::poll(fds.data(), fds.size(), poll_timeout_ms());

        if ((fds[0].revents & POLLIN) != 0) {
            signalfd_siginfo signal{};
            const auto count = ::read(stop_fd, &signal, sizeof signal);
            if (count == static_cast<ssize_t>(sizeof signal) && signal.ssi_signo == SIGHUP) {
                logger_->info("restart requested vpn={} signal=SIGHUP", options_.name);
                restart();
                continue;
            }
            logger_->info("vpn server stopping vpn={}", options_.name);
            break;
        }
        if (child_) {
            child_->relay_output();
            if (auto status = child_->try_wait()) {
                on_exit(*status);
            }
        }
        const auto now = Clock::now();
        if ((fds[1].revents & POLLIN) != 0 || now >= next_poll_) {
            watcher_.drain();
            next_poll_ = now + options_.poll_interval;
            check_branch();
        }
        if (!child_ && restart_at_ && Clock::now() >= *restart_at_) {
            restart();
        }
    }
    stop();
}

int Supervisor::poll_timeout_ms() const
{
    auto deadline = next_poll_;
    if (!child_ && restart_at_) {
        deadline = std::min(deadline, *restart_at_);
    }
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (child_ && child_->exit_fd() < 0) {
        timeout = std::min(timeout, exit_poll_interval);
    }
    return static_cast<int>(std::max<std::int64_t>(timeout.count(), 0) + 1);
}

void Supervisor::on_exit(int status)
{
    const auto ran_for = Clock::now() - started_at_;
    if (ran_for >= options_.healthy_after) {
        restart_delay_ = options_.restart_delay_min;
    }
    logger_->warn("openvpn exited vpn={} pid={} status={} restart_in_ms={}", options_.name,
                  child_->pid(), log_quote(describe_exit_status(status)),
                  restart_delay_.count());
    child_.reset();
    restart_at_ = Clock::now() + restart_delay_;
    restart_delay_ = std::min(restart_delay_ * 2, options_.restart_delay_max);
}

void Supervisor::restart()
{
    if (child_) {
        const auto status = child_->terminate(options_.stop_timeout);
        logger_->info("openvpn stopped vpn={} status={}", options_.name,
                      log_quote(describe_exit_status(status)));
        child_.reset();
    }
    if (auto launched = launch(); !launched) {
        logger_->error("openvpn start failed vpn={} error={} restart_in_ms={}", options_.name,
                       log_quote(launched.error().to_string()), restart_delay_.count());
        restart_at_ = Clock::now() + restart_delay_;
        restart_delay_ = std::min(restart_delay_ * 2, options_.restart_delay_max);
    }
}

void Supervisor::log_failure_once(const std::string& message)
{
    if (message != last_failure_) {
        logger_->error("branch check failed vpn={} branch={} error={}", options_.name,
                       options_.branch, log_quote(message));
        last_failure_ = message;
    }
}

void Supervisor::check_branch()
{
    auto head = repository_.branch_head(options_.branch);
    if (!head) {
        log_failure_once(head.error().to_string());
        return;
    }
    if (!*head) {
        log_failure_once("the branch no longer exists; openvpn keeps the last commit");
        return;
    }
    last_failure_.clear();
    if (**head == commit_ || **head == rejected_) {
        return;
    }
    apply(**head);
}

void Supervisor::apply(const store::ObjectId& head)
{
    if (commit_) {
        auto changed = repository_.changed_files(*commit_, head, vpn_folder(options_.name));
        if (changed && changed->empty()) {
            logger_->debug("commit leaves the VPN unchanged vpn={} commit={}", options_.name,
                           head.short_string());
            commit_ = head;
            return;
        }
    }

    std::vector<Diagnostic> diagnostics;
    auto prepared = prepare(head, diagnostics);
    if (!prepared) {
        for (const auto& diagnostic : diagnostics) {
            logger_->error("invalid config vpn={} commit={} diagnostic={}", options_.name,
                           head.short_string(), log_quote(diagnostic.to_string()));
        }
        logger_->error("commit rejected, openvpn keeps the previous config vpn={} commit={} "
                       "running={} error={}",
                       options_.name, head.short_string(),
                       commit_ ? commit_->short_string() : "-",
                       log_quote(prepared.error().to_string()));
        rejected_ = head;
        return;
    }
    for (const auto& diagnostic : diagnostics) {
        logger_->warn("config warning vpn={} commit={} diagnostic={}", options_.name,
                      head.short_string(), log_quote(diagnostic.to_string()));
    }

    logger_->info("applying commit vpn={} commit={} previous={}", options_.name,
                  head.short_string(), commit_ ? commit_->short_string() : "-");
    if (child_) {
        const auto status = child_->terminate(options_.stop_timeout);
        logger_->info("openvpn stopped for reload vpn={} status={}", options_.name,
                      log_quote(describe_exit_status(status)));
        child_.reset();
    }
    commit_ = head;
    rejected_.reset();
    restart_delay_ = options_.restart_delay_min;
    if (auto launched = install_and_launch(*prepared); !launched) {
        logger_->error("openvpn start failed vpn={} error={} restart_in_ms={}", options_.name,
                       log_quote(launched.error().to_string()), restart_delay_.count());
        restart_at_ = Clock::now() + restart_delay_;
    }
}

void Supervisor::stop()
{
    if (stopped_ || !installed_) {
        stopped_ = true;
        return;
    }
    stopped_ = true;
    if (child_) {
        const auto status = child_->terminate(options_.stop_timeout);
        logger_->info("openvpn stopped vpn={} status={}", options_.name,
                      log_quote(describe_exit_status(status)));
        child_.reset();
    }
    remove_runtime_folder(options_.runtime_folder);
    logger_->info("vpn server stopped vpn={}", options_.name);
}

} // namespace robur::vpn
