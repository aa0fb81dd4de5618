#include "cli/cal_common.hpp"

namespace robur::cli {

void add_cal_commands(CLI::App& app, Context& context)
{
    auto* cal = app.add_subcommand(
        "cal", "Import, export, list, convert and check iCalendar calendars kept under calendars/");
    cal->require_subcommand(1);
    add_cal_import_command(*cal, context);
    add_cal_export_command(*cal, context);
    add_cal_validate_command(*cal, context);
    add_cal_list_command(*cal, context);
    add_cal_convert_command(*cal, context);
}

} // namespace robur::cli
