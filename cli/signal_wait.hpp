#pragma once

#include <csignal>
#include <functional>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace robur::cli {

// The treatment of SIGHUP by a server command. A command that reloads on it blocks it and reads
// it like the stop signals. The others leave it its default action, which ends the process.
enum class Hangup { default_action, handled };

// The signals that stop a server command (SIGINT, SIGTERM) and, where it reloads on it,
// SIGHUP. They are blocked instead of handled, and received with wait() or through fd(). Create
// it before the command starts a thread, because only threads started after it inherit the
// blocked mask. Child processes inherit the mask too, so a command that starts one gives it an
// empty mask. Move-only; the mask stays blocked after destruction.
class StopSignals {
public:
    // Blocks the signals in the calling thread. Errors: internal when the signal mask cannot
    // be changed or the signalfd cannot be created.
    [[nodiscard]] static Result<StopSignals> block(Hangup hangup);

    // A signalfd that becomes readable when one of the signals is pending, for a poll loop
    // that reads its signalfd_siginfo records itself.
    [[nodiscard]] int fd() const { return fd_.get(); }

    // Blocks until SIGINT or SIGTERM arrives and returns it. With Hangup::handled, each SIGHUP
    // before it calls `on_hangup`.
    int wait(const std::function<void()>& on_hangup = {}) const;

private:
    StopSignals(const sigset_t& signals, UniqueFd fd) : signals_(signals), fd_(std::move(fd)) {}

    sigset_t signals_{};
    UniqueFd fd_;
};

// Returns "SIGINT", "SIGTERM" or "SIGHUP", for log lines; "signal N" for any other number.
[[nodiscard]] std::string signal_name(int signal);

} // namespace robur::cli
