// `robur cal list [USER[/NAME]]`: lists calendars, or the resources of one calendar.

#include <memory>

#include <fmt/format.h>

#include "cli/cal_common.hpp"
#include "formats/icalendar/check.hpp"

namespace robur::cli {

namespace {

struct ListArguments {
    std::string target; // empty, USER or USER/NAME
    std::string revision;
};

int list_resources(const store::Snapshot& snapshot, const CalendarName& name, const Context& context)
{
    auto stored = read_calendar(snapshot, name.folder());
    if (!stored) {
        return report(stored.error());
    }
    if (!*stored) {
        return report(Error{Errc::not_found, fmt::format("calendar {} not found", name.label()), std::nullopt});
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& resource : (*stored)->resources) {
        auto checked = icalendar::check_resource(resource.content, resource.path, icalendar::Limits{});
        if (!checked.resource) {
            items.push_back({{"path", resource.path}, {"valid", false}});
            continue;
        }
        const auto& summary = *checked.resource;
        items.push_back({{"path", resource.path}, {"valid", true}, {"uid", summary.uid},
                         {"component", summary.component}, {"summary", summary.summary},
                         {"recurring", summary.recurring}});
    }
    if (context.json) {
        fmt::print("{}\n", items.dump());
        return exit_ok;
    }
    for (const auto& item : items) {
        if (!item["valid"].get<bool>()) {
            fmt::print("{}  (invalid: see robur cal validate)\n", item["path"].get<std::string>());
            continue;
        }
        fmt::print("{}  {}  {}{}  {}\n", item["path"].get<std::string>(), item["component"].get<std::string>(),
                   item["uid"].get<std::string>(), item["recurring"].get<bool>() ? "  (recurring)" : "",
                   item["summary"].get<std::string>());
    }
    return exit_ok;
}

// Lists the calendars under calendars/, or only those of one user.
int list_calendars(const store::Snapshot& snapshot, const std::string& user, const Context& context)
{
    nlohmann::json calendars = nlohmann::json::array();
    std::string root = user.empty() ? "calendars" : "calendars/" + user;
    if (snapshot.exists(root)) {
        auto entries = snapshot.list(root, true);
        if (!entries) {
            return report(entries.error());
        }
        for (const auto& entry : *entries) {
            if (!entry.path.ends_with("/.collection")) {
                continue;
            }
            auto folder = entry.path.substr(0, entry.path.size() - std::string_view("/.collection").size());
            auto stored = read_calendar(snapshot, folder);
            if (!stored || !*stored) {
                continue; // another collection type, or a malformed .collection
            }
            auto label = folder.substr(std::string_view("calendars/").size());
            calendars.push_back({{"calendar", label}, {"resources", (*stored)->resources.size()},
                                 {"displayname", (*stored)->properties->displayname}});
        }
    } else if (!user.empty()) {
        return report(Error{Errc::not_found, fmt::format("user {} has no calendars", user), std::nullopt});
    }
    if (context.json) {
        fmt::print("{}\n", calendars.dump());
        return exit_ok;
    }
    for (const auto& calendar : calendars) {
        fmt::print("{}  {} resource(s)  {}\n", calendar["calendar"].get<std::string>(),
                   calendar["resources"].get<std::size_t>(), calendar["displayname"].get<std::string>());
    }
    return exit_ok;
}

int run_list(const ListArguments& arguments, const Context& context)
{
    std::optional<CalendarName> name;
    if (arguments.target.find('/') != std::string::npos) {
        auto parsed = parse_calendar_name(arguments.target);
        if (!parsed) {
            return cal_usage_error("list", parsed.error().message);
        }
        name = std::move(*parsed);
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return report(head.error());
    }
    if (!*head && arguments.revision.empty()) {
        if (context.json) {
            fmt::print("[]\n");
        }
        return exit_ok; // a repository without commits has no calendars
    }
    auto snapshot = repository->snapshot(arguments.revision);
    if (!snapshot) {
        return report(snapshot.error());
    }
    if (name) {
        return list_resources(*snapshot, *name, context);
    }
    return list_calendars(*snapshot, arguments.target, context);
}

} // namespace

void add_cal_list_command(CLI::App& cal, Context& context)
{
    auto arguments = std::make_shared<ListArguments>();
    auto* command = cal.add_subcommand(
        "list", "List calendars with their resource counts, or with USER/NAME the resources of "
                "one calendar (path, component, UID, summary)");
    command->add_option("TARGET", arguments->target, "USER or USER/NAME (default: every calendar)");
    command
        ->add_option("--rev", arguments->revision,
                     "Commit to read, anything git rev-parse accepts (default: HEAD)")
        ->type_name("REV");
    command->callback([arguments, &context] { context.exit_code = run_list(*arguments, context); });
}

} // namespace robur::cli
