#include "store/background_packer.hpp"

#include <cerrno>
#include <cstring>

#include <sys/resource.h>
#include <unistd.h>

#include "core/log.hpp"
#include "store/pack.hpp"

namespace robur::store {

namespace {

// The nice value of the packing thread: the scheduler gives it what requests leave over.
constexpr int packing_niceness = 10;

} // namespace

BackgroundPacker::BackgroundPacker(std::filesystem::path git_dir)
    : git_dir_(std::move(git_dir)), thread_([this] { run(); })
{
}

BackgroundPacker::~BackgroundPacker()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cancel_ = true;
    wake_.notify_all();
    thread_.join();
}

void BackgroundPacker::schedule()
{
    {
        std::lock_guard lock(mutex_);
        requested_ = true;
    }
    wake_.notify_one();
}

void BackgroundPacker::wait_until_idle()
{
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return stopping_ || (!requested_ && !running_); });
}

std::size_t BackgroundPacker::packs_written() const
{
    std::lock_guard lock(mutex_);
    return packs_written_;
}

void BackgroundPacker::run()
{
    // Servers handle requests on their other threads, so the delta search gets only one, and
    // at a lower priority: on Linux, setpriority() with a thread id renices that thread alone.
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), packing_niceness) != 0) {
        log::get("git")->debug("packing thread priority unchanged repository={} error=\"{}\"",
                               git_dir_.string(), std::strerror(errno));
    }
    const PackOptions options{.threads = 1, .cancelled = [this] { return cancel_.load(); }};
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || requested_; });
        if (stopping_) {
            break;
        }
        requested_ = false;
        running_ = true;
        lock.unlock();

        auto report = pack_if_needed(git_dir_, options);
        if (!report && !cancel_) {
            log::get("git")->error("packing failed repository={} error=\"{}\"", git_dir_.string(),
                                   report.error().message);
        }

        lock.lock();
        running_ = false;
        if (report && *report && !(*report)->pack_name.empty()) {
            ++packs_written_;
        }
        idle_.notify_all();
    }
    running_ = false;
    idle_.notify_all();
}

} // namespace robur::store
