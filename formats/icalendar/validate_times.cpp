#include <algorithm>
#include <array>

#include <libical/ical.h>

#include "formats/icalendar/timezones.hpp"
#include "formats/icalendar/validator.hpp"

namespace robur::icalendar::detail {
namespace {

constexpr std::array date_time_properties{"DTSTART", "DTEND", "DUE", "RECURRENCE-ID"};
constexpr std::array utc_properties{"COMPLETED", "CREATED", "LAST-MODIFIED"};
constexpr std::array frequencies{"SECONDLY", "MINUTELY", "HOURLY", "DAILY",
                                 "WEEKLY",   "MONTHLY",  "YEARLY"};

bool is_positive_integer(std::string_view text)
{
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string_view::npos) {
        return false;
    }
    return text.find_first_not_of('0') != std::string_view::npos;
}

// The anchoring of a DATE-TIME to UTC: "date", "floating", "utc" or "zone <TZID>".
std::string anchoring(const Property& property, const DateTime& value)
{
    if (value.is_date) {
        return "date";
    }
    if (value.utc) {
        return "utc";
    }
    auto tzid = property.parameter("TZID");
    return tzid ? "zone " + *tzid : "floating";
}

} // namespace

std::optional<DateTime> property_date_time(const Property& property)
{
    auto value = parse_date_time(property.value);
    auto type = property.parameter("VALUE");
    if (!value || (type == "DATE" && !value->is_date) || (type == "DATE-TIME" && value->is_date)) {
        return std::nullopt;
    }
    return value;
}

void Validator::check_tzid(const Property& property)
{
    auto tzid = property.parameter("TZID");
    if (!tzid || resolve_tzid(*tzid, embedded_tzids_) != ZoneSource::unknown) {
        return;
    }
    error(property.line, fmt::format("unknown time zone '{}' in {}: no VTIMEZONE of this "
                                     "VCALENDAR has this TZID, and it names no tz database or "
                                     "Windows zone",
                                     *tzid, property.name));
}

void Validator::utc_date_time(Property& property)
{
    auto value = parse_date_time(property.value);
    if (!value || value->is_date) {
        error(property.line, fmt::format("invalid {} '{}': expected a UTC date-time such as "
                                         "20240101T120000Z",
                                         property.name, property.value));
        return;
    }
    if (!value->utc) {
        property.value += 'Z';
        property.remove_parameter("TZID");
        repair(property.line, fmt::format("{} is not in UTC; read as UTC and 'Z' added",
                                          property.name));
    }
}

// Checks the value of each DATE or DATE-TIME property and the TZID it names.
void Validator::date_time_values(Component& component)
{
    for (auto& property : component.properties) {
        bool listed = std::ranges::find(date_time_properties, property.name) != date_time_properties.end();
        if (std::ranges::find(utc_properties, property.name) != utc_properties.end()) {
            utc_date_time(property);
        }
        if (!listed) {
            continue;
        }
        auto value = parse_date_time(property.value);
        if (value && value->is_date && !property.parameter("VALUE")) {
            property.set_parameter("VALUE", "DATE");
            repair(property.line, fmt::format("{} is a DATE without VALUE=DATE; added the "
                                              "parameter",
                                              property.name));
        }
        if (!property_date_time(property)) {
            error(property.line, fmt::format("invalid {} '{}': expected a date such as 20240101 "
                                             "with VALUE=DATE, or a date-time such as "
                                             "20240101T120000",
                                             property.name, property.value));
            continue;
        }
        if (value->utc && property.parameter("TZID")) {
            property.remove_parameter("TZID");
            repair(property.line, fmt::format("{} is in UTC and has a TZID; removed the TZID",
                                              property.name));
        }
        check_tzid(property);
    }
}

