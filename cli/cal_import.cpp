// `robur cal import FILE --calendar USER/NAME`: checks an iCalendar file, splits it into one
// resource per UID and commits the new and changed resources in one commit.

#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "cli/cal_common.hpp"
#include "cli/card_common.hpp"
#include "formats/icalendar/parser.hpp"
#include "formats/icalendar/resource.hpp"
#include "formats/icalendar/split.hpp"

namespace robur::cli {

namespace {

struct ImportArguments {
    std::string file;
    std::string calendar;
};

// One resource of the import file and its fate: added, changed or left unchanged.
struct PlannedResource {
    std::string uid;
    std::string component;
    std::string path;
    std::string content;
    std::string status; // "added", "changed" or "unchanged"
};

// Maps each UID stored in the calendar to its file, which a CalDAV client may have named
// differently from the UID; unreadable files are skipped, `robur cal validate` reports them.
std::map<std::string, const StoredResource*> stored_by_uid(const StoredCalendar& calendar)
{
    std::map<std::string, const StoredResource*> by_uid;
    for (const auto& resource : calendar.resources) {
        std::vector<Diagnostic> ignored;
        auto parsed = icalendar::parse_calendar_text(resource.content, resource.path, icalendar::Limits{});
        if (parsed.calendars.size() != 1 || has_errors(parsed.diagnostics)) {
            continue;
        }
        if (auto summary = icalendar::summarise_resource(parsed.calendars[0], resource.path, ignored)) {
            by_uid.emplace(summary->uid, &resource);
        }
    }
    return by_uid;
}

// True when the stored text contains the same components as the imported one, so that a file
// a client wrote in its own way is not rewritten by a re-import of the same data.
bool same_content(const std::string& stored, const std::string& imported)
{
    if (stored == imported) {
        return true;
    }
    auto left = icalendar::parse_calendar_text(stored, "stored", icalendar::Limits{});
    auto right = icalendar::parse_calendar_text(imported, "imported", icalendar::Limits{});
    return !has_errors(left.diagnostics) &&
           icalendar::compare_calendars(left.calendars, right.calendars).empty();
}

std::vector<PlannedResource> plan(const icalendar::SplitCalendar& split, const CalendarName& name,
                                  const std::optional<StoredCalendar>& stored)
{
    std::map<std::string, const StoredResource*> existing;
    if (stored) {
        existing = stored_by_uid(*stored);
    }
    std::vector<PlannedResource> planned;
    for (const auto& resource : split.resources) {
        PlannedResource item{resource.summary.uid, resource.summary.component,
                             name.folder() + "/" + resource.name,
                             icalendar::write_component(resource.calendar), "added"};
        if (auto found = existing.find(item.uid); found != existing.end()) {
            item.path = found->second->path;
            item.status = same_content(found->second->content, item.content) ? "unchanged" : "changed";
        }
        planned.push_back(std::move(item));
    }
    return planned;
}

std::string noun(const std::vector<PlannedResource>& planned, std::size_t count)
{
    auto all = [&](std::string_view component) {
        return std::ranges::all_of(planned, [&](const auto& item) { return item.component == component; });
    };
    std::string word = all("VEVENT") ? "event" : all("VTODO") ? "task" : all("VJOURNAL") ? "journal entry" : "item";
    if (count == 1) {
        return word;
    }
    return word == "journal entry" ? "journal entries" : word + "s";
}

std::string commit_message(const std::vector<PlannedResource>& planned, const CalendarName& name,
                           const std::string& file)
{
    std::size_t added = 0;
    std::size_t changed = 0;
    for (const auto& item : planned) {
        added += item.status == "added" ? 1 : 0;
        changed += item.status == "changed" ? 1 : 0;
    }
    auto unchanged = planned.size() - added - changed;
    return fmt::format("Import {} {} into {} ({} added, {} changed, {} unchanged)\n\nSource file: {}\n",
                       planned.size(), noun(planned, planned.size()), name.label(), added, changed,
                       unchanged, file);
}

// Returns the .collection text to add when the calendar has none yet.
std::optional<std::string> new_collection(const icalendar::SplitCalendar& split, const CalendarName& name,
                                          const std::optional<StoredCalendar>& stored)
{
    if (stored && stored->properties) {
        return std::nullopt;
    }
    icalendar::CollectionProperties properties;
    properties.type = "calendar";
    properties.displayname = split.displayname.value_or(name.name);
    properties.description = split.description.value_or("");
    properties.color = split.color.value_or("");
    properties.components = {"VEVENT", "VTODO", "VJOURNAL"};
    return icalendar::write_collection_file(properties);
}

// Rejects resources whose component type the calendar's `components` list leaves out.
std::vector<Diagnostic> unsupported_components(const std::vector<PlannedResource>& planned,
                                               const std::optional<StoredCalendar>& stored,
                                               const std::string& file)
{
    std::vector<Diagnostic> errors;
    if (!stored || !stored->properties || stored->properties->components.empty()) {
        return errors;
    }
    const auto& allowed = stored->properties->components;
    for (const auto& item : planned) {
        if (std::ranges::find(allowed, item.component) == allowed.end()) {
            errors.push_back(Diagnostic{Severity::error, SourceLocation{file, 0, 0},
                                        fmt::format("{} with UID '{}': the calendar accepts only {}",
                                                    item.component, item.uid, fmt::join(allowed, " "))});
        }
    }
    return errors;
}

void print_result(const Context& context, const std::vector<PlannedResource>& planned,
                  const std::vector<Diagnostic>& diagnostics, const std::string& commit)
{
    if (context.json) {
        nlohmann::json out{{"commit", commit.empty() ? nlohmann::json() : nlohmann::json(commit)},
                           {"resources", nlohmann::json::array()},
                           {"diagnostics", nlohmann::json::array()}};
        for (const auto& item : planned) {
            out["resources"].push_back({{"uid", item.uid}, {"component", item.component},
                                        {"path", item.path}, {"status", item.status}});
        }
        for (const auto& diagnostic : diagnostics) {
            out["diagnostics"].push_back(diagnostic_json(diagnostic));
        }
        fmt::print("{}\n", out.dump());
        return;
    }
    for (const auto& item : planned) {
        if (item.status != "unchanged") {
            fmt::print("{} {} as {}\n", item.status, item.uid, item.path);
        }
    }
    if (commit.empty()) {
        fmt::print("nothing to commit: the calendar already holds these {} items\n", planned.size());
    } else {
        fmt::print("commit {}\n", commit);
    }
}

int run_import(const ImportArguments& arguments, const Context& context)
{
    auto name = parse_calendar_name(arguments.calendar);
    if (!name) {
        return cal_usage_error("import", name.error().message);
    }
    auto bytes = read_input_file(arguments.file);
    if (!bytes) {
        return report(bytes.error());
    }
    auto split = icalendar::split_calendar(*bytes, arguments.file, icalendar::Limits{});
    if (!context.json) {
        print_cal_diagnostics(split.diagnostics);
    }
    if (has_errors(split.diagnostics) || split.resources.empty()) {
        if (context.json) {
            print_result(context, {}, split.diagnostics, "");
        }
        fmt::print(stderr, "robur: nothing imported from {}: {}\n", arguments.file,
                   split.resources.empty() && !has_errors(split.diagnostics)
                       ? "the file holds no calendar components"
                       : "fix the errors above first");
        return exit_failure;
    }

    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return report(head.error());
    }
    std::optional<StoredCalendar> stored;
    if (*head) {
        auto snapshot = repository->snapshot();
        if (!snapshot) {
            return report(snapshot.error());
        }
        auto read = read_calendar(*snapshot, name->folder());
        if (!read) {
            return report(read.error());
        }
        stored = std::move(*read);
    }

