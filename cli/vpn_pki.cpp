#include "cli/commands.hpp"

namespace robur::cli {

void add_vpn_pki_commands(CLI::App& /*vpn*/, Context& /*context*/) {}

} // namespace robur::cli
