#include "servers/vpn/openvpn_process.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace robur::vpn {

namespace {

// A line longer than this is passed on in pieces, so a child cannot make robur buffer
// without bound.
constexpr std::size_t max_line_bytes = 8192;

// How often terminate() and a kernel without pidfd look at the child.
constexpr std::chrono::milliseconds wait_step{50};

std::string system_error_message(int error)
{
    return std::error_code(error, std::system_category()).message();
}

// Owns the attributes and file actions of one posix_spawn call.
struct SpawnSetup {
    posix_spawnattr_t attributes{};
    posix_spawn_file_actions_t actions{};

    SpawnSetup()
    {
        ::posix_spawnattr_init(&attributes);
        ::posix_spawn_file_actions_init(&actions);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    ~SpawnSetup()
    {
        ::posix_spawn_file_actions_destroy(&actions);
        ::posix_spawnattr_destroy(&attributes);
    }

    // A process group of its own keeps a terminal's Ctrl-C from reaching the child directly:
    // robur stops it. The caller may block signals it reads through a signalfd.
    void configure(int output)
    {
        ::posix_spawnattr_setpgroup(&attributes, 0);
        sigset_t empty;
        sigemptyset(&empty);
        ::posix_spawnattr_setsigmask(&attributes, &empty);
        sigset_t defaults;
        sigemptyset(&defaults);
        for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2}) {
            sigaddset(&defaults, signal);
        }
        ::posix_spawnattr_setsigdefault(&attributes, &defaults);
        const short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
        ::posix_spawnattr_setflags(&attributes, flags);

        ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        ::posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO);
        ::posix_spawn_file_actions_adddup2(&actions, output, STDERR_FILENO);
    }
};

} // namespace

std::string describe_exit_status(int status)
{
    if (WIFEXITED(status)) {
        return fmt::format("exited with status {}", WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return fmt::format("killed by signal {}", WTERMSIG(status));
    }
    return fmt::format("stopped with wait status {}", status);
}

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv,
                                         LineHandler on_line)
{
    if (argv.empty()) {
        return make_error(Errc::invalid_argument, "no program to start");
    }
    std::array<int, 2> pipe_fds{};
    if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
        return make_error(Errc::io_error,
                          fmt::format("cannot create a pipe: {}", system_error_message(errno)));
    }
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);
    ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);

    SpawnSetup setup;
    setup.configure(write_end.get());
    std::vector<char*> arguments;
    for (const auto& argument : argv) {
        arguments.push_back(const_cast<char*>(argument.c_str()));
    }
    arguments.push_back(nullptr);

    pid_t pid = -1;
    const int error = ::posix_spawnp(&pid, argv.front().c_str(), &setup.actions,
                                     &setup.attributes, arguments.data(), environ);
    if (error != 0) {
        return make_error(error == ENOENT ? Errc::not_found : Errc::io_error,
                          fmt::format("cannot start {}: {}", argv.front(),
                                      system_error_message(error)));
    }
    write_end.reset();
    UniqueFd exit(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    return ChildProcess(pid, std::move(read_end), std::move(exit), std::move(on_line));
}

ChildProcess::ChildProcess(pid_t pid, UniqueFd output, UniqueFd exit,
                           LineHandler on_line)
    : pid_(pid), output_(std::move(output)), exit_(std::move(exit)), on_line_(std::move(on_line))
{
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), output_(std::move(other.output_)),
      exit_(std::move(other.exit_)), on_line_(std::move(other.on_line_)),
      partial_(std::move(other.partial_)), status_(other.status_)
{
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept
{
    if (this != &other) {
        kill_and_reap();
        pid_ = std::exchange(other.pid_, -1);
        output_ = std::move(other.output_);
        exit_ = std::move(other.exit_);
        on_line_ = std::move(other.on_line_);
        partial_ = std::move(other.partial_);
        status_ = other.status_;
    }
    return *this;
}

ChildProcess::~ChildProcess()
{
    kill_and_reap();
}

void ChildProcess::kill_and_reap()
{
    if (pid_ <= 0 || status_) {
        return;
    }
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
}

void ChildProcess::relay_output()
{
    if (!output_.valid()) {
        return;
    }
    std::array<char, 4096> buffer{};
    while (true) {
        const auto count = ::read(output_.get(), buffer.data(), buffer.size());
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            return; // EAGAIN: nothing more ready
        }
        if (count == 0) {
            flush_partial_line();
            output_.reset();
            return;
        }
        for (const char c : std::string_view(buffer.data(), static_cast<std::size_t>(count))) {
            if (c == '\n') {
                flush_partial_line();
                continue;
            }
            partial_ += c;
            if (partial_.size() >= max_line_bytes) {
                flush_partial_line();
            }
        }
    }
}

void ChildProcess::flush_partial_line()
{
    if (!partial_.empty() && partial_.back() == '\r') {
        partial_.pop_back();
    }
    if (!partial_.empty() && on_line_) {
        on_line_(partial_);
    }
    partial_.clear();
}

std::optional<int> ChildProcess::try_wait()
{
    if (status_ || pid_ <= 0) {
        return status_;
    }
    int status = 0;
    const auto waited = ::waitpid(pid_, &status, WNOHANG);
    if (waited == pid_) {
        status_ = status;
        relay_output();
        exit_.reset();
    }
    return status_;
}

int ChildProcess::terminate(std::chrono::milliseconds timeout)
{
    if (auto status = try_wait()) {
        return *status;
    }
    ::kill(-pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::array<pollfd, 2> fds{{{output_.get(), POLLIN, 0}, {exit_.get(), POLLIN, 0}}};
        ::poll(fds.data(), fds.size(), static_cast<int>(wait_step.count()));
        relay_output();
        if (auto status = try_wait()) {
            return *status;
        }
    }
    kill_and_reap();
    relay_output();
    return *status_;
}

} // namespace robur::vpn
