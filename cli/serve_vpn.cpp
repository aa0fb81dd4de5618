#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/signal_wait.hpp"
#include "core/log.hpp"
#include "servers/vpn/runtime_folder.hpp"
#include "servers/vpn/served_config.hpp"
#include "servers/vpn/supervisor.hpp"
#include "servers/vpn/vpn_check.hpp"

namespace robur::cli {

namespace {

constexpr unsigned default_poll_interval_ms = 1000;

struct ServeVpnOptions {
    std::string name;
    std::string ref;
    std::string listen;
    std::string dev;
    std::string runtime_dir;
    std::string openvpn = "openvpn";
    unsigned poll_interval_ms = default_poll_interval_ms;
};

Result<vpn::SupervisorOptions> supervisor_options(const ServeVpnOptions& options,
                                                  const store::Repository& repository)
{
    vpn::SupervisorOptions supervisor;
    supervisor.name = options.name;
    supervisor.openvpn = options.openvpn;
    supervisor.poll_interval = std::chrono::milliseconds(options.poll_interval_ms);
    supervisor.overrides.dev_null = options.dev == "null";
    if (!options.listen.empty()) {
        auto listen = vpn::parse_listen_address(options.listen);
        if (!listen) {
            return tl::unexpected(listen.error());
        }
        supervisor.overrides.listen = *listen;
    }

    auto branch = options.ref.empty() ? repository.head_branch()
                                      : Result<std::string>(store::full_branch_name(options.ref));
    if (!branch) {
        return tl::unexpected(branch.error());
    }
    supervisor.branch = *branch;

    auto runtime = options.runtime_dir.empty()
                       ? vpn::default_runtime_folder(options.name)
                       : Result<std::filesystem::path>(std::filesystem::absolute(options.runtime_dir));
    if (!runtime) {
        return tl::unexpected(runtime.error());
    }
    supervisor.runtime_folder = *runtime;
    return supervisor;
}

int serve_vpn(const Context& context, const ServeVpnOptions& options)
{
    log::configure(context.verbosity >= 2   ? spdlog::level::trace
                   : context.verbosity == 1 ? spdlog::level::debug
                                            : spdlog::level::info);
    auto logger = log::get("vpn");

    // Blocked first, so that a signal during start-up is read by the loop instead of ending
    // the process with the runtime folder left behind. The supervisor reads the signalfd and
    // restarts openvpn on SIGHUP; openvpn starts with an empty signal mask.
    auto signals = StopSignals::block(Hangup::handled);
    if (!signals) {
        return report(signals.error());
    }
    if (auto valid = vpn::validate_vpn_name(options.name); !valid) {
        return report(valid.error());
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto settings = supervisor_options(options, *repository);
    if (!settings) {
        return report(settings.error());
    }

    const auto branch = settings->branch;
    const auto runtime = settings->runtime_folder;
    vpn::Supervisor supervisor(std::move(*repository), std::move(*settings));
    std::vector<Diagnostic> diagnostics;
    auto started = supervisor.start(diagnostics);
    for (const auto& diagnostic : diagnostics) {
        fmt::print(stderr, "{}\n", diagnostic.to_string());
    }
    if (!started) {
        return report(started.error());
    }
    logger->info("vpn server started vpn={} branch={} commit={} runtime={}", options.name,
                 branch, supervisor.commit()->short_string(), runtime.string());

    supervisor.run(signals->fd());
    return exit_ok;
}

} // namespace

void add_serve_vpn_command(CLI::App& serve, Context& context)
{
    auto options = std::make_shared<ServeVpnOptions>();
    auto* vpn = serve.add_subcommand(
        "vpn", "Run openvpn for a VPN of a branch, restarting it when vpn/NAME/ changes");
    vpn->add_option("NAME", options->name, "The VPN to serve, from vpn/NAME/ of the branch")
        ->required();
    vpn->add_option("--ref", options->ref, "Branch to serve (default: the branch HEAD names)")
        ->type_name("BRANCH");
    vpn->add_option("--listen", options->listen,
                    "Address and port openvpn listens on, such as 127.0.0.1:1194 or "
                    "[::1]:1194, in place of local, port and lport of server.conf")
        ->type_name("ADDR:PORT");
    vpn->add_option("--dev", options->dev,
                    "null: run openvpn without a tun/tap device, in point-to-point TLS mode "
                    "(for tests; see robur-serve(1) for what it changes)")
        ->check(CLI::IsMember({"null"}))
        ->type_name("null");
    vpn->add_option("--runtime-dir", options->runtime_dir,
                    "Folder openvpn runs in, holding the config and PKI of the served commit "
                    "(default: $RUNTIME_DIRECTORY/NAME, /run/robur/vpn/NAME as root, else "
                    "$XDG_RUNTIME_DIR/robur/vpn/NAME)")
        ->type_name("DIR");
    vpn->add_option("--openvpn", options->openvpn,
                    "The openvpn program (default: openvpn from PATH)")
        ->type_name("PATH");
    vpn->add_option("--poll-interval", options->poll_interval_ms,
                    "Milliseconds between reads of the branch when no change event arrives "
                    "(default: 1000)")
        ->type_name("MS")
        ->check(CLI::Range(10, 3600000));

    vpn->callback([&context, options] {
        if (!options->listen.empty()) {
            if (auto address = vpn::parse_listen_address(options->listen); !address) {
                throw CLI::ValidationError("--listen", address.error().message);
            }
        }
        context.exit_code = serve_vpn(context, *options);
    });
}

} // namespace robur::cli
