#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/log.hpp"

int main(int argc, char** argv)
{
    using namespace robur::cli;

    CLI::App app{"robur: DNS zones, calendars, contacts and VPN configs kept as commits in Git",
                 "robur"};
    app.set_version_flag("--version", std::string("robur ") + ROBUR_VERSION);
    app.require_subcommand(1);
    // Lets global options such as --repo and --json follow the subcommand as well.
    app.fallthrough();

    Context context;
    app.add_option("--repo", context.repo,
                   "Data repository (default: the current folder or its nearest parent that is "
                   "a Git repository)")
        ->type_name("DIR");
    app.add_flag("--json", context.json, "Print results as JSON for scripts");
    app.add_flag("-v,--verbose", context.verbosity, "Log more; repeat for debug output");

    add_init_command(app, context);
    add_zone_commands(app, context);
    add_serve_commands(app, context);
    add_key_commands(app, context);
    add_hooks_commands(app, context);
    add_notify_command(app, context);
    add_vpn_commands(app, context);
    add_cal_commands(app, context);
    add_card_commands(app, context);
    add_user_commands(app, context);
    add_history_commands(app, context);

    // Commands print their results themselves, so logs stay quiet unless -v is given.
    app.parse_complete_callback([&context] {
        const auto level = context.verbosity >= 2   ? spdlog::level::debug
                           : context.verbosity == 1 ? spdlog::level::info
                                                    : spdlog::level::warn;
        robur::log::configure(level);
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);
        return code == 0 ? exit_ok : exit_usage;
    } catch (const std::exception& error) {
        fmt::print(stderr, "robur: {}\n", error.what());
        return exit_failure;
    }
    return context.exit_code;
}
