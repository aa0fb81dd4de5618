#include "cli/card_common.hpp"

namespace robur::cli {

void add_card_commands(CLI::App& app, Context& context)
{
    auto* card = app.add_subcommand(
        "card", "Import, export, check and convert vCard address books kept under contacts/");
    card->require_subcommand(1);
    add_card_import_command(*card, context);
    add_card_export_command(*card, context);
    add_card_validate_command(*card, context);
    add_card_convert_command(*card, context);
}

} // namespace robur::cli
