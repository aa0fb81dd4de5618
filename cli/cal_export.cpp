// `robur cal export USER/NAME`: writes every resource of a calendar as one VCALENDAR, with
// each VTIMEZONE once.

#include <algorithm>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "cli/cal_common.hpp"
#include "formats/icalendar/parser.hpp"
#include "formats/icalendar/split.hpp"

namespace robur::cli {

namespace {

struct ExportArguments {
    std::string calendar;
    std::string output = "-";
    std::string revision;
};

int run_export(const ExportArguments& arguments, const Context& context)
{
    auto name = parse_calendar_name(arguments.calendar);
    if (!name) {
        return cal_usage_error("export", name.error().message);
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto snapshot = repository->snapshot(arguments.revision);
    if (!snapshot) {
        return report(snapshot.error());
    }
    auto stored = read_calendar(*snapshot, name->folder());
    if (!stored) {
        return report(stored.error());
    }
    if (!*stored) {
        return report(Error{Errc::not_found,
                            fmt::format("calendar {} not found: {} does not exist", name->label(),
                                        name->folder()),
                            std::nullopt});
    }

    // A stored resource that no longer parses is left out with an error, so that the rest of
    // the calendar can still be exported.
    std::vector<Diagnostic> diagnostics;
    std::vector<icalendar::NamedCalendar> resources;
    for (const auto& resource : (*stored)->resources) {
        auto parsed = icalendar::parse_calendar_text(resource.content, resource.path, icalendar::Limits{});
        if (has_errors(parsed.diagnostics)) {
            std::ranges::copy(parsed.diagnostics, std::back_inserter(diagnostics));
            continue;
        }
        for (auto& calendar : parsed.calendars) {
            resources.push_back({resource.path, std::move(calendar)});
        }
    }
    auto displayname = (*stored)->properties ? (*stored)->properties->displayname : std::string();
    auto merged = icalendar::merge_calendars(resources, displayname, diagnostics);
    print_cal_diagnostics(diagnostics);

    auto written = write_output_file(arguments.output, icalendar::write_component(merged));
    if (!written) {
        return report(written.error());
    }
    if (arguments.output != "-") {
        fmt::print(stderr, "exported {} resources of {} to {}\n", resources.size(), name->label(),
                   arguments.output);
    }
    return has_errors(diagnostics) ? exit_failure : exit_ok;
}

} // namespace

void add_cal_export_command(CLI::App& cal, Context& context)
{
    auto arguments = std::make_shared<ExportArguments>();
    auto* command = cal.add_subcommand(
        "export", "Write a calendar as one iCalendar file, each VTIMEZONE once");
    command->add_option("CALENDAR", arguments->calendar, "Calendar to export, as USER/NAME")
        ->required()
        ->type_name("USER/NAME");
    command->add_option("-o,--output", arguments->output, "File to write (default: standard output)")
        ->type_name("FILE");
    command
        ->add_option("--rev", arguments->revision,
                     "Commit to export from, anything git rev-parse accepts (default: HEAD)")
        ->type_name("REV");
    command->callback([arguments, &context] { context.exit_code = run_export(*arguments, context); });
}

} // namespace robur::cli
