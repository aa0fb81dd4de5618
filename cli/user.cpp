#include "cli/commands.hpp"

namespace robur::cli {

void add_user_commands(CLI::App& /*app*/, Context& /*context*/) {}

} // namespace robur::cli
