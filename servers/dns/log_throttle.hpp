#pragma once

#include <chrono>
#include <cstddef>

namespace robur::dns {

// Limits a repeated log line, such as one per failed query, to one per interval. Not
// thread-safe: each worker thread keeps its own.
class LogThrottle {
public:
    using Clock = std::chrono::steady_clock;

    explicit LogThrottle(Clock::duration interval = std::chrono::seconds(10)) : interval_(interval)
    {
    }

    // Returns true when the line may be logged now; otherwise counts it as suppressed.
    bool allow(Clock::time_point now = Clock::now())
    {
        if (logged_once_ && now - last_ < interval_) {
            ++suppressed_;
            return false;
        }
        logged_once_ = true;
        last_ = now;
        return true;
    }

    // Returns the number of lines suppressed since the last allowed one, and resets it.
    std::size_t take_suppressed()
    {
        const auto count = suppressed_;
        suppressed_ = 0;
        return count;
    }

private:
    Clock::duration interval_;
    Clock::time_point last_{};
    bool logged_once_ = false;
    std::size_t suppressed_ = 0;
};

} // namespace robur::dns
