#include "cli/commands.hpp"

namespace robur::cli {

void add_vpn_validate_command(CLI::App& /*vpn*/, Context& /*context*/) {}

} // namespace robur::cli
