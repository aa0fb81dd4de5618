#include "formats/icalendar/check.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "formats/icalendar/parser.hpp"
#include "formats/icalendar/resource.hpp"
#include "formats/icalendar/validate.hpp"

namespace robur::icalendar {
namespace {

void add_error(std::vector<Diagnostic>& diagnostics, std::string_view path, std::uint32_t line,
               std::string message)
{
    diagnostics.push_back(
        Diagnostic{Severity::error, SourceLocation{std::string(path), line, 0}, std::move(message)});
}

} // namespace

bool is_resource_component(std::string_view name)
{
    return name == "VEVENT" || name == "VTODO" || name == "VJOURNAL" || name == "VFREEBUSY" ||
           name == "VAVAILABILITY";
}

std::optional<ResourceSummary> summarise_resource(const Component& calendar, std::string_view path,
                                                  std::vector<Diagnostic>& diagnostics)
{
    std::optional<ResourceSummary> summary;
    const Component* master = nullptr;
    std::map<std::string, std::uint32_t> recurrence_ids;
    bool ok = true;

    for (const auto& component : calendar.components) {
        if (!is_resource_component(component.name)) {
            continue;
        }
        const auto* uid = component.find("UID");
        auto uid_value = uid != nullptr ? uid->value : std::string();
        if (!summary) {
            summary = ResourceSummary{uid_value, component.name, {}, false};
        } else if (component.name != summary->component) {
            add_error(diagnostics, path, component.line,
                      fmt::format("a calendar object resource holds one component type, but "
                                  "this {} follows a {} (RFC 4791 section 4.1)",
                                  component.name, summary->component));
            ok = false;
        } else if (uid_value != summary->uid) {
            add_error(diagnostics, path, component.line,
                      fmt::format("a calendar object resource holds one UID, but UID '{}' "
                                  "follows '{}' (RFC 4791 section 4.1)",
                                  uid_value, summary->uid));
            ok = false;
        }

        const auto* recurrence_id = component.find("RECURRENCE-ID");
        if (recurrence_id == nullptr) {
            if (master != nullptr) {
                add_error(diagnostics, path, component.line,
                          fmt::format("second {} with UID '{}' and no RECURRENCE-ID (the first is "
                                      "at line {}); give the UIDs distinct values or make one an "
                                      "override",
                                      component.name, uid_value, master->line));
                ok = false;
            }
            master = &component;
            continue;
        }
        auto key = recurrence_id->parameter("TZID").value_or("") + ":" + recurrence_id->value;
        auto [previous, inserted] = recurrence_ids.emplace(key, recurrence_id->line);
        if (!inserted) {
            add_error(diagnostics, path, recurrence_id->line,
                      fmt::format("RECURRENCE-ID {} repeats the override at line {}",
                                  recurrence_id->value, previous->second));
            ok = false;
        }
    }

    if (!summary) {
        add_error(diagnostics, path, calendar.line,
                  "VCALENDAR contains no VEVENT, VTODO, VJOURNAL or VFREEBUSY");
        return std::nullopt;
    }
    const Component* described = master;
    if (described == nullptr) {
        described = &*std::ranges::find_if(calendar.components, [](const Component& c) {
            return is_resource_component(c.name);
        });
    }
    if (const auto* text = described->find("SUMMARY")) {
        summary->summary = unescape_text(text->value);
    }
    summary->recurring = master != nullptr && (master->find("RRULE") || master->find("RDATE"));
    return ok ? summary : std::nullopt;
}

CheckedResource check_resource(std::string_view bytes, std::string_view path, const Limits& limits)
{
    CheckedResource checked;
    auto parsed = parse_calendar_text(bytes, path, limits);
    checked.diagnostics = std::move(parsed.diagnostics);
    if (has_errors(checked.diagnostics)) {
        return checked;
    }
    if (parsed.calendars.size() != 1) {
        add_error(checked.diagnostics, path, parsed.calendars[1].line,
                  "a calendar object resource holds one VCALENDAR, but a second one begins here");
        return checked;
    }

    auto& calendar = parsed.calendars.front();
    bool repaired = validate_calendar(calendar, path, Origin::put, checked.diagnostics);
    auto summary = summarise_resource(calendar, path, checked.diagnostics);
    if (has_errors(checked.diagnostics) || !summary) {
        return checked;
    }
    checked.resource = std::move(summary);
    if (repaired || parsed.repaired) {
        checked.repaired = write_component(calendar);
    }
    return checked;
}

} // namespace robur::icalendar
