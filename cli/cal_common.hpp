#pragma once

// Shared by the `robur cal` subcommands: calendar arguments, reading the resources of a
// calendar from a commit, and printing diagnostics.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/collection_name.hpp"
#include "cli/commands.hpp"
#include "core/diagnostic.hpp"
#include "formats/icalendar/collection_file.hpp"
#include "store/snapshot.hpp"

namespace robur::cli {

// Each `robur cal` subcommand adds itself to the `cal` command group.
void add_cal_import_command(CLI::App& cal, Context& context);
void add_cal_export_command(CLI::App& cal, Context& context);
void add_cal_validate_command(CLI::App& cal, Context& context);
void add_cal_list_command(CLI::App& cal, Context& context);
void add_cal_convert_command(CLI::App& cal, Context& context);

// A calendar named on the command line as USER/NAME.
using CalendarName = CollectionName;

// Parses USER/NAME with parse_collection_name.
[[nodiscard]] Result<CalendarName> parse_calendar_name(std::string_view text);

// One `.ics` file of a calendar in a commit.
struct StoredResource {
    std::string path; // repository path
    std::string content;
};

// The files of one calendar collection in a commit.
struct StoredCalendar {
    std::optional<icalendar::CollectionProperties> properties; // nullopt without .collection
    std::vector<StoredResource> resources;                      // `.ics` files in path order
};

// Reads the calendar in `folder`. Returns nullopt when the folder does not exist.
// Errors: from the snapshot, parse_error for a malformed `.collection`, and validation_failed
// when `.collection` declares another type than calendar.
[[nodiscard]] Result<std::optional<StoredCalendar>> read_calendar(const store::Snapshot& snapshot,
                                                                  const std::string& folder);

// Prints diagnostics as "path:line: severity: message" on stderr.
void print_cal_diagnostics(const std::vector<Diagnostic>& diagnostics);

// Returns a diagnostic as a JSON object {path, line, column, severity, message}.
[[nodiscard]] nlohmann::json diagnostic_json(const Diagnostic& diagnostic);

// Prints "robur cal SUBCOMMAND: message" on stderr and returns exit_usage.
int cal_usage_error(std::string_view subcommand, std::string_view message);

// Writes `text` to `path` through a temporary file renamed into place, or to standard output
// for "-". Errors: io_error naming the file.
[[nodiscard]] Result<void> write_output_file(const std::string& path, std::string_view text);

} // namespace robur::cli
