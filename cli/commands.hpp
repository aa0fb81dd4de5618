#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "core/error.hpp"
#include "store/repository.hpp"

namespace robur::cli {

// Exit codes shared by every command: 0 success, 1 failure or findings, 2 usage error.
enum ExitCode : int { exit_ok = 0, exit_failure = 1, exit_usage = 2 };

// Options that every command group accepts, and the exit code its callback sets.
struct Context {
    std::string repo;   // --repo DIR; empty means "find it as git does"
    bool json = false;  // --json: machine-readable output on stdout
    int verbosity = 0;  // -v, repeatable
    int exit_code = exit_ok;
};

// Maps an error category to the exit code the CLI reports for it.
int exit_code_for(const Error& error);

// Prints "robur: <error>" on stderr and returns its exit code.
int report(const Error& error);

// Opens --repo DIR, or finds the repository from the current folder as git does.
[[nodiscard]] Result<store::Repository> open_repository(const Context& context);

// Each command group adds its subcommands to the application; callbacks store their
// exit code in the context.
void add_init_command(CLI::App& app, Context& context);
void add_zone_commands(CLI::App& app, Context& context);
void add_serve_commands(CLI::App& app, Context& context);
void add_key_commands(CLI::App& app, Context& context);
void add_hooks_commands(CLI::App& app, Context& context);
void add_notify_command(CLI::App& app, Context& context);
void add_vpn_commands(CLI::App& app, Context& context);
void add_cal_commands(CLI::App& app, Context& context);
void add_card_commands(CLI::App& app, Context& context);
void add_user_commands(CLI::App& app, Context& context);
// `robur log` and `robur revert`.
void add_history_commands(CLI::App& app, Context& context);

// Parts of the `robur vpn` group, each in its own file.
void add_vpn_pki_commands(CLI::App& vpn, Context& context);
void add_vpn_validate_command(CLI::App& vpn, Context& context);
void add_vpn_killswitch_command(CLI::App& vpn, Context& context);

// Servers of `robur serve` other than dns, each in its own file.
void add_serve_vpn_command(CLI::App& serve, Context& context);
void add_serve_caldav_command(CLI::App& serve, Context& context);

} // namespace robur::cli
