#include "cli/commands.hpp"

namespace robur::cli {

void add_vpn_commands(CLI::App& app, Context& context)
{
    auto* vpn = app.add_subcommand("vpn", "Manage OpenVPN servers, their PKI and client profiles");
    vpn->require_subcommand(1);

    add_vpn_pki_commands(*vpn, context);
    add_vpn_validate_command(*vpn, context);
    add_vpn_killswitch_command(*vpn, context);
}

} // namespace robur::cli
