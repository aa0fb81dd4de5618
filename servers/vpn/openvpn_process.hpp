#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace robur::vpn {

// Formats a waitpid() status: "exited with status 1" or "killed by signal 9".
[[nodiscard]] std::string describe_exit_status(int status);

// A child process in a process group of its own, with standard output and standard error on
// one pipe and standard input from /dev/null. Move-only; the destructor kills the group with
// SIGKILL and reaps the child when it is still running.
class ChildProcess {
public:
    using LineHandler = std::function<void(std::string_view line)>;

    // Starts `argv[0]`, searched in PATH when it contains no slash, with an empty signal mask and
    // default signal actions. `on_line` receives each line of output without its newline.
    // Errors: not_found when the program does not exist, io_error for other failures.
    [[nodiscard]] static Result<ChildProcess> spawn(const std::vector<std::string>& argv,
                                                    LineHandler on_line);

    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    [[nodiscard]] pid_t pid() const { return pid_; }

    // The read end of the output pipe, -1 after end of file; poll it for POLLIN.
    [[nodiscard]] int output_fd() const { return output_.get(); }

    // A pidfd that becomes readable when the child exits, -1 when the kernel has none.
    [[nodiscard]] int exit_fd() const { return exit_.get(); }

    // Passes the complete lines the pipe has ready to the line handler.
    void relay_output();

    // Returns the wait status when the child has exited (reaping it), else nullopt.
    [[nodiscard]] std::optional<int> try_wait();

    // Sends SIGTERM to the process group, waits up to `timeout` for the child while relaying
    // its output, then sends SIGKILL. Returns the wait status.
    int terminate(std::chrono::milliseconds timeout);

private:
    ChildProcess(pid_t pid, UniqueFd output, UniqueFd exit, LineHandler on_line);
    void flush_partial_line();
    void kill_and_reap();

    pid_t pid_ = -1;
    UniqueFd output_;
    UniqueFd exit_;
    LineHandler on_line_;
    std::string partial_; // output after the last newline
    std::optional<int> status_;
};

} // namespace robur::vpn
