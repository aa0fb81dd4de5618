#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <thread>

namespace robur::store {

// Runs pack_if_needed() on a thread of its own with one pack builder thread, so that servers
// pack off the request path. Requests made while a run is going coalesce into one more run.
// Failures are logged on the "git" logger and never reach the caller. Thread-safe.
class BackgroundPacker {
public:
    explicit BackgroundPacker(std::filesystem::path git_dir);
    BackgroundPacker(const BackgroundPacker&) = delete;
    BackgroundPacker& operator=(const BackgroundPacker&) = delete;

    // Aborts a running pack, which leaves the repository as it was, and joins the thread.
    ~BackgroundPacker();

    // Requests a check, and a pack when it is needed; returns at once.
    void schedule();

    // Blocks until no run is requested or going.
    void wait_until_idle();

    // The number of runs that wrote a pack so far.
    [[nodiscard]] std::size_t packs_written() const;

private:
    void run();

    std::filesystem::path git_dir_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    bool requested_ = false;
    bool running_ = false;
    bool stopping_ = false;
    std::size_t packs_written_ = 0;
    std::atomic<bool> cancel_{false};
    std::thread thread_;
};

} // namespace robur::store