    auto planned = plan(split, *name, stored);
    auto unsupported = unsupported_components(planned, stored, arguments.file);
    if (!unsupported.empty()) {
        print_cal_diagnostics(unsupported);
        fmt::print(stderr, "robur: nothing imported from {}\n", arguments.file);
        return exit_failure;
    }

    store::CommitRequest request{.branch = {}, .expected_head = *head, .changes = {},
                                 .author = {}, .committer = std::nullopt,
                                 .message = commit_message(planned, *name, arguments.file)};
    if (auto collection = new_collection(split, *name, stored)) {
        request.changes.push_back({name->folder() + "/.collection", *collection, store::mode_file});
    }
    for (const auto& item : planned) {
        if (item.status != "unchanged") {
            request.changes.push_back({item.path, item.content, store::mode_file});
        }
    }
    if (request.changes.empty()) {
        print_result(context, planned, split.diagnostics, "");
        return exit_ok;
    }

    auto author = repository->default_signature();
    if (!author) {
        return report(Error{
            author.error().code,
            fmt::format("{}; set user.name and user.email with git config", author.error().message),
            std::nullopt});
    }
    request.author = *author;
    auto commit = repository->commit(request);
    if (!commit) {
        return report(commit.error());
    }
    print_result(context, planned, split.diagnostics, commit->short_string());
    return exit_ok;
}

} // namespace

void add_cal_import_command(CLI::App& cal, Context& context)
{
    auto arguments = std::make_shared<ImportArguments>();
    auto* command = cal.add_subcommand(
        "import", "Check an iCalendar file and commit one resource per UID into a calendar, in "
                  "one commit; unchanged resources are left alone");
    command->add_option("FILE", arguments->file, "iCalendar file to import, or - for standard input")
        ->required();
    command
        ->add_option("--calendar", arguments->calendar,
                     "Calendar to import into, as USER/NAME (created when missing)")
        ->required()
        ->type_name("USER/NAME");
    command->callback([arguments, &context] { context.exit_code = run_import(*arguments, context); });
}

} // namespace robur::cli