void Validator::times(Component& component)
{
    date_time_values(component);

    const auto* start = component.find("DTSTART");
    auto start_value = start != nullptr ? property_date_time(*start) : std::nullopt;
    const auto* duration = component.find("DURATION");
    if (duration != nullptr && !parse_duration(duration->value)) {
        error(duration->line, fmt::format("invalid DURATION '{}': expected a duration such as "
                                          "PT1H30M or P2D within 68 years",
                                          duration->value));
    }
    for (auto end_name : {"DTEND", "DUE"}) {
        auto* end = component.find(end_name);
        if (end == nullptr) {
            continue;
        }
        if (duration != nullptr) {
            error(end->line, fmt::format("{} has both {} and DURATION (line {}); keep one",
                                         component.name, end_name, duration->line));
        }
        if (start_value && property_date_time(*end)) {
            end_matches_start(*end, *start);
        }
    }
    if (duration != nullptr && start == nullptr && component.name == "VTODO") {
        error(duration->line, "VTODO has DURATION without DTSTART");
    }

    if (const auto* recurrence_id = component.find("RECURRENCE-ID"); recurrence_id && start_value) {
        auto value = property_date_time(*recurrence_id);
        if (value && value->is_date != start_value->is_date) {
            error(recurrence_id->line, "RECURRENCE-ID and DTSTART differ in value type: both must "
                                       "be DATE or both DATE-TIME");
        }
    }
    for (auto& property : component.properties) {
        if (property.name == "EXDATE" || property.name == "RDATE") {
            date_list(property, start_value);
        }
    }
    recurrence_rules(component);
}

void Validator::recurrence_rules(Component& component)
{
    bool has_rule = false;
    for (auto& property : component.properties) {
        if (property.name != "RRULE") {
            continue;
        }
        if (has_rule) {
            warn(property.line, "more than one RRULE: RFC 5545 allows one; all are kept");
        }
        has_rule = true;
        if (component.find("DTSTART") == nullptr) {
            error(property.line, fmt::format("{} has RRULE without DTSTART", component.name));
            continue;
        }
        recurrence_rule(property, component);
    }
}

// RFC 5545 section 3.8.2.2: DTEND has DTSTART's value type, and is local time exactly when
// DTSTART is. Clients that break the second rule mean DTSTART's anchoring for both.
void Validator::end_matches_start(Property& end, const Property& start)
{
    auto start_value = *property_date_time(start);
    auto end_value = *property_date_time(end);
    if (start_value.is_date != end_value.is_date) {
        error(end.line, fmt::format("{} is a {} but DTSTART (line {}) is a {}: both must have "
                                    "the same value type",
                                    end.name, end_value.is_date ? "DATE" : "DATE-TIME", start.line,
                                    start_value.is_date ? "DATE" : "DATE-TIME"));
        return;
    }
    auto start_anchor = anchoring(start, start_value);
    auto end_anchor = anchoring(end, end_value);
    bool start_floating = start_anchor == "floating";
    if (start_floating != (end_anchor == "floating")) {
        end.remove_parameter("TZID");
        if (end_value.utc) {
            end.value.pop_back();
        }
        if (!start_floating) {
            if (start_value.utc) {
                end.value += 'Z';
            } else {
                end.set_parameter("TZID", *start.parameter("TZID"));
            }
        }
        repair(end.line, fmt::format("{} is {} but DTSTART (line {}) is {}; {} now uses DTSTART's "
                                     "time zone",
                                     end.name, start_floating ? "zoned" : "floating", start.line,
                                     start_floating ? "floating" : "zoned", end.name));
        end_value = *property_date_time(end);
        end_anchor = anchoring(end, end_value);
    }
    if (start_anchor == end_anchor && end_value < start_value) {
        error(end.line, fmt::format("{} {} is before DTSTART {} (line {})", end.name, end.value,
                                    start.value, start.line));
    }
}

