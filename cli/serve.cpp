#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/signal_wait.hpp"
#include "core/log.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/primary.hpp"
#include "servers/dns/published.hpp"
#include "servers/dns/reloader.hpp"
#include "servers/dns/responder_handler.hpp"
#include "servers/dns/server.hpp"
#include "store/config.hpp"
#include "store/repository.hpp"

namespace robur::cli {

namespace {

// Listen address when neither --listen nor robur.conf names one: loopback only, so that a
// server started for a try is not reachable from the network.
constexpr std::string_view default_listen = "127.0.0.1:53";
constexpr unsigned default_poll_interval_ms = 1000;
constexpr unsigned default_tcp_idle_timeout_s = 10;

struct ServeDnsOptions {
    std::vector<std::string> listen;
    std::string ref;
    unsigned threads = 0;            // 0: robur.conf dns.threads, else one per core
    unsigned poll_interval_ms = 0;   // 0: robur.conf dns.poll-interval, else the default
    unsigned tcp_idle_timeout_s = 0; // 0: robur.conf dns.tcp-idle-timeout, else the default
};

// Reads robur.conf from the commit being served. A commit without one has no settings.
Result<std::optional<store::Config>> load_config(const store::Repository& repository,
                                                 const std::string& ref)
{
    auto snapshot = repository.snapshot(ref);
    if (!snapshot) {
        // The reloader reports a branch without commits with a clearer message.
        return std::optional<store::Config>{};
    }
    auto config = store::Config::load(*snapshot);
    if (!config) {
        if (config.error().code == Errc::not_found) {
            return std::optional<store::Config>{};
        }
        return tl::unexpected(config.error());
    }
    return std::optional<store::Config>{std::move(*config)};
}

// Returns a positive number from the command line, else from robur.conf, else the default.
Result<unsigned> setting(unsigned given, const std::optional<store::Config>& config,
                         std::string_view key, unsigned fallback, std::int64_t max)
{
    if (given != 0) {
        return given;
    }
    if (!config) {
        return fallback;
    }
    auto value = config->get_int(key);
    if (!value) {
        return tl::unexpected(value.error());
    }
    if (!*value) {
        return fallback;
    }
    if (**value < 1 || **value > max) {
        return make_error(Errc::invalid_argument, fmt::format("{}: {} must be from 1 to {}, not {}",
                                                              config->path(), key, max, **value));
    }
    return static_cast<unsigned>(**value);
}

Result<std::vector<dns::ListenAddress>> listen_addresses(const ServeDnsOptions& options,
                                                         const std::optional<store::Config>& config)
{
    std::vector<std::string> texts = options.listen;
    std::string source = "--listen";
    if (texts.empty() && config) {
        auto configured = config->get_all("dns.listen");
        if (!configured) {
            return tl::unexpected(configured.error());
        }
        texts = std::move(*configured);
        source = fmt::format("{}: dns.listen", config->path());
    }
    if (texts.empty()) {
        texts.emplace_back(default_listen);
    }

    std::vector<dns::ListenAddress> addresses;
    for (const auto& text : texts) {
        auto address = dns::parse_listen_address(text);
        if (!address) {
            return make_error(address.error().code,
                              fmt::format("{}: {}", source, address.error().message));
        }
        addresses.push_back(*address);
    }
    return addresses;
}

std::string join_addresses(const std::vector<dns::ListenAddress>& addresses)
{
    std::string text;
    for (const auto& address : addresses) {
        text += (text.empty() ? "" : ",") + address.to_string();
    }
    return text;
}

Result<dns::ServerOptions> server_options(const ServeDnsOptions& options,
                                          const std::optional<store::Config>& config)
{
    dns::ServerOptions server;
    auto listen = listen_addresses(options, config);
    if (!listen) {
        return tl::unexpected(listen.error());
    }
    server.listen = std::move(*listen);

    const auto threads = setting(options.threads, config, "dns.threads", 0, 1024);
    const auto timeout = setting(options.tcp_idle_timeout_s, config, "dns.tcp-idle-timeout",
                                 default_tcp_idle_timeout_s, 3600);
    if (!threads || !timeout) {
        return tl::unexpected(!threads ? threads.error() : timeout.error());
    }
    server.threads = *threads;
    server.tcp.timeout = std::chrono::seconds(*timeout);
    return server;
}

int serve_dns(const Context& context, const ServeDnsOptions& options)
{
    log::configure(context.verbosity >= 2   ? spdlog::level::trace
                   : context.verbosity == 1 ? spdlog::level::debug
                                            : spdlog::level::info);
    auto logger = log::get("dns");

    // Blocked first, so that a signal during start-up waits for the server instead of ending
    // the process with the default action, and so that no server thread receives one.
    auto signals = StopSignals::block(Hangup::handled);
    if (!signals) {
        return report(signals.error());
    }

    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto config = load_config(*repository, options.ref);
    if (!config) {
        return report(config.error());
    }
    auto server_settings = server_options(options, *config);
    auto poll_interval = setting(options.poll_interval_ms, *config, "dns.poll-interval",
                                 default_poll_interval_ms, 3600000);
    if (!server_settings || !poll_interval) {
        return report(!server_settings ? server_settings.error() : poll_interval.error());
    }

    auto primary_repository = store::Repository::open(repository->git_dir());
    auto history_repository = store::Repository::open(repository->git_dir());
    auto branch = options.ref.empty() ? repository->head_branch()
                                      : Result<std::string>(store::full_branch_name(options.ref));
    if (!primary_repository || !history_repository || !branch) {
        return report(!primary_repository   ? primary_repository.error()
                      : !history_repository ? history_repository.error()
                                            : branch.error());
    }

    dns::Published<dns::ZoneSet> zones;
    dns::PrimaryOptions primary_options;
    primary_options.branch = *branch;
    primary_options.own_addresses = server_settings->listen;
    if (*config) {
        auto remote = (*config)->get_string("dns.push-remote");
        if (!remote) {
            return report(remote.error());
        }
        primary_options.push_remote = *remote;
    }
    // Held by pointer, so that it can go before the server: requests it still queues hold
    // response streams that post to the server's worker threads when they are destroyed.
    auto primary = std::make_unique<dns::Primary>(zones, std::move(*primary_repository),
                                                  std::move(*history_repository),
                                                  std::move(primary_options));
    dns::Reloader reloader(std::move(*repository),
                           {.branch = *branch,
                            .poll_interval = std::chrono::milliseconds(*poll_interval),
                            .on_load =
                                [primary = primary.get()](const store::Snapshot& snapshot,
                                           const dns::LoadSummary& summary) {
                                    primary->loaded(snapshot, summary);
                                }},
                           zones);
    primary->set_reloader(reloader);
    // Started first, so that the first load already sends NOTIFY to the secondaries.
    primary->start();
    auto loaded = reloader.load();
    if (!loaded) {
        return report(loaded.error());
    }

    auto server = dns::Server::start(*server_settings, [&zones, &primary] {
        return std::make_unique<dns::ResponderHandler>(zones, primary.get());
    });
    if (!server) {
        return report(server.error());
    }
    logger->info("dns server started listen={} threads={} branch={} commit={} zones={} serial={}",
                 join_addresses((*server)->listen_addresses()), (*server)->thread_count(),
                 reloader.branch(), loaded->commit.short_string(), loaded->zone_count,
                 dns::format_serials(*loaded));

    reloader.start();
    // SIGHUP makes the reloader re-read every zone.
    const int stop_signal = signals->wait([&] {
        logger->info("reload requested signal=SIGHUP");
        reloader.request_reload();
    });
    logger->info("dns server stopping signal={}", signal_name(stop_signal));
    (*server)->stop();
    reloader.stop();
    primary->stop();
    primary.reset();
    logger->info("dns server stopped");
    return exit_ok;
}

} // namespace

void add_serve_commands(CLI::App& app, Context& context)
{
    auto* serve = app.add_subcommand("serve", "Run a server for the data of the repository");
    serve->require_subcommand(1);

    auto options = std::make_shared<ServeDnsOptions>();
    auto* dns = serve->add_subcommand(
        "dns", "Answer DNS queries for the zones of a branch, reloading them when it moves");
    dns->add_option("--listen", options->listen,
                    "Address to answer on over UDP and TCP, such as 127.0.0.1:5300 or "
                    "[::1]:5300; repeatable (default: robur.conf dns.listen, else 127.0.0.1:53)")
        ->type_name("ADDR:PORT")
        ->allow_extra_args(false);
    dns->add_option("--ref", options->ref, "Branch to serve (default: the branch HEAD names)")
        ->type_name("BRANCH");
    dns->add_option("--threads", options->threads,
                    "Worker threads (default: robur.conf dns.threads, else one per CPU core)")
        ->check(CLI::Range(1, 1024));
    dns->add_option("--poll-interval", options->poll_interval_ms,
                    "Milliseconds between reads of the branch when no change event arrives "
                    "(default: 1000)")
        ->type_name("MS")
        ->check(CLI::Range(10, 3600000));
    dns->add_option("--tcp-idle-timeout", options->tcp_idle_timeout_s,
                    "Seconds a TCP connection may stay idle, take to send one query or wait "
                    "for one response to be written before it is closed (default: 10)")
        ->type_name("S")
        ->check(CLI::Range(1, 3600));

    dns->callback([&context, options] {
        for (const auto& text : options->listen) {
            if (auto address = dns::parse_listen_address(text); !address) {
                throw CLI::ValidationError("--listen", address.error().message);
            }
        }
        context.exit_code = serve_dns(context, *options);
    });

    add_serve_vpn_command(*serve, context);
    add_serve_caldav_command(*serve, context);
}

} // namespace robur::cli
