#include "cli/commands.hpp"

namespace robur::cli {

// TODO: replaced by the store-backed implementation.
void add_serve_commands(CLI::App& app, Context& context)
{
    (void)app;
    (void)context;
}

} // namespace robur::cli