void Validator::date_list(const Property& list, const std::optional<DateTime>& start)
{
    check_tzid(list);
    bool period = list.parameter("VALUE") == "PERIOD";
    std::string_view values = list.value;
    while (!values.empty()) {
        auto comma = values.find(',');
        auto item = values.substr(0, comma);
        values.remove_prefix(comma == std::string_view::npos ? values.size() : comma + 1);
        if (period) {
            auto slash = item.find('/');
            auto first = parse_date_time(item.substr(0, slash));
            auto second = slash == std::string_view::npos ? std::optional<DateTime>()
                                                          : parse_date_time(item.substr(slash + 1));
            bool ok = first && !first->is_date && slash != std::string_view::npos &&
                      (second || parse_duration(item.substr(slash + 1)));
            if (!ok) {
                error(list.line, fmt::format("invalid PERIOD '{}' in {}: expected start/end or "
                                             "start/duration",
                                             item, list.name));
            }
            continue;
        }
        Property single{list.name, list.parameters, std::string(item), list.line};
        auto value = property_date_time(single);
        if (!value) {
            error(list.line, fmt::format("invalid {} value '{}'", list.name, item));
            continue;
        }
        if (start && value->is_date != start->is_date) {
            error(list.line, fmt::format("{} value '{}' is a {} but DTSTART is a {}", list.name,
                                         item, value->is_date ? "DATE" : "DATE-TIME",
                                         start->is_date ? "DATE" : "DATE-TIME"));
        }
    }
}

void Validator::recurrence_rule(Property& rule, const Component& component)
{
    if (rule.value.find_first_of(" \t") != std::string::npos) {
        // Exchange's CDO writes BYDAY lists as "MO, TU"; the parts mean the same without blanks.
        std::erase_if(rule.value, [](char c) { return c == ' ' || c == '\t'; });
        repair(rule.line, "RRULE contains blanks; removed them");
    }
    auto parts = parse_recur_parts(rule.value);
    if (!parts) {
        error(rule.line, fmt::format("invalid RRULE '{}': expected NAME=VALUE parts separated by "
                                     "';', each name once",
                                     rule.value));
        return;
    }
    auto frequency = parts->find("FREQ");
    if (frequency == parts->end() ||
        std::ranges::find(frequencies, frequency->second) == frequencies.end()) {
        error(rule.line, fmt::format("invalid RRULE '{}': FREQ is missing or not one of SECONDLY "
                                     "to YEARLY",
                                     rule.value));
        return;
    }
    if (parts->contains("UNTIL") && parts->contains("COUNT")) {
        error(rule.line, "RRULE has both UNTIL and COUNT; RFC 5545 allows only one");
    }
    for (auto name : {"COUNT", "INTERVAL"}) {
        if (auto part = parts->find(name); part != parts->end() && !is_positive_integer(part->second)) {
            error(rule.line, fmt::format("invalid RRULE {} '{}': expected a positive integer", name,
                                         part->second));
        }
    }

    icalerror_clear_errno();
    auto parsed = icalrecurrencetype_from_string(rule.value.c_str());
    if (parsed.freq == ICAL_NO_RECURRENCE) {
        error(rule.line, fmt::format("invalid RRULE '{}'", rule.value));
    }
    icalerror_clear_errno();

    if (auto until = parts->find("UNTIL"); until != parts->end()) {
        until_matches_start(rule, until->second, component);
    }
}

// RFC 5545 section 3.3.10: UNTIL has DTSTART's value type, and is in UTC when DTSTART has a
// time zone.
void Validator::until_matches_start(Property& rule, const std::string& until, const Component& component)
{
    const auto* start = component.find("DTSTART");
    if (start == nullptr || !property_date_time(*start)) {
        return;
    }
    auto until_value = parse_date_time(until);
    auto start_value = *property_date_time(*start);
    if (!until_value) {
        error(rule.line, fmt::format("invalid RRULE UNTIL '{}'", until));
        return;
    }
    if (start_value.is_date && !until_value->is_date) {
        // Several clients write a DATE-TIME UNTIL for all-day series; its date is the last day.
        auto position = rule.value.find(until);
        rule.value.replace(position, until.size(), until.substr(0, 8));
        repair(rule.line, "RRULE UNTIL is a DATE-TIME but DTSTART is a DATE; kept its date");
        return;
    }
    if (!start_value.is_date && until_value->is_date) {
        error(rule.line, "RRULE UNTIL is a DATE but DTSTART is a DATE-TIME: UNTIL must be a "
                         "date-time in UTC");
        return;
    }
    if (!until_value->utc && anchoring(*start, start_value) != "floating" && component.name != "STANDARD" &&
        component.name != "DAYLIGHT") {
        warn(rule.line, "RRULE UNTIL should be in UTC when DTSTART has a time zone; read in "
                        "DTSTART's zone");
    }
}

} // namespace robur::icalendar::detail
