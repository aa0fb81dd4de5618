#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "servers/vpn/openvpn_process.hpp"
#include "servers/vpn/runtime_folder.hpp"
#include "servers/vpn/served_config.hpp"
#include "store/branch_watcher.hpp"
#include "store/object_id.hpp"
#include "store/repository.hpp"

namespace robur::vpn {

struct SupervisorOptions {
    std::string name;                      // the VPN, vpn/<name>/ in the repository
    std::string branch;                    // full ref name, such as "refs/heads/main"
    std::filesystem::path runtime_folder;  // openvpn's working folder
    std::string openvpn = "openvpn";       // program, searched in PATH without a slash
    ServeOverrides overrides;
    std::chrono::milliseconds poll_interval{1000};
    std::chrono::milliseconds stop_timeout{10000}; // SIGTERM to SIGKILL
    // Delay before restarting an openvpn that exited: doubles from the first to the second
    // value, and starts again from the first after openvpn ran for `healthy_after`.
    std::chrono::milliseconds restart_delay_min{1000};
    std::chrono::milliseconds restart_delay_max{60000};
    std::chrono::milliseconds healthy_after{60000};
};

// Runs openvpn for one VPN from the head of a branch: materialises vpn/<name>/ of the head
// commit into the runtime folder, starts `openvpn --cd FOLDER --config robur-served.conf`
// in a process group of its own, relays its output to the "vpn" log, restarts it with
// exponential backoff when it exits, and applies each new commit that changes vpn/<name>/
// after validating it. A commit that fails validation is logged and openvpn keeps running
// with the previous one. Single-threaded: everything happens in start() and run().
class Supervisor {
public:
    Supervisor(store::Repository repository, SupervisorOptions options);
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;
    ~Supervisor();

    // Validates the branch head and starts openvpn with it. `diagnostics` receives every
    // finding, warnings included. Errors: validation_failed when a diagnostic is an error,
    // not_found when the branch, the VPN or the openvpn program is missing, io_error when the
    // runtime folder cannot be written.
    [[nodiscard]] Result<void> start(std::vector<Diagnostic>& diagnostics);

    // Supervises openvpn until `stop_fd` (a signalfd for SIGINT, SIGTERM and SIGHUP) reports
    // SIGINT or SIGTERM; SIGHUP restarts openvpn. Then stops openvpn and deletes the runtime
    // folder.
    void run(int stop_fd);

    // Stops openvpn and deletes the runtime folder; safe to call more than once.
    void stop();

    // The commit openvpn runs with.
    [[nodiscard]] const std::optional<store::ObjectId>& commit() const { return commit_; }

private:
    struct Prepared {
        store::ObjectId commit;
        std::filesystem::path folder;
    };

    [[nodiscard]] Result<Prepared> prepare(const store::ObjectId& commit,
                                           std::vector<Diagnostic>& diagnostics);
    [[nodiscard]] Result<void> install_and_launch(const Prepared& prepared);
    [[nodiscard]] Result<void> launch();
    void check_branch();
    void apply(const store::ObjectId& head);
    void on_exit(int status);
    void restart();
    [[nodiscard]] int poll_timeout_ms() const;
    void log_failure_once(const std::string& message);

    store::Repository repository_;
    SupervisorOptions options_;
    store::BranchWatcher watcher_;
    std::optional<ChildProcess> child_;
    std::optional<store::ObjectId> commit_;   // running, or waiting for its restart
    std::optional<store::ObjectId> rejected_; // the last head that failed, logged once
    std::string last_failure_;
    std::chrono::steady_clock::time_point started_at_;
    std::chrono::steady_clock::time_point next_poll_;
    std::optional<std::chrono::steady_clock::time_point> restart_at_;
    std::chrono::milliseconds restart_delay_;
    bool installed_ = false; // the runtime folder is ours to delete
    bool stopped_ = false;
    std::shared_ptr<spdlog::logger> logger_;
};

} // namespace robur::vpn
