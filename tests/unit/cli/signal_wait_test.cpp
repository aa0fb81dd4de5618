#include "cli/signal_wait.hpp"

#include <cstdint>

#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace robur::cli {
namespace {

// Restores the signal mask of the test thread, so that the signals a test blocks do not stay
// blocked for the next test in the same process. Each test consumes every signal it sends
// before the mask comes back.
class StopSignalsTest : public ::testing::Test {
protected:
    void SetUp() override { ::pthread_sigmask(SIG_SETMASK, nullptr, &saved_mask_); }

    void TearDown() override { ::pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr); }

    // Returns whether `signal` is blocked in the calling thread.
    static bool blocked(int signal)
    {
        sigset_t mask;
        ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
        return sigismember(&mask, signal) == 1;
    }

private:
    sigset_t saved_mask_{};
};

TEST_F(StopSignalsTest, BlocksHangupOnlyWhenHandled)
{
    const auto signals = StopSignals::block(Hangup::default_action);
    ASSERT_TRUE(signals) << signals.error().to_string();
    EXPECT_TRUE(blocked(SIGINT));
    EXPECT_TRUE(blocked(SIGTERM));
    EXPECT_FALSE(blocked(SIGHUP));

    const auto with_hangup = StopSignals::block(Hangup::handled);
    ASSERT_TRUE(with_hangup) << with_hangup.error().to_string();
    EXPECT_TRUE(blocked(SIGHUP));
}

TEST_F(StopSignalsTest, WaitCallsHangupHandlerThenReturnsStop)
{
    const auto signals = StopSignals::block(Hangup::handled);
    ASSERT_TRUE(signals) << signals.error().to_string();

    // The handler sends SIGTERM, so the wait goes on after SIGHUP and ends with the second signal.
    ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
    int hangups = 0;
    const int stop_signal = signals->wait([&] {
        ++hangups;
        ::kill(::getpid(), SIGTERM);
    });
    EXPECT_EQ(stop_signal, SIGTERM);
    EXPECT_EQ(hangups, 1);
}

TEST_F(StopSignalsTest, FdReportsPendingSignal)
{
    const auto signals = StopSignals::block(Hangup::handled);
    ASSERT_TRUE(signals) << signals.error().to_string();
    ASSERT_GE(signals->fd(), 0);

    ASSERT_EQ(::kill(::getpid(), SIGINT), 0);
    pollfd entry{signals->fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&entry, 1, 5000), 1);
    signalfd_siginfo info{};
    ASSERT_EQ(::read(signals->fd(), &info, sizeof info), static_cast<ssize_t>(sizeof info));
    EXPECT_EQ(info.ssi_signo, static_cast<std::uint32_t>(SIGINT));
}

TEST(SignalName, NamesStopSignals)
{
    EXPECT_EQ(signal_name(SIGINT), "SIGINT");
    EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
    EXPECT_EQ(signal_name(SIGHUP), "SIGHUP");
    EXPECT_EQ(signal_name(SIGUSR1), fmt::format("signal {}", SIGUSR1));
}

} // namespace
} // namespace robur::cli
