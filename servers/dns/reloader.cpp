#include "servers/dns/reloader.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <system_error>

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>

#include "core/log.hpp"
#include "servers/dns/catalog.hpp"
#include "servers/dns/log_quote.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/config.hpp"

namespace robur::dns {

namespace {

// The message for errno; std::strerror is not thread-safe.
std::string last_system_error()
{
    return std::error_code(errno, std::system_category()).message();
}

// Reads and discards whatever a non-blocking descriptor has ready.
void drain(int fd)
{
    std::array<char, 4096> buffer{};
    while (::read(fd, buffer.data(), buffer.size()) > 0) {
    }
}

} // namespace

Reloader::Reloader(store::Repository repository, ReloaderOptions options, Published<ZoneSet>& zones)
    : repository_(std::move(repository)), options_(std::move(options)), zones_(zones),
      loader_(repository_.workdir()), logger_(log::get("dns"))
{
}

Reloader::~Reloader()
{
    stop();
}

Result<LoadSummary> Reloader::load()
{
    if (options_.branch.empty()) {
        auto head = repository_.head_branch();
        if (!head) {
            return tl::unexpected(head.error());
        }
        branch_ = *head;
    } else {
        branch_ = store::full_branch_name(options_.branch);
    }

    auto head = repository_.branch_head(branch_);
    if (!head) {
        return tl::unexpected(head.error());
    }
    if (!*head) {
        return make_error(Errc::not_found,
                          fmt::format("branch {} not found or without commits", branch_));
    }
    auto snapshot = repository_.snapshot((*head)->to_string());
    if (!snapshot) {
        return tl::unexpected(snapshot.error());
    }
    if (!snapshot->exists(zones_folder)) {
        // The flat layout of dns-primary-git keeps the zone files at the root instead.
        auto flat = list_zone_files(*snapshot);
        if (!flat || flat->files.empty()) {
            return make_error(Errc::not_found,
                              fmt::format("branch {} has no {}/ folder and no zone files at its "
                                          "root at commit {}",
                                          branch_, zones_folder, (*head)->short_string()));
        }
    }

    auto summary = loader_.load(*snapshot);
    if (!summary) {
        return summary;
    }
    publish(*snapshot, *summary);
    commit_ = **head;
    snapshot_ = *snapshot;
    if (options_.on_load) {
        options_.on_load(*snapshot, *summary);
    }
    return summary;
}

void Reloader::start()
{
    wakeup_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    watcher_ = store::BranchWatcher(repository_.git_dir(), branch_);
    if (watcher_.fd() < 0) {
        logger_->info("inotify unavailable, polling the branch only interval_ms={} error={}",
                      options_.poll_interval.count(), log_quote(watcher_.error()));
    }
    {
        const std::lock_guard lock(checks_mutex_);
        running_ = true;
    }
    thread_ = std::thread([this] { run(); });
}

void Reloader::request_reload()
{
    reload_requested_ = true;
    wake();
}

std::uint64_t Reloader::request_check()
{
    const auto ticket = checks_requested_.fetch_add(1) + 1;
    wake();
    return ticket;
}

bool Reloader::wait_for_check(std::uint64_t ticket, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(checks_mutex_);
    return checks_done_.wait_for(lock, timeout,
                                 [&] { return !running_ || checks_completed_ >= ticket; }) &&
           checks_completed_ >= ticket;
}

void Reloader::wake()
{
    if (wakeup_.valid()) {
        const std::uint64_t increment = 1;
        [[maybe_unused]] const auto written = ::write(wakeup_.get(), &increment, sizeof increment);
    }
}

void Reloader::stop()
{
    stop_requested_ = true;
    wake();
    if (thread_.joinable()) {
        thread_.join();
    }
    {
        const std::lock_guard lock(checks_mutex_);
        running_ = false;
    }
    checks_done_.notify_all();
}

void Reloader::run()
{
    logger_->info("watching branch branch={} interval_ms={} inotify={}", branch_,
                  options_.poll_interval.count(), watcher_.fd() >= 0);
    while (!stop_requested_) {
        wait_for_change();
        if (stop_requested_) {
            break;
        }
        // Requests that arrive during the check get another one, because the check may have
        // read the branch before they were made.
        const auto ticket = checks_requested_.load();
        check(reload_requested_.exchange(false));
        resign_due_zones();
        {
            const std::lock_guard lock(checks_mutex_);
            checks_completed_ = ticket;
        }
        checks_done_.notify_all();
    }
}

void Reloader::wait_for_change()
{
    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    if (wakeup_.valid()) {
        fds[count++] = pollfd{wakeup_.get(), POLLIN, 0};
    }
    if (watcher_.fd() >= 0) {
        fds[count++] = pollfd{watcher_.fd(), POLLIN, 0};
    }

    const int ready = ::poll(fds.data(), count, static_cast<int>(wait_timeout().count()));
    if (ready < 0 && errno != EINTR) {
        logger_->warn("waiting for branch changes failed error={}", log_quote(last_system_error()));
    }
    for (nfds_t i = 0; i < count; ++i) {
        if ((fds[i].revents & POLLIN) != 0) {
            drain(fds[i].fd);
        }
    }
}

void Reloader::check(bool full)
{
    auto head = repository_.branch_head(branch_);
    if (!head) {
        log_failure(fmt::format("reading branch {} failed: {}", branch_, head.error().message));
        return;
    }
    if (!*head) {
        log_failure(fmt::format("branch {} not found", branch_));
        return;
    }
    if (!full && commit_ == **head) {
        return;
    }

    auto snapshot = repository_.snapshot((*head)->to_string());
    if (!snapshot) {
        log_failure(fmt::format("reading commit {} failed: {}", (*head)->short_string(),
                                snapshot.error().message));
        return;
    }
    auto summary = loader_.load(*snapshot, full);
    if (!summary) {
        log_failure(fmt::format("loading commit {} failed: {}", (*head)->short_string(),
                                summary.error().message));
        return;
    }

    publish(*snapshot, *summary);
    commit_ = **head;
    snapshot_ = *snapshot;
    last_failure_.clear();
    logger_->info("zones reloaded commit={} changed={} rejected={} zones={} serial={}",
                  commit_->short_string(), summary->changed, summary->rejected, summary->zone_count,
                  format_serials(*summary));
    if (options_.on_load) {
        options_.on_load(*snapshot, *summary);
    }
}

// The poll interval, or less when an online zone must be signed again before it ends.
std::chrono::milliseconds Reloader::wait_timeout() const
{
    const auto resign_at = loader_.next_resign();
    if (!resign_at) {
        return options_.poll_interval;
    }
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    // The margin makes the wake-up land after the second turns, as the loader's clock counts it.
    constexpr std::chrono::milliseconds margin{10};
    const auto until = std::chrono::milliseconds{*resign_at * 1000} - now + margin;
    return std::clamp(until, std::chrono::milliseconds{0}, options_.poll_interval);
}

// Signs the online zones whose time has come and publishes the result as a load of the commit
// served, so that NOTIFY goes out for their raised serials.
void Reloader::resign_due_zones()
{
    if (!snapshot_) {
        return;
    }
    auto summary = loader_.resign();
    if (!summary) {
        return;
    }
    summary->commit = snapshot_->commit_id();
    publish(*snapshot_, *summary);
    logger_->info("zones signed again without a commit commit={} changed={} zones={} serial={}",
                  commit_->short_string(), summary->changed, summary->zone_count,
                  format_serials(*summary));
    if (options_.on_load) {
        options_.on_load(*snapshot_, *summary);
    }
}

// Publishes the loaded zones, with the catalog zone when robur.conf names one.
void Reloader::publish(const store::Snapshot& snapshot, LoadSummary& summary)
{
    auto zones = loader_.zone_set();
    auto catalog = catalog_zone(snapshot, *zones);
    if (catalog) {
        auto with_catalog = zones->zones();
        with_catalog.push_back(catalog);
        zones = std::make_shared<const ZoneSet>(std::move(with_catalog));
        summary.serials.emplace_back(catalog->origin().to_string(), catalog->serial());
        ++summary.zone_count;
    }
    zones_.publish(std::move(zones));
}

std::shared_ptr<const CompiledZone> Reloader::catalog_zone(const store::Snapshot& snapshot,
                                                           const ZoneSet& zones)
{
    auto config = store::Config::load(snapshot);
    if (!config) {
        return nullptr;
    }
    auto setting = config->get_string("dns.catalog");
    if (!setting || !*setting) {
        return nullptr;
    }
    auto text = **setting;
    if (!text.ends_with('.')) {
        text += '.';
    }
    auto name = zone::Name::parse(text);
    if (!name) {
        logger_->error("catalog not published error={}",
                       log_quote(fmt::format("{}: dns.catalog: {}", config->path(),
                                             name.error().message)));
        return nullptr;
    }
    std::vector<zone::Name> members;
    for (const auto& zone : zones.zones()) {
        if (zone->origin() == *name) {
            logger_->warn("catalog not published, a zone file has its name catalog={}",
                          name->to_string());
            return nullptr;
        }
        members.push_back(zone->origin());
    }
    const auto serial =
        catalog_serial_.next(members, static_cast<std::uint64_t>(std::time(nullptr)));
    auto built = build_catalog_zone(*name, members, serial);
    auto compiled = built ? compile_zone(*built) : tl::unexpected(built.error());
    if (!compiled) {
        logger_->error("catalog not published catalog={} error={}", name->to_string(),
                       log_quote(compiled.error().message));
        return nullptr;
    }
    return *compiled;
}

void Reloader::log_failure(std::string message)
{
    if (message == last_failure_) {
        return;
    }
    logger_->error("zone reload failed, keeping current zones error={}", log_quote(message));
    last_failure_ = std::move(message);
}

} // namespace robur::dns
