#include "servers/vpn/supervisor.hpp"

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "core/unique_fd.hpp"
#include "vpn_test_support.hpp"

namespace robur::vpn {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<std::string> read_lines(const fs::path& path)
{
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::string read_text(const fs::path& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A server.conf that passes validation without a PKI: static-key mode only warns.
std::map<std::string, std::optional<std::string>> valid_vpn(int verb)
{
    return {{"vpn/office/server.conf",
             fmt::format("dev null\nsecret static.key\ncipher AES-256-CBC\nverb {}\n", verb)},
            {"vpn/office/static.key", read_text(fs::path(ROBUR_TEST_DATA_DIR) / "vpn" / "static.key")}};
}

// Polls `condition` every 10 ms for up to 10 s.
bool eventually(const std::function<bool()>& condition)
{
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return condition();
}

// Runs a fake openvpn: a script that records its working folder's `verb` line in a file each
// time it starts, then sleeps, or exits at once when the config contains `verb 9`.
class SupervisorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        starts_ = repository_.folder() / "starts.txt";
        program_ = repository_.folder() / "fake-openvpn";
        std::ofstream(program_) << "#!/bin/sh\n"
                                << "cd \"$2\" || exit 1\n"
                                << "verb=$(grep '^verb' \"$4\")\n"
                                << "echo \"$verb\" >> '" << starts_.string() << "'\n"
                                << "[ \"$verb\" = 'verb 9' ] && exit 1\n"
                                << "exec sleep 1000\n";
        ::chmod(program_.c_str(), 0700);
        stop_.reset(::eventfd(0, EFD_CLOEXEC));
    }

    void TearDown() override
    {
        request_stop();
        if (thread_.joinable()) {
            thread_.join();
        }
        supervisor_.reset();
    }

    // Returns a supervisor the fixture owns, so that it outlives the thread running it even
    // when an assertion ends the test early.
    Supervisor* make_supervisor()
    {
        auto repository = store::Repository::open(repository_.git_dir());
        EXPECT_TRUE(repository);
        SupervisorOptions options;
        options.name = "office";
        options.branch = "refs/heads/main";
        options.runtime_folder = repository_.folder() / "run" / "office";
        options.openvpn = program_.string();
        options.poll_interval = 20ms;
        options.stop_timeout = 2s;
        options.restart_delay_min = 50ms;
        options.restart_delay_max = 200ms;
        supervisor_ = std::make_unique<Supervisor>(std::move(*repository), options);
        return supervisor_.get();
    }

    void run_in_background(Supervisor& supervisor)
    {
        thread_ = std::thread([this, &supervisor] { supervisor.run(stop_.get()); });
    }

    void request_stop()
    {
        const std::uint64_t increment = 1;
        [[maybe_unused]] const auto written =
            ::write(stop_.get(), &increment, sizeof increment);
    }

    testing::TestRepository repository_;
    fs::path starts_;
    fs::path program_;
    UniqueFd stop_;
    std::thread thread_;
    std::unique_ptr<Supervisor> supervisor_;
};

TEST_F(SupervisorTest, RejectsInvalidConfig)
{
    repository_.commit({{"vpn/office/server.conf", "dev null\nbikeshed-color green\n"}});
    auto supervisor = make_supervisor();
    std::vector<Diagnostic> diagnostics;
    auto started = supervisor->start(diagnostics);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Errc::validation_failed);
    EXPECT_TRUE(has_errors(diagnostics));
    EXPECT_FALSE(fs::exists(repository_.folder() / "run" / "office"));
    EXPECT_FALSE(fs::exists(starts_));
}

TEST_F(SupervisorTest, RejectsMissingProgram)
{
    repository_.commit(valid_vpn(1));
    fs::remove(program_);
    auto supervisor = make_supervisor();
    std::vector<Diagnostic> diagnostics;
    auto started = supervisor->start(diagnostics);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Errc::not_found);
}

TEST_F(SupervisorTest, AppliesValidCommitsOnly)
{
    repository_.commit(valid_vpn(1));
    auto supervisor = make_supervisor();
    std::vector<Diagnostic> diagnostics;
    auto started = supervisor->start(diagnostics);
    ASSERT_TRUE(started) << started.error().to_string();
    run_in_background(*supervisor);
    ASSERT_TRUE(eventually([&] { return read_lines(starts_).size() == 1; }));

    repository_.commit(valid_vpn(4));
    ASSERT_TRUE(eventually([&] { return read_lines(starts_).size() == 2; }));
    EXPECT_EQ(read_lines(starts_).back(), "verb 4");

    // A commit outside vpn/office/ and an invalid commit both leave openvpn running.
    repository_.commit({{"vpn/home/server.conf", "dev null\n"}});
    repository_.commit({{"vpn/office/server.conf", "dev null\nbikeshed-color green\n"}});
    std::this_thread::sleep_for(200ms); // ten poll intervals
    EXPECT_EQ(read_lines(starts_).size(), 2U);
    const auto runtime = repository_.folder() / "run" / "office";
    EXPECT_NE(read_text(runtime / served_config_name).find("verb 4"), std::string::npos);

    request_stop();
    thread_.join();
    EXPECT_FALSE(fs::exists(runtime));
}

TEST_F(SupervisorTest, RestartsExitedOpenvpnWithBackoff)
{
    repository_.commit(valid_vpn(9));
    auto supervisor = make_supervisor();
    std::vector<Diagnostic> diagnostics;
    ASSERT_TRUE(supervisor->start(diagnostics));
    const auto began = std::chrono::steady_clock::now();
    run_in_background(*supervisor);

    // Delays of 50, 100 and 200 ms come before the fourth start.
    ASSERT_TRUE(eventually([&] { return read_lines(starts_).size() >= 4; }));
    EXPECT_GE(std::chrono::steady_clock::now() - began, 350ms);

    // A valid commit starts openvpn at once and it stays up.
    repository_.commit(valid_vpn(2));
    ASSERT_TRUE(eventually([&] { return read_lines(starts_).back() == "verb 2"; }));
}

} // namespace
} // namespace robur::vpn
