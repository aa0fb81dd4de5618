// `robur cal convert --to jcal|ics`: converts between iCalendar text and jCal (RFC 7265).

#include <memory>

#include <fmt/format.h>

#include "cli/cal_common.hpp"
#include "cli/card_common.hpp"
#include "formats/icalendar/jcal.hpp"
#include "formats/icalendar/parser.hpp"

namespace robur::cli {

namespace {

struct ConvertArguments {
    std::string to;
    std::string input = "-";
    std::string output = "-";
};

// jCal text is a JSON array; iCalendar text starts with BEGIN.
bool looks_like_json(std::string_view text)
{
    auto first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '[';
}

int run_convert(const ConvertArguments& arguments)
{
    auto text = read_input_file(arguments.input);
    if (!text) {
        return report(text.error());
    }
    auto source = arguments.input == "-" ? std::string("<stdin>") : arguments.input;

    std::vector<icalendar::Component> calendars;
    if (looks_like_json(*text)) {
        auto parsed = icalendar::parse_jcal(*text, source);
        if (!parsed) {
            return report(parsed.error());
        }
        calendars = std::move(*parsed);
    } else {
        auto parsed = icalendar::parse_calendar_text(*text, source, icalendar::Limits{});
        print_cal_diagnostics(parsed.diagnostics);
        if (has_errors(parsed.diagnostics)) {
            fmt::print(stderr, "robur: nothing converted: fix the errors above first\n");
            return exit_failure;
        }
        calendars = std::move(parsed.calendars);
    }

    std::string converted;
    if (arguments.to == "jcal") {
        auto written = icalendar::write_jcal(calendars);
        if (!written) {
            auto error = written.error();
            if (error.where) {
                error.where->path = source;
            }
            return report(error);
        }
        converted = std::move(*written);
    } else {
        for (const auto& calendar : calendars) {
            converted += icalendar::write_component(calendar);
        }
    }
    auto written = write_output_file(arguments.output, converted);
    return written ? exit_ok : report(written.error());
}

} // namespace

void add_cal_convert_command(CLI::App& cal, Context& context)
{
    auto arguments = std::make_shared<ConvertArguments>();
    auto* command = cal.add_subcommand(
        "convert", "Convert iCalendar text to jCal (RFC 7265) or back; the input format is "
                   "detected from its first character");
    command->add_option("--to", arguments->to, "Output format: jcal or ics")
        ->required()
        ->check(CLI::IsMember({"jcal", "ics"}));
    command->add_option("FILE", arguments->input, "Input file, or - for standard input (default)");
    command->add_option("-o,--output", arguments->output, "File to write (default: standard output)")
        ->type_name("FILE");
    command->callback([arguments, &context] { context.exit_code = run_convert(*arguments); });
}

} // namespace robur::cli
