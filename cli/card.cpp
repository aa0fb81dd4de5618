#include "cli/commands.hpp"

namespace robur::cli {

void add_card_commands(CLI::App& /*app*/, Context& /*context*/) {}

} // namespace robur::cli
