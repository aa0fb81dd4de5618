#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "servers/dns/catalog.hpp"
#include "servers/dns/published.hpp"
#include "servers/dns/zone_index.hpp"
#include "servers/dns/zone_set_loader.hpp"
#include "store/branch_watcher.hpp"
#include "store/object_id.hpp"
#include "store/repository.hpp"

namespace robur::dns {

struct ReloaderOptions {
    std::string branch; // "main" or "refs/heads/main"; empty means the branch HEAD names
    // How often the branch is read when no inotify event arrives. inotify does not see changes
    // that other hosts make on a network file system, so polling stays on.
    std::chrono::milliseconds poll_interval{1000};
    // Called after every load that published a zone set, on the thread that loaded it, with
    // the commit loaded. The first load calls it on the thread that calls load().
    std::function<void(const store::Snapshot&, const LoadSummary&)> on_load;
};

// Keeps the published zone set in step with a branch: when the branch moves, it loads the new
// commit with a ZoneSetLoader (which re-parses only changed zones) and publishes the result. It
// watches the branch with inotify on the ref files and packed-refs where available, and polls
// the branch at the poll interval in any case. All loading runs on the reloader's own thread,
// never on a query thread. That thread also signs the zones of `dnssec = online` again when
// their signatures near expiry or a key timing event passes, publishing the result as a load
// of the same commit.
class Reloader {
public:
    Reloader(store::Repository repository, ReloaderOptions options, Published<ZoneSet>& zones);
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;
    ~Reloader();

    // Loads the branch head and publishes its zone set, on the calling thread; call it once
    // before start(). Errors: not_found when the branch has no commits or its commit has no
    // zones/ folder, invalid_argument when HEAD is detached and no branch was given,
    // git_error when the repository cannot be read.
    Result<LoadSummary> load();

    // Starts the reload thread.
    void start();

    // Makes the reload thread re-read every zone of the branch head soon, even when the branch
    // did not move. Callable from any thread.
    void request_reload();

    // Makes the reload thread read the branch soon and load it if it moved, as after a NOTIFY.
    // Returns a ticket for wait_for_check(). Callable from any thread.
    std::uint64_t request_check();

    // Waits until the reload thread has finished a check that began after request_check()
    // returned ticket. Returns false on timeout or when the thread is not running.
    bool wait_for_check(std::uint64_t ticket, std::chrono::milliseconds timeout);

    // Stops and joins the reload thread; safe to call more than once.
    void stop();

    [[nodiscard]] const std::string& branch() const { return branch_; }

    // The signed versions of the zones the server signs, for IXFR.
    [[nodiscard]] std::shared_ptr<const SignedJournal> journal() const { return loader_.journal(); }

private:
    void run();
    void wake();
    void wait_for_change();
    void check(bool full);
    void resign_due_zones();
    [[nodiscard]] std::chrono::milliseconds wait_timeout() const;
    void log_failure(std::string message);
    void publish(const store::Snapshot& snapshot, LoadSummary& summary);
    std::shared_ptr<const CompiledZone> catalog_zone(const store::Snapshot& snapshot,
                                                     const ZoneSet& zones);

    store::Repository repository_;
    ReloaderOptions options_;
    Published<ZoneSet>& zones_;
    ZoneSetLoader loader_;
    CatalogSerial catalog_serial_;
    std::string branch_;
    std::optional<store::ObjectId> commit_;
    std::optional<store::Snapshot> snapshot_; // of commit_, for loads without a commit
    std::string last_failure_; // logged once until a load succeeds or the failure changes

    UniqueFd wakeup_; // eventfd written by request_reload() and stop()
    store::BranchWatcher watcher_; // created by start(), once the branch is known
    std::atomic<bool> reload_requested_{false};
    std::atomic<std::uint64_t> checks_requested_{0};
    std::mutex checks_mutex_;
    std::condition_variable checks_done_;
    std::uint64_t checks_completed_ = 0; // the last ticket a finished check covered
    bool running_ = false;
    std::atomic<bool> stop_requested_{false};
    std::thread thread_;
    std::shared_ptr<spdlog::logger> logger_;
};

} // namespace robur::dns
