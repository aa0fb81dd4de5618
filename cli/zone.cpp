#include "cli/commands.hpp"
#include "cli/zone_common.hpp"

namespace robur::cli {

void add_zone_commands(CLI::App& app, Context& context)
{
    auto* zone = app.add_subcommand("zone", "Validate, import, list, show, export, diff and sign zones");
    zone->require_subcommand(1);

    add_zone_validate_command(*zone, context);
    add_zone_import_command(*zone, context);
    add_zone_read_commands(*zone, context);
    add_zone_diff_command(*zone, context);
    add_zone_import_repo_command(*zone, context);
    add_zone_ds_command(*zone, context);
    add_zone_sign_command(*zone, context);
}

} // namespace robur::cli
