#include "formats/icalendar/split.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "formats/icalendar/parser.hpp"
#include "formats/icalendar/resource.hpp"
#include "formats/icalendar/resource_name.hpp"
#include "formats/icalendar/validate.hpp"

namespace robur::icalendar {
namespace {

constexpr std::string_view export_prodid = "-//robur//robur cal//EN";

// Collects the TZID parameters of a component and its nested components.
void collect_tzids(const Component& component, std::set<std::string>& tzids)
{
    for (const auto& property : component.properties) {
        if (auto tzid = property.parameter("TZID")) {
            tzids.insert(*tzid);
        }
    }
    for (const auto& child : component.components) {
        collect_tzids(child, tzids);
    }
}

Component resource_envelope(const Component& source)
{
    Component calendar{"VCALENDAR", {}, {}, source.line};
    for (const auto& property : source.properties) {
        if (property.name == "VERSION" || property.name == "PRODID" || property.name == "CALSCALE") {
            calendar.properties.push_back(property);
        }
    }
    return calendar;
}

void note_collection_properties(const Component& calendar, SplitCalendar& out)
{
    if (const auto* name = calendar.find("X-WR-CALNAME"); name && !out.displayname) {
        out.displayname = unescape_text(name->value);
    }
    if (const auto* description = calendar.find("X-WR-CALDESC"); description && !out.description) {
        out.description = unescape_text(description->value);
    }
    if (const auto* color = calendar.find("X-APPLE-CALENDAR-COLOR"); color && !out.color) {
        out.color = color->value;
    }
}

std::string version_key(const Component& component)
{
    const auto* recurrence_id = component.find("RECURRENCE-ID");
    return component.find("UID")->value + "\n" + (recurrence_id != nullptr ? recurrence_id->value : "");
}

long sequence_of(const Component& component)
{
    const auto* sequence = component.find("SEQUENCE");
    return sequence != nullptr ? std::strtol(sequence->value.c_str(), nullptr, 10) : 0;
}

// True when `candidate` is a later revision than `current` (RFC 5546 section 2.1.5: a higher
// SEQUENCE, or the same SEQUENCE and a later DTSTAMP).
bool is_newer(const Component& candidate, const Component& current)
{
    auto candidate_sequence = sequence_of(candidate);
    auto current_sequence = sequence_of(current);
    if (candidate_sequence != current_sequence) {
        return candidate_sequence > current_sequence;
    }
    const auto* candidate_stamp = candidate.find("DTSTAMP");
    const auto* current_stamp = current.find("DTSTAMP");
    return candidate_stamp && current_stamp && candidate_stamp->value > current_stamp->value;
}

// The resources being built, and for each UID and RECURRENCE-ID the VCALENDAR it came from.
struct SplitState {
    std::map<std::string, SplitResource> by_uid;
    std::map<std::string, std::size_t> origin;
    std::vector<Diagnostic>& diagnostics;
    std::string_view path;
};

// Adds a component to its resource. A UID and RECURRENCE-ID seen in an earlier VCALENDAR of the
// file (concatenated iTIP messages) keeps only the later revision, with a warning; a repeat in
// the same VCALENDAR is left for summarise_resource to reject.
void add_component(const Component& child, std::size_t calendar_index, SplitState& state)
{
    auto& resource = state.by_uid[child.find("UID")->value];
    auto key = version_key(child);
    auto [seen, first] = state.origin.try_emplace(key, calendar_index);
    if (first || seen->second == calendar_index) {
        resource.calendar.components.push_back(child);
        return;
    }

    auto& components = resource.calendar.components;
    auto current = std::ranges::find_if(components, [&](const Component& c) {
        return c.name != "VTIMEZONE" && version_key(c) == key;
    });
    bool replace = is_newer(child, *current);
    state.diagnostics.push_back(Diagnostic{
        Severity::warning, SourceLocation{std::string(state.path), replace ? current->line : child.line, 0},
        fmt::format("{} with UID '{}' appears in several VCALENDAR objects; kept the revision at "
                    "line {}",
                    child.name, child.find("UID")->value, replace ? child.line : current->line)});
    if (replace) {
        *current = child;
        seen->second = calendar_index;
    }
}

// Groups the components of one validated VCALENDAR by UID into resources.
void split_one(const Component& source, std::size_t calendar_index, SplitState& state)
{
    std::map<std::string, const Component*> timezones;
    for (const auto& child : source.components) {
        if (child.name == "VTIMEZONE" && child.find("TZID")) {
            timezones.emplace(child.find("TZID")->value, &child);
        }
    }

    for (const auto& child : source.components) {
        if (child.name == "VTIMEZONE" || child.find("UID") == nullptr) {
            continue;
        }
        auto uid = child.find("UID")->value;
        auto& resource = state.by_uid[uid];
        if (resource.name.empty()) {
            resource.name = resource_name_for_uid(uid, ".ics");
            resource.calendar = resource_envelope(source);
        }
        add_component(child, calendar_index, state);
    }

    for (auto& [uid, resource] : state.by_uid) {
        std::set<std::string> used;
        collect_tzids(resource.calendar, used);
        auto& components = resource.calendar.components;
        for (const auto& tzid : used) {
            auto found = timezones.find(tzid);
            bool present = std::ranges::any_of(components, [&](const Component& c) {
                return c.name == "VTIMEZONE" && c.find("TZID")->value == tzid;
            });
            if (found != timezones.end() && !present) {
                auto position = std::ranges::find_if(components, [](const Component& c) {
                    return c.name != "VTIMEZONE";
                });
                components.insert(position, *found->second);
            }
        }
    }
}

} // namespace

SplitCalendar split_calendar(std::string_view bytes, std::string_view path, const Limits& limits)
{
    SplitCalendar out;
    auto parsed = parse_calendar_text(bytes, path, limits);
    out.diagnostics = std::move(parsed.diagnostics);
    for (auto& calendar : parsed.calendars) {
        validate_calendar(calendar, path, Origin::import, out.diagnostics);
        note_collection_properties(calendar, out);
    }
    SplitState state{{}, {}, out.diagnostics, path};
    for (std::size_t i = 0; i < parsed.calendars.size(); ++i) {
        split_one(parsed.calendars[i], i, state);
    }
    for (auto& [uid, resource] : state.by_uid) {
        auto summary = summarise_resource(resource.calendar, path, out.diagnostics);
        if (summary) {
            resource.summary = std::move(*summary);
        }
    }
    if (has_errors(out.diagnostics)) {
        return out;
    }
    for (auto& [uid, resource] : state.by_uid) {
        out.resources.push_back(std::move(resource));
    }
    std::ranges::sort(out.resources, {}, &SplitResource::name);
    return out;
}

Component merge_calendars(const std::vector<NamedCalendar>& resources, std::string_view displayname,
                          std::vector<Diagnostic>& diagnostics)
{
    Component merged{"VCALENDAR", {}, {}, 0};
    merged.properties.push_back(Property{"VERSION", {}, "2.0", 0});
    merged.properties.push_back(Property{"PRODID", {}, std::string(export_prodid), 0});
    merged.properties.push_back(Property{"CALSCALE", {}, "GREGORIAN", 0});
    if (!displayname.empty()) {
        merged.properties.push_back(Property{"X-WR-CALNAME", {}, escape_text(displayname), 0});
    }

    // TZID -> (written text of the definition, path it came from)
    std::map<std::string, std::pair<std::string, std::string>> timezones;
    std::vector<Component> zones;
    std::vector<Component> items;
    for (const auto& [path, calendar] : resources) {
        for (const auto& child : calendar.components) {
            if (child.name != "VTIMEZONE") {
                items.push_back(child);
                continue;
            }
            const auto* tzid = child.find("TZID");
            auto text = write_component(child);
            auto key = tzid != nullptr ? tzid->value : std::string();
            auto [known, inserted] = timezones.try_emplace(key, text, path);
            if (inserted) {
                zones.push_back(child);
            } else if (known->second.first != text) {
                diagnostics.push_back(Diagnostic{
                    Severity::warning, SourceLocation{path, child.line, 0},
                    fmt::format("VTIMEZONE '{}' differs from the one in {}; exported the first",
                                key, known->second.second)});
            }
        }
    }
    merged.components = std::move(zones);
    std::ranges::move(items, std::back_inserter(merged.components));
    return merged;
}

} // namespace robur::icalendar
