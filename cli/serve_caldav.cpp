#include "cli/commands.hpp"

namespace robur::cli {

void add_serve_caldav_command(CLI::App& /*serve*/, Context& /*context*/) {}

} // namespace robur::cli
