#include "cli/commands.hpp"

namespace robur::cli {

// TODO: replaced by the store-backed implementation.
void add_init_command(CLI::App& app, Context& context)
{
    (void)app;
    (void)context;
}

} // namespace robur::cli
