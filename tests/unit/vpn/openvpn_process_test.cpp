#include "servers/vpn/openvpn_process.hpp"

#include <chrono>
#include <csignal>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>

namespace robur::vpn {
namespace {

using namespace std::chrono_literals;

// Relays output until the child exits and returns its wait status.
int wait_for_exit(ChildProcess& child)
{
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd fds[] = {{child.output_fd(), POLLIN, 0}, {child.exit_fd(), POLLIN, 0}};
        ::poll(fds, 2, 50);
        child.relay_output();
        if (auto status = child.try_wait()) {
            return *status;
        }
    }
    ADD_FAILURE() << "child did not exit";
    return -1;
}

TEST(ChildProcess, RelaysOutputLines)
{
    std::vector<std::string> lines;
    auto child = ChildProcess::spawn(
        {"/bin/sh", "-c", "echo one; echo two >&2; printf 'three'; exit 3"},
        [&](std::string_view line) { lines.emplace_back(line); });
    ASSERT_TRUE(child) << child.error().to_string();
    const int status = wait_for_exit(*child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
    EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"}));
    EXPECT_EQ(describe_exit_status(status), "exited with status 3");
}

TEST(ChildProcess, TerminateStopsChildWithSigterm)
{
    auto child = ChildProcess::spawn({"sleep", "30"}, nullptr);
    ASSERT_TRUE(child);
    const int status = child->terminate(5s);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

TEST(ChildProcess, TerminateKillsChildIgnoringSigterm)
{
    auto child = ChildProcess::spawn({"/bin/sh", "-c", "trap '' TERM; echo ready; sleep 30"},
                                     nullptr);
    ASSERT_TRUE(child);
    // Wait for the trap, so SIGTERM does not arrive before the shell ignores it.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    pollfd fd{child->output_fd(), POLLIN, 0};
    while (std::chrono::steady_clock::now() < deadline && ::poll(&fd, 1, 50) == 0) {
    }
    const int status = child->terminate(200ms);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(ChildProcess, ReportsMissingProgram)
{
    auto child = ChildProcess::spawn({"/nonexistent/robur-openvpn"}, nullptr);
    ASSERT_FALSE(child);
    EXPECT_EQ(child.error().code, Errc::not_found);
}

TEST(ChildProcess, SplitsOverlongLines)
{
    std::vector<std::string> lines;
    auto child = ChildProcess::spawn({"/bin/sh", "-c", "head -c 20000 /dev/zero | tr '\\0' a"},
                                     [&](std::string_view line) { lines.emplace_back(line); });
    ASSERT_TRUE(child);
    wait_for_exit(*child);
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(lines[0].size(), 8192U);
    EXPECT_EQ(lines[2].size(), 20000U - 2 * 8192U);
}

} // namespace
} // namespace robur::vpn
