// The time-range tests of RFC 4791 section 9.9 and RFC 7953 section 8: the overlap table for
// instances of VEVENT, VTODO and VJOURNAL, VFREEBUSY, VAVAILABILITY, alarms and properties.

#include "servers/caldav/calendar_time_range.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "formats/icalendar/occurrences.hpp"
#include "formats/icalendar/value_types.hpp"
#include "formats/icalendar/values.hpp"

namespace robur::caldav {

namespace {

constexpr std::int64_t seconds_per_day = 86400;

} // namespace

bool instance_overlaps(const InstanceTimes& instance, const TimeRange& range)
{
    const auto from = range.start.value_or(std::numeric_limits<std::int64_t>::min());
    const auto to = range.end.value_or(std::numeric_limits<std::int64_t>::max());

    if (instance.component == "VEVENT" || instance.component == "VJOURNAL") {
        if (!instance.start) {
            return false;
        }
        const auto start = *instance.start;
        auto end = instance.end;
        if (!end && instance.is_date) {
            end = start + seconds_per_day;
        }
        if (instance.component == "VJOURNAL" && !instance.is_date) {
            end.reset();
        }
        if (end && *end > start) {
            return from < *end && to > start;
        }
        return from <= start && to > start;
    }
    if (instance.component != "VTODO") {
        return true;
    }

    // The VTODO rows of the table in RFC 4791 section 9.9, in its order.
    if (instance.start && instance.end && !instance.end_is_due) {
        const auto start = *instance.start;
        const auto end = *instance.end;
        return from <= end && (to > start || to >= end);
    }
    if (instance.start && instance.end) {
        const auto start = *instance.start;
        const auto due = *instance.end;
        return (from < due || from <= start) && (to > start || to >= due);
    }
    if (instance.start) {
        return from <= *instance.start && to > *instance.start;
    }
    if (instance.end) {
        return from < *instance.end && to >= *instance.end;
    }
    if (instance.completed && instance.created) {
        return (from <= *instance.created || from <= *instance.completed) &&
               (to >= *instance.created || to >= *instance.completed);
    }
    if (instance.completed) {
        return from <= *instance.completed && to >= *instance.completed;
    }
    if (instance.created) {
        return to > *instance.created;
    }
    return true;
}


namespace {

bool is_instance_component(std::string_view name)
{
    return name == "VEVENT" || name == "VTODO" || name == "VJOURNAL";
}

InstanceTimes instance_times(const icalendar::Component& calendar,
                             const icalendar::Component& component,
                             const icalendar::Occurrence& occurrence, const FloatingZone& floating)
{
    InstanceTimes times{component.name, std::nullopt, std::nullopt, false, false,
                        std::nullopt, std::nullopt};
    const auto* start = component.find("DTSTART");
    if (start != nullptr) {
        times.start = occurrence.start;
        times.is_date = start->value.size() == 8;
    }
    if (component.name != "VTODO") {
        if (component.find("DTEND") != nullptr || component.find("DURATION") != nullptr ||
            occurrence.end != occurrence.start) {
            times.end = occurrence.end;
        }
        return times;
    }
    if (component.find("DUE") != nullptr) {
        times.end = start != nullptr ? occurrence.end : occurrence.start;
        times.end_is_due = true;
    } else if (start != nullptr && component.find("DURATION") != nullptr) {
        times.end = occurrence.end;
    }
    if (const auto* completed = component.find("COMPLETED")) {
        times.completed = property_epoch(calendar, *completed, completed->value, floating);
    }
    if (const auto* created = component.find("CREATED")) {
        times.created = property_epoch(calendar, *created, created->value, floating);
    }
    return times;
}

// Tests whether a VEVENT, VTODO or VJOURNAL (a master or an override) has an instance in the
// range. The expansion runs one second wider on both sides, because the table of section 9.9
// includes some end points that the plain overlap test of occurrences() leaves out.
bool component_in_range(const icalendar::Component& calendar, std::size_t index,
                        const TimeRange& range, const FloatingZone& floating)
{
    const auto& component = calendar.components[index];
    if (component.name == "VTODO" && component.find("DTSTART") == nullptr &&
        component.find("DUE") == nullptr) {
        return instance_overlaps(instance_times(calendar, component, {}, floating), range);
    }
    constexpr std::int64_t bound = std::int64_t{1} << 40;
    const auto from = range.start.value_or(-bound) - 1;
    const auto to = range.end.value_or(bound) + 1;
    auto expansion = icalendar::occurrences(calendar, from, to, floating.expansion_options());
    if (!expansion) {
        return false;
    }
    // An instance that a THISANDFUTURE override took over counts for the override.
    return std::ranges::any_of(expansion->occurrences, [&](const icalendar::Occurrence& item) {
        return item.component == index &&
               instance_overlaps(instance_times(calendar, component, item, floating), range);
    });
}

bool in_range(std::int64_t moment, const TimeRange& range)
{
    return (!range.start || *range.start <= moment) && (!range.end || moment < *range.end);
}

// Tests whether an alarm triggers in the range (RFC 4791 section 9.9): its TRIGGER, absolute or
// relative to the start or end of each instance of its parent, and every REPEAT after it.
bool alarm_in_range(const icalendar::Component& calendar, std::size_t parent_index,
                    const icalendar::Component& alarm, const TimeRange& range,
                    const FloatingZone& floating)
{
    const auto* trigger = alarm.find("TRIGGER");
    if (trigger == nullptr) {
        return false;
    }
    const auto* repeat_property = alarm.find("REPEAT");
    const auto* interval_property = alarm.find("DURATION");
    const long repeat = repeat_property != nullptr ? std::strtol(repeat_property->value.c_str(),
                                                                 nullptr, 10)
                                                   : 0;
    const auto interval = interval_property != nullptr
                              ? icalendar::parse_duration(interval_property->value).value_or(0)
                              : 0;
    const auto repeats = std::clamp<std::int64_t>(repeat, 0, 1000);
    const auto any_repeat_in_range = [&](std::int64_t first) {
        for (std::int64_t k = 0; k <= repeats; ++k) {
            if (in_range(first + k * interval, range)) {
                return true;
            }
        }
        return false;
    };

    if (auto absolute = utc_epoch(trigger->value)) {
        return any_repeat_in_range(*absolute);
    }
    auto offset = icalendar::parse_duration(trigger->value);
    if (!offset) {
        return false;
    }
    const bool from_end = trigger->parameter("RELATED").value_or("START") == "END";
    constexpr std::int64_t bound = std::int64_t{1} << 40;
    const auto span = std::abs(*offset) + repeats * std::abs(interval) + 1;
    auto expansion = icalendar::occurrences(calendar, range.start.value_or(-bound) - span,
                                            range.end.value_or(bound) + span,
                                            floating.expansion_options());
    if (!expansion) {
        return false;
    }
    return std::ranges::any_of(expansion->occurrences, [&](const icalendar::Occurrence& item) {
        return item.component == parent_index &&
               any_repeat_in_range((from_end ? item.end : item.start) + *offset);
    });
}

// Reads one FREEBUSY period, "start/end" or "start/duration", onto the UTC time line.
std::optional<std::pair<std::int64_t, std::int64_t>> period_bounds(
    const icalendar::Component& calendar, const icalendar::Property& property,
    std::string_view period, const FloatingZone& floating)
{
    const auto slash = period.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    auto start = property_epoch(calendar, property, period.substr(0, slash), floating);
    if (!start) {
        return std::nullopt;
    }
    const auto second = period.substr(slash + 1);
    if (second.starts_with('P') || second.starts_with('+') || second.starts_with('-')) {
        auto duration = icalendar::parse_duration(second);
        if (!duration) {
            return std::nullopt;
        }
        return std::pair{*start, *start + *duration};
    }
    auto end = property_epoch(calendar, property, second, floating);
    if (!end) {
        return std::nullopt;
    }
    return std::pair{*start, *end};
}

// RFC 4791 section 9.9: a VFREEBUSY with DTSTART and DTEND overlaps by those two, and its
// DURATION is ignored. One without them overlaps by any FREEBUSY period, whatever its FBTYPE.
bool free_busy_in_range(const icalendar::Component& calendar,
                        const icalendar::Component& free_busy, const TimeRange& range,
                        const FloatingZone& floating)
{
    const auto from = range.start.value_or(std::numeric_limits<std::int64_t>::min());
    const auto to = range.end.value_or(std::numeric_limits<std::int64_t>::max());
    const auto* start = free_busy.find("DTSTART");
    const auto* end = free_busy.find("DTEND");
    if (start != nullptr && end != nullptr) {
        auto start_epoch = property_epoch(calendar, *start, start->value, floating);
        auto end_epoch = property_epoch(calendar, *end, end->value, floating);
        return start_epoch && end_epoch && from <= *end_epoch && to > *start_epoch;
    }
    for (const auto* line : free_busy.find_all("FREEBUSY")) {
        for (const auto& period : icalendar::split_escaped(line->value, ',')) {
            auto bounds = period_bounds(calendar, *line, period, floating);
            if (bounds && from < bounds->second && to > bounds->first) {
                return true;
            }
        }
    }
    return false;
}

// RFC 7953 section 8: a missing DTSTART is the infinite past, and a missing DTEND without
// DURATION the infinite future.
bool availability_in_range(const icalendar::Component& calendar,
                           const icalendar::Component& availability, const TimeRange& range,
                           const FloatingZone& floating)
{
    const auto from = range.start.value_or(std::numeric_limits<std::int64_t>::min());
    const auto to = range.end.value_or(std::numeric_limits<std::int64_t>::max());
    std::optional<std::int64_t> start;
    std::optional<std::int64_t> end;
    if (const auto* property = availability.find("DTSTART")) {
        start = property_epoch(calendar, *property, property->value, floating);
        if (!start) {
            return false;
        }
    }
    if (const auto* property = availability.find("DTEND")) {
        end = property_epoch(calendar, *property, property->value, floating);
        if (!end) {
            return false;
        }
    } else if (const auto* duration = availability.find("DURATION"); duration && start) {
        end = *start + icalendar::parse_duration(duration->value).value_or(0);
    }
    return (!end || from < *end) && (!start || to > *start);
}

} // namespace

bool component_in_time_range(const icalendar::Component& calendar,
                             const icalendar::Component& component, std::size_t index,
                             std::optional<std::size_t> parent_index, const TimeRange& range,
                             const FloatingZone& floating)
{
    if (parent_index) {
        return component.name != "VALARM" ||
               alarm_in_range(calendar, *parent_index, component, range, floating);
    }
    if (is_instance_component(component.name)) {
        return component_in_range(calendar, index, range, floating);
    }
    if (component.name == "VFREEBUSY") {
        return free_busy_in_range(calendar, component, range, floating);
    }
    if (component.name == "VAVAILABILITY") {
        return availability_in_range(calendar, component, range, floating);
    }
    return true;
}

bool property_in_range(const icalendar::Component& calendar, const icalendar::Property& property,
                       const TimeRange& range, const FloatingZone& floating)
{
    auto moment = property_epoch(calendar, property, property.value, floating);
    if (!moment) {
        return false;
    }
    InstanceTimes instant{"VEVENT", *moment, std::nullopt, false, property.value.size() == 8,
                          std::nullopt, std::nullopt};
    return instance_overlaps(instant, range);
}

} // namespace robur::caldav
