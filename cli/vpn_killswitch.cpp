#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "servers/vpn/killswitch.hpp"
#include "servers/vpn/vpn_check.hpp"

namespace robur::cli {

namespace {

struct KillswitchOptions {
    std::string name;
    std::string client;
    std::string dev;
    std::string output;
    std::string revision;
};

// Writes `text` to a temporary file next to `path` and renames it over `path`.
Result<void> write_output(const std::filesystem::path& path, const std::string& text)
{
    const auto temporary = std::filesystem::path(path.string() + ".robur-new");
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) {
            return make_error(Errc::io_error, fmt::format("cannot write {}", temporary.string()));
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        std::filesystem::remove(temporary, error);
        return make_error(Errc::io_error,
                          fmt::format("cannot write {}: {}", path.string(), error.message()));
    }
    return {};
}

Result<std::string> make_ruleset(const Context& context, const KillswitchOptions& options)
{
    if (auto valid = vpn::validate_vpn_name(options.name); !valid) {
        return tl::unexpected(valid.error());
    }
    auto repository = open_repository(context);
    if (!repository) {
        return tl::unexpected(repository.error());
    }
    auto snapshot = repository->snapshot(options.revision);
    if (!snapshot) {
        return tl::unexpected(snapshot.error());
    }

    const auto folder = vpn::vpn_folder(options.name);
    if (!snapshot->exists(folder + "/server.conf")) {
        return make_error(Errc::not_found, fmt::format("VPN {} not found: {}/server.conf is "
                                                       "missing",
                                                       options.name, folder));
    }
    const auto certificate = fmt::format("{}/pki/issued/{}.crt", folder, options.client);
    if (options.client.find('/') != std::string::npos || !snapshot->exists(certificate)) {
        return make_error(Errc::not_found,
                          fmt::format("client {} of VPN {} not found: {} is missing; add it "
                                      "with `robur vpn client add {} {}`",
                                      options.client, options.name, certificate, options.name,
                                      options.client));
    }

    auto profile = vpn::parse_vpn_file(*snapshot, options.name, "client.conf");
    if (!profile) {
        return tl::unexpected(profile.error());
    }
    if (has_errors(profile->diagnostics)) {
        for (const auto& diagnostic : profile->diagnostics) {
            fmt::print(stderr, "{}\n", diagnostic.to_string());
        }
        return make_error(Errc::validation_failed,
                          fmt::format("{}/client.conf is invalid", folder));
    }
    auto peers = vpn::killswitch_peers(profile->config, vpn::resolve_host);
    if (!peers) {
        auto error = peers.error();
        if (!error.where) {
            error.where = SourceLocation{folder + "/client.conf", 0, 0};
        }
        return tl::unexpected(error);
    }

    vpn::KillswitchRuleset ruleset;
    ruleset.vpn = options.name;
    ruleset.client = options.client;
    ruleset.source = fmt::format("{}/client.conf at commit {}", folder,
                                 snapshot->commit_id().short_string());
    ruleset.tunnel = options.dev.empty() ? vpn::tunnel_interface(profile->config) : options.dev;
    ruleset.peers = std::move(*peers);
    return vpn::write_killswitch(ruleset);
}

} // namespace

void add_vpn_killswitch_command(CLI::App& vpn, Context& context)
{
    auto options = std::make_shared<KillswitchOptions>();
    auto* killswitch = vpn.add_subcommand(
        "killswitch", "Write an nftables ruleset for a client host that drops all traffic "
                      "outside the VPN tunnel");
    killswitch->add_option("NAME", options->name, "The VPN, vpn/NAME/ in the repository")
        ->required();
    killswitch->add_option("CLIENT", options->client, "The client the host runs as")->required();
    killswitch
        ->add_option("--dev", options->dev,
                     "Tunnel interface to let through, such as tun0 (default: dev of "
                     "client.conf, with tun or tap matching every tunN or tapN)")
        ->type_name("IFACE")
        ->check(
            [](const std::string& dev) -> std::string {
                const bool valid =
                    !dev.empty() && dev.size() <= 15 &&
                    dev.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_.-*") == std::string::npos;
                return valid ? std::string()
                             : "an interface name is 1 to 15 letters, digits, '_', '.', '-' "
                               "or a '*' wildcard";
            },
            "IFACE");
    killswitch->add_option("-o,--output", options->output, "File to write (default: stdout)")
        ->type_name("FILE");
    killswitch->add_option("--rev", options->revision,
                           "Commit to read client.conf from (default: HEAD)")
        ->type_name("REV");

    killswitch->callback([&context, options] {
        auto ruleset = make_ruleset(context, *options);
        if (!ruleset) {
            context.exit_code = report(ruleset.error());
            return;
        }
        if (options->output.empty()) {
            fmt::print("{}", *ruleset);
            return;
        }
        if (auto written = write_output(options->output, *ruleset); !written) {
            context.exit_code = report(written.error());
        }
    });
}

} // namespace robur::cli
