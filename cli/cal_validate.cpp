// `robur cal validate`: checks the calendars of a commit, or iCalendar files on disk, and
// reports every error and warning with its file and line.

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "cli/cal_common.hpp"
#include "cli/card_common.hpp"
#include "formats/icalendar/check.hpp"
#include "formats/icalendar/split.hpp"

namespace robur::cli {

namespace {

struct ValidateArguments {
    std::vector<std::string> targets; // USER, USER/NAME or repository paths
    std::vector<std::string> files;
    std::string revision;
};

struct Findings {
    std::size_t resources = 0;
    std::vector<Diagnostic> diagnostics;
};

// Turns a USER or USER/NAME argument into a folder; other arguments are repository paths.
std::string target_prefix(const std::string& target)
{
    if (target.starts_with("calendars/") || target == "calendars") {
        return target;
    }
    return "calendars/" + target;
}

void check_file(const std::string& file, Findings& findings)
{
    auto bytes = read_input_file(file);
    if (!bytes) {
        findings.diagnostics.push_back(
            Diagnostic{Severity::error, SourceLocation{file, 0, 0}, bytes.error().message});
        return;
    }
    auto split = icalendar::split_calendar(*bytes, file, icalendar::Limits{});
    findings.resources += split.resources.size();
    std::ranges::move(split.diagnostics, std::back_inserter(findings.diagnostics));
}

// Checks every resource as a PUT would, and that no UID appears twice in one calendar
// (RFC 4791 section 5.3.2.1).
void check_stored(const store::Snapshot& snapshot, const std::vector<store::Entry>& entries,
                  Findings& findings)
{
    std::map<std::string, std::map<std::string, std::string>> uids; // folder -> UID -> path
    for (const auto& entry : entries) {
        auto slash = entry.path.rfind('/');
        auto folder = entry.path.substr(0, slash);
        auto content = snapshot.read(entry.path);
        if (!content) {
            findings.diagnostics.push_back(Diagnostic{Severity::error, SourceLocation{entry.path, 0, 0},
                                                      content.error().message});
            continue;
        }
        if (entry.path.ends_with("/.collection")) {
            auto properties = icalendar::parse_collection_file(*content, entry.path);
            if (!properties) {
                auto where = properties.error().where.value_or(SourceLocation{entry.path, 0, 0});
                findings.diagnostics.push_back(Diagnostic{Severity::error, where, properties.error().message});
            }
            continue;
        }
        if (!entry.path.ends_with(".ics")) {
            continue;
        }
        ++findings.resources;
        auto checked = icalendar::check_resource(*content, entry.path, icalendar::Limits{});
        std::ranges::move(checked.diagnostics, std::back_inserter(findings.diagnostics));
        if (!checked.resource) {
            continue;
        }
        auto [previous, inserted] = uids[folder].emplace(checked.resource->uid, entry.path);
        if (!inserted) {
            findings.diagnostics.push_back(Diagnostic{
                Severity::error, SourceLocation{entry.path, 0, 0},
                fmt::format("UID '{}' is also used by {}: a calendar holds each UID once",
                            checked.resource->uid, previous->second)});
        }
    }
}

int run_validate(const ValidateArguments& arguments, const Context& context)
{
    Findings findings;
    if (!arguments.files.empty()) {
        if (!arguments.targets.empty()) {
            return cal_usage_error("validate", "give calendars or --file, not both");
        }
        for (const auto& file : arguments.files) {
            check_file(file, findings);
        }
    } else {
        auto repository = open_repository(context);
        if (!repository) {
            return report(repository.error());
        }
        auto snapshot = repository->snapshot(arguments.revision);
        if (!snapshot) {
            return report(snapshot.error());
        }
        std::vector<std::string> prefixes;
        for (const auto& target : arguments.targets) {
            prefixes.push_back(target_prefix(target));
        }
        if (prefixes.empty()) {
            prefixes.emplace_back("calendars");
        }
        for (const auto& prefix : prefixes) {
            if (!snapshot->exists(prefix)) {
                if (!arguments.targets.empty()) {
                    return report(Error{Errc::not_found, fmt::format("{} not found", prefix), std::nullopt});
                }
                continue;
            }
            if (prefix.ends_with(".ics") || prefix.ends_with("/.collection")) {
                check_stored(*snapshot, {store::Entry{prefix, {}, store::mode_file}}, findings);
                continue;
            }
            auto entries = snapshot->list(prefix, true);
            if (!entries) {
                return report(entries.error());
            }
            check_stored(*snapshot, *entries, findings);
        }
    }

    std::size_t errors = 0;
    for (const auto& diagnostic : findings.diagnostics) {
        errors += diagnostic.severity == Severity::error ? 1 : 0;
    }
    auto warnings = findings.diagnostics.size() - errors;
    if (context.json) {
        nlohmann::json out{{"resources", findings.resources}, {"errors", errors},
                           {"warnings", warnings}, {"diagnostics", nlohmann::json::array()}};
        for (const auto& diagnostic : findings.diagnostics) {
            out["diagnostics"].push_back(diagnostic_json(diagnostic));
        }
        fmt::print("{}\n", out.dump());
    } else {
        print_cal_diagnostics(findings.diagnostics);
        fmt::print("checked {} resources: {} errors, {} warnings\n", findings.resources, errors, warnings);
    }
    return errors > 0 ? exit_failure : exit_ok;
}

} // namespace

void add_cal_validate_command(CLI::App& cal, Context& context)
{
    auto arguments = std::make_shared<ValidateArguments>();
    auto* command = cal.add_subcommand(
        "validate", "Check the stored calendars of a commit, or iCalendar files with --file; "
                    "exit 1 when any error is found");
    command->add_option("TARGET", arguments->targets,
                        "USER, USER/NAME or repository path to check (default: every calendar)");
    command->add_option("--file", arguments->files,
                        "iCalendar file on disk to check as an import would; repeatable")
        ->type_name("FILE");
    command
        ->add_option("--rev", arguments->revision,
                     "Commit to check, anything git rev-parse accepts (default: HEAD)")
        ->type_name("REV");
    command->callback([arguments, &context] { context.exit_code = run_validate(*arguments, context); });
}

} // namespace robur::cli
