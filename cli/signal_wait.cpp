#include "cli/signal_wait.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <sys/signalfd.h>

namespace robur::cli {

Result<StopSignals> StopSignals::block(Hangup hangup)
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    if (hangup == Hangup::handled) {
        sigaddset(&signals, SIGHUP);
    }
    const auto names = hangup == Hangup::handled ? "SIGINT, SIGTERM and SIGHUP"
                                                 : "SIGINT and SIGTERM";
    if (::pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) {
        return make_error(Errc::internal, fmt::format("cannot block {}", names));
    }

    UniqueFd fd(::signalfd(-1, &signals, SFD_CLOEXEC));
    if (!fd.valid()) {
        return make_error(Errc::internal, "cannot create a signalfd");
    }
    return StopSignals(signals, std::move(fd));
}

int StopSignals::wait(const std::function<void()>& on_hangup) const
{
    while (true) {
        int signal = 0;
        // sigwait fails only for an invalid set, which block() never builds. Returning a stop
        // signal ends the wait instead of retrying in a busy loop.
        if (::sigwait(&signals_, &signal) != 0) {
            return SIGTERM;
        }
        if (signal != SIGHUP) {
            return signal;
        }
        if (on_hangup) {
            on_hangup();
        }
    }
}

std::string signal_name(int signal)
{
    switch (signal) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return fmt::format("signal {}", signal);
    }
}

} // namespace robur::cli
