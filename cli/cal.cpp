#include "cli/commands.hpp"

namespace robur::cli {

void add_cal_commands(CLI::App& /*app*/, Context& /*context*/) {}

} // namespace robur::cli
