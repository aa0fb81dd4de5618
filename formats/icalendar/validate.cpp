#include "formats/icalendar/validate.hpp"

#include <algorithm>
#include <array>

#include "formats/icalendar/digest.hpp"
#include "formats/icalendar/timezones.hpp"
#include "formats/icalendar/validator.hpp"

namespace robur::icalendar {
namespace detail {
namespace {

constexpr std::string_view repaired_prodid = "-//robur//robur cal//EN";

// Properties RFC 5545 section 3.6 allows at most once in VEVENT, VTODO and VJOURNAL.
constexpr std::array once_only{"CLASS",    "CREATED",  "DTSTART",       "GEO",
                               "LAST-MODIFIED", "LOCATION", "ORGANIZER", "PRIORITY",
                               "SEQUENCE", "STATUS",   "SUMMARY",       "TRANSP",
                               "URL",      "RECURRENCE-ID", "DTEND", "DURATION",
                               "DUE",      "COMPLETED", "PERCENT-COMPLETE"};

bool is_stored_component(std::string_view name)
{
    return name == "VEVENT" || name == "VTODO" || name == "VJOURNAL" || name == "VFREEBUSY" ||
           name == "VAVAILABILITY";
}

} // namespace

const Property* Validator::require_once(const Component& component, std::string_view name)
{
    auto found = component.find_all(name);
    if (found.empty()) {
        error(component.line, fmt::format("{} is missing the required property {}", component.name, name));
        return nullptr;
    }
    if (found.size() > 1) {
        error(found[1]->line, fmt::format("{} has {} more than once (first at line {})",
                                          component.name, name, found[0]->line));
        return nullptr;
    }
    return found.front();
}

void Validator::at_most_once(const Component& component, std::string_view name)
{
    auto found = component.find_all(name);
    if (found.size() > 1) {
        error(found[1]->line, fmt::format("{} has {} more than once (first at line {})",
                                          component.name, name, found[0]->line));
    }
}

void Validator::calendar(Component& calendar)
{
    if (auto* version = require_once(calendar, "VERSION"); version && version->value != "2.0") {
        error(version->line, fmt::format("unsupported VERSION '{}': expected 2.0 (iCalendar, "
                                         "RFC 5545)",
                                         version->value));
    }
    if (calendar.find("PRODID") == nullptr) {
        calendar.properties.insert(calendar.properties.begin(),
                                   Property{"PRODID", {}, std::string(repaired_prodid), calendar.line});
        repair(calendar.line, "VCALENDAR is missing PRODID; added one");
    }
    at_most_once(calendar, "PRODID");
    if (auto* scale = calendar.find("CALSCALE"); scale && scale->value != "GREGORIAN") {
        error(scale->line, fmt::format("unsupported CALSCALE '{}': only GREGORIAN is supported",
                                       scale->value));
    }
    if (auto* method = calendar.find("METHOD")) {
        if (origin_ == Origin::put) {
            error(method->line, fmt::format("METHOD:{} is not allowed in a stored calendar object "
                                            "resource (RFC 4791 section 4.1); remove it",
                                            method->value));
        } else {
            repair(method->line, fmt::format("METHOD:{} removed: stored calendars carry no iTIP "
                                             "method",
                                             method->value));
            calendar.remove_all("METHOD");
        }
    }

    for (const auto& child : calendar.components) {
        if (child.name != "VTIMEZONE") {
            continue;
        }
        const auto* tzid = child.find("TZID");
        if (tzid == nullptr) {
            continue;
        }
        if (std::ranges::find(embedded_tzids_, tzid->value) != embedded_tzids_.end()) {
            error(tzid->line, fmt::format("VTIMEZONE '{}' is defined more than once", tzid->value));
        }
        embedded_tzids_.push_back(tzid->value);
    }

    bool any_stored = false;
    for (auto& child : calendar.components) {
        if (child.name == "VTIMEZONE") {
            timezone(child);
        } else if (is_stored_component(child.name)) {
            any_stored = true;
            schedulable(child, "");
        } else if (!child.name.starts_with("X-")) {
            warn(child.line, fmt::format("unknown component {} kept as it is", child.name));
        }
    }
    if (!any_stored) {
        auto message = "VCALENDAR contains no VEVENT, VTODO, VJOURNAL or VFREEBUSY";
        origin_ == Origin::put ? error(calendar.line, message) : warn(calendar.line, message);
    }
}

void Validator::schedulable(Component& component, const std::string& summary_of_parent)
{
    uid(component);
    dtstamp(component);
    for (auto name : once_only) {
        at_most_once(component, name);
    }
    if (component.name == "VEVENT" && component.find("DTSTART") == nullptr) {
        // RFC 5545 section 3.6.1: DTSTART is optional only with a METHOD, and stored
        // resources have none.
        error(component.line, "VEVENT is missing the required property DTSTART");
    }
    times(component);

    std::string summary = summary_of_parent;
    if (const auto* text = component.find("SUMMARY")) {
        summary = unescape_text(text->value);
    }
    for (auto& child : component.components) {
        if (child.name == "VALARM") {
            alarm(child, component);
        } else if (component.name == "VAVAILABILITY" && child.name == "AVAILABLE") {
            schedulable(child, summary);
        } else if (!child.name.starts_with("X-")) {
            warn(child.line, fmt::format("unknown component {} inside {} kept as it is", child.name,
                                         component.name));
        }
    }
}

// RFC 5545 and RFC 4791 section 4.1 require a UID. A CalDAV client must send one, but
// exports of Exchange's CDO lack it, so an import derives one from the component's text, which
// keeps a re-import of the same file idempotent.
void Validator::uid(Component& component)
{
    if (component.find("UID") != nullptr || origin_ == Origin::put) {
        require_once(component, "UID");
        return;
    }
    auto value = fmt::format("robur-{}", sha256_hex(write_component(component)).substr(0, 32));
    component.properties.push_back(Property{"UID", {}, value, component.line});
    repair(component.line, fmt::format("{} is missing UID; added UID:{}", component.name, value));
}

// DTSTAMP must be a UTC DATE-TIME (RFC 5545 section 3.8.7.2). Clients that write it floating
// mean UTC, so a 'Z' is added. A missing DTSTAMP is taken from LAST-MODIFIED or CREATED, or
// else set to the Unix epoch, so that importing the same file twice stores the same bytes.
void Validator::dtstamp(Component& component)
{
    if (component.find("DTSTAMP") == nullptr) {
        const auto* source = component.find("LAST-MODIFIED");
        source = source != nullptr ? source : component.find("CREATED");
        auto value = source != nullptr ? source->value : std::string("19700101T000000Z");
        component.properties.push_back(Property{"DTSTAMP", {}, value, component.line});
        repair(component.line, fmt::format("{} is missing DTSTAMP; added DTSTAMP:{}", component.name, value));
    }
    auto stamps = component.find_all("DTSTAMP");
    if (stamps.size() != 1) {
        require_once(component, "DTSTAMP");
        return;
    }
    auto* stamp = component.find("DTSTAMP");
    auto value = parse_date_time(stamp->value);
    if (!value || value->is_date) {
        error(stamp->line, fmt::format("invalid DTSTAMP '{}': expected a UTC date-time such as "
                                       "20240101T120000Z",
                                       stamp->value));
        return;
    }
    if (!value->utc) {
        stamp->value += 'Z';
        stamp->remove_parameter("TZID");
        repair(stamp->line, "DTSTAMP is not in UTC; read as UTC and 'Z' added");
    }
}

void Validator::timezone(Component& component)
{
    const auto* tzid = require_once(component, "TZID");
    bool has_rules = std::ranges::any_of(component.components, [](const Component& child) {
        return child.name == "STANDARD" || child.name == "DAYLIGHT";
    });
    if (!has_rules && tzid != nullptr) {
        if (iana_name_for_tzid(tzid->value)) {
            warn(component.line, fmt::format("VTIMEZONE '{}' has no STANDARD or DAYLIGHT; the tz "
                                             "database zone of that name is used",
                                             tzid->value));
        } else {
            error(component.line, fmt::format("VTIMEZONE '{}' has no STANDARD or DAYLIGHT and "
                                              "names no tz database zone",
                                              tzid->value));
        }
    }

    for (auto& rule : component.components) {
        if (rule.name != "STANDARD" && rule.name != "DAYLIGHT") {
            continue;
        }
        if (const auto* start = require_once(rule, "DTSTART")) {
            auto value = property_date_time(*start);
            if (!value || value->is_date || value->utc) {
                error(start->line, fmt::format("invalid DTSTART '{}' in {}: expected a local "
                                               "date-time such as 19701025T030000",
                                               start->value, rule.name));
            }
        }
        for (auto name : {"TZOFFSETFROM", "TZOFFSETTO"}) {
            const auto* offset = require_once(rule, name);
            if (offset != nullptr && !parse_utc_offset(offset->value)) {
                error(offset->line, fmt::format("invalid {} '{}': expected +HHMM or +HHMMSS with "
                                                "hours 00-23 and minutes 00-59",
                                                name, offset->value));
            }
        }
        for (auto& property : rule.properties) {
            if (property.name == "RRULE") {
                recurrence_rule(property, rule);
            }
        }
    }
}

void Validator::alarm(Component& alarm, const Component& parent)
{
    // Copied, because the repairs below add and remove properties of the alarm.
    std::optional<std::string> action;
    if (const auto* property = require_once(alarm, "ACTION")) {
        action = property->value;
    }
    if (const auto* trigger = require_once(alarm, "TRIGGER")) {
        bool absolute = trigger->parameter("VALUE") == "DATE-TIME";
        auto when = absolute ? parse_date_time(trigger->value) : std::nullopt;
        if (absolute ? (!when || !when->utc) : !parse_duration(trigger->value)) {
            error(trigger->line, fmt::format("invalid TRIGGER '{}': expected a duration such as "
                                             "-PT15M, or VALUE=DATE-TIME with a UTC date-time",
                                             trigger->value));
        }
    }

    // RFC 5545 section 3.6.6: DURATION and REPEAT come together or not at all.
    const auto* repeat = alarm.find("REPEAT");
    const auto* duration = alarm.find("DURATION");
    if ((repeat == nullptr) != (duration == nullptr)) {
        auto line = repeat != nullptr ? repeat->line : duration->line;
        auto lone = repeat != nullptr ? "REPEAT" : "DURATION";
        alarm.remove_all(lone);
        repair(line, fmt::format("VALARM has {} without {}; removed it", lone,
                                 std::string_view(lone) == "REPEAT" ? "DURATION" : "REPEAT"));
    }
    if (!action) {
        return;
    }

    if (*action == "DISPLAY" && alarm.find("DESCRIPTION") == nullptr) {
        const auto* summary = parent.find("SUMMARY");
        auto text = summary != nullptr ? summary->value : std::string("Reminder");
        alarm.properties.push_back(Property{"DESCRIPTION", {}, text, alarm.line});
        repair(alarm.line, "VALARM with ACTION:DISPLAY is missing DESCRIPTION; added the event's "
                           "SUMMARY");
    }
    if (*action == "EMAIL") {
        require_once(alarm, "DESCRIPTION");
        require_once(alarm, "SUMMARY");
        if (alarm.find("ATTENDEE") == nullptr) {
            error(alarm.line, "VALARM with ACTION:EMAIL is missing ATTENDEE");
        }
    }
    if (*action == "AUDIO") {
        at_most_once(alarm, "ATTACH");
    }
}

} // namespace detail

bool validate_calendar(Component& calendar, std::string_view path, Origin origin,
                       std::vector<Diagnostic>& diagnostics)
{
    detail::Validator validator(path, origin, diagnostics);
    validator.calendar(calendar);
    return validator.repaired();
}

} // namespace robur::icalendar
