#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "formats/icalendar/component.hpp"
#include "servers/caldav/calendar_time.hpp"
#include "servers/caldav/xml.hpp"

namespace robur::caldav {

// A CALDAV:time-range (RFC 4791 section 9.9) in seconds since the Unix epoch, UTC; a missing
// bound is open.
struct TimeRange {
    std::optional<std::int64_t> start;
    std::optional<std::int64_t> end;
};

// A CALDAV:text-match: a substring test under a collation.
struct TextMatch {
    std::string text;
    bool octet = false;  // i;octet; otherwise i;ascii-casemap
    bool negate = false; // negate-condition="yes"
};

struct ParamFilter {
    std::string name; // upper-case
    bool is_not_defined = false;
    std::optional<TextMatch> text_match;
};

struct PropFilter {
    std::string name; // upper-case
    bool is_not_defined = false;
    std::optional<TimeRange> time_range;
    std::optional<TextMatch> text_match;
    std::vector<ParamFilter> param_filters;
};

struct CompFilter {
    std::string name; // upper-case: VCALENDAR, VEVENT, VTODO, VJOURNAL, VALARM, ...
    bool is_not_defined = false;
    std::optional<TimeRange> time_range;
    std::vector<PropFilter> prop_filters;
    std::vector<CompFilter> comp_filters;
};

// Why a filter was rejected: the CalDAV precondition element (valid-filter or
// supported-collation) and a message naming the value.
struct FilterError {
    XmlName precondition;
    std::string message;
};

// Parses a CALDAV:time-range element: start and end in UTC ("20260105T000000Z"), at least one
// of them, and start before end.
[[nodiscard]] tl::expected<TimeRange, FilterError> parse_time_range(const XmlElement& element);

// Parses a CALDAV:filter element (RFC 4791 section 9.7) with its one top-level comp-filter,
// which must name VCALENDAR. An unknown collation gives supported-collation.
[[nodiscard]] tl::expected<CompFilter, FilterError> parse_filter(const XmlElement& filter);

// Returns true when a VCALENDAR (one calendar object resource) matches a top-level comp-filter.
// Time ranges on VEVENT, VTODO and VJOURNAL test every instance of the recurrence set, and
// floating times are read in `floating`.
[[nodiscard]] bool matches_filter(const CompFilter& filter, const icalendar::Component& calendar,
                                  const FloatingZone& floating = {});

// The times of one instance as RFC 4791 section 9.9 tests them against a time-range.
struct InstanceTimes {
    std::string component;              // VEVENT, VTODO or VJOURNAL
    std::optional<std::int64_t> start;  // DTSTART
    std::optional<std::int64_t> end;    // DTEND, DUE, or DTSTART plus DURATION
    bool end_is_due = false;            // VTODO: `end` is the DUE
    bool is_date = false;               // DTSTART is a DATE
    std::optional<std::int64_t> completed;
    std::optional<std::int64_t> created;
};

// Applies the overlap table of RFC 4791 section 9.9 for one instance.
[[nodiscard]] bool instance_overlaps(const InstanceTimes& instance, const TimeRange& range);

// Builds the VCALENDAR of CALDAV:expand (RFC 4791 section 9.6.5): every instance in the range
// as its own component with DTSTART, DTEND, DUE and RECURRENCE-ID in UTC (DATE values stay
// DATEs, on the day they fall on in the floating zone), without RRULE, RDATE, EXDATE and
// VTIMEZONEs. Floating times are read in `floating`. Returns nullopt when the resource cannot
// be expanded, such as for an unknown zone.
[[nodiscard]] std::optional<icalendar::Component> expand_component(
    const icalendar::Component& calendar, const TimeRange& range,
    const FloatingZone& floating = {});

// Writes the result of expand_component() as iCalendar text.
[[nodiscard]] std::optional<std::string> expand_calendar(const icalendar::Component& calendar,
                                                         const TimeRange& range,
                                                         const FloatingZone& floating = {});

// Applies CALDAV:limit-recurrence-set (RFC 4791 section 9.6.6): keeps the master, the
// VTIMEZONEs and the overrides whose instance overlaps the range. Returns the calendar
// unchanged when it cannot be expanded.
[[nodiscard]] icalendar::Component limit_recurrence_set(const icalendar::Component& calendar,
                                                        const TimeRange& range,
                                                        const FloatingZone& floating = {});

// A CALDAV:comp element of partial retrieval (RFC 4791 section 9.6.1): the properties and
// subcomponents of one component type to return.
struct ComponentSelection {
    std::string name; // upper-case
    bool all_properties = false;
    std::vector<std::string> properties; // upper-case names
    bool all_components = false;
    std::vector<ComponentSelection> components;
};

// Parses a CALDAV:comp element with its allprop, prop, allcomp and comp children.
[[nodiscard]] ComponentSelection parse_component_selection(const XmlElement& comp);

// Returns a copy of a component with only the selected properties and subcomponents.
[[nodiscard]] icalendar::Component select_parts(const icalendar::Component& component,
                                                const ComponentSelection& selection);

// One busy period for free-busy-query (RFC 4791 section 7.10), in UTC seconds.
struct BusyPeriod {
    std::int64_t start = 0;
    std::int64_t end = 0;
    bool tentative = false;
};

// Collects the busy periods of the VEVENT instances of one resource that overlap the range,
// clipped to it, with floating times read in `floating`. Instances with TRANSP:TRANSPARENT or
// STATUS:CANCELLED are free; STATUS:TENTATIVE gives BUSY-TENTATIVE.
void add_busy_periods(const icalendar::Component& calendar, const TimeRange& range,
                      std::vector<BusyPeriod>& periods, const FloatingZone& floating = {});

// Writes a VCALENDAR with one VFREEBUSY for the range, periods of one type merged where they
// overlap, times in UTC.
[[nodiscard]] std::string write_free_busy(std::vector<BusyPeriod> periods, const TimeRange& range,
                                          std::int64_t now);

} // namespace robur::caldav
