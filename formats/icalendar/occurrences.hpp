#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/icalendar/component.hpp"

namespace robur::icalendar {

// One instance of a calendar object resource.
struct Occurrence {
    std::int64_t start = 0; // seconds since the Unix epoch, UTC
    std::int64_t end = 0;   // seconds since the Unix epoch, UTC; equal to start for an instant
    // The instance's RECURRENCE-ID in the form of the master's DTSTART (UTC, local time in the
    // DTSTART's zone, or a DATE); empty for a resource that does not recur.
    std::string recurrence_id;
    std::size_t component = 0; // index in the VCALENDAR's components: the master or an override
    bool is_override = false;
    // The moment the RECURRENCE-ID names, UTC: the instance's start before an override moved
    // it. Equal to `start` for an instance of the master that no override moved.
    std::int64_t recurrence_start = 0;
    // For an instance whose DTSTART is a DATE, its first day and the day after its last day as
    // DATEs ("20260301"), local to the zone floating values are read in. Empty otherwise.
    std::string start_date;
    std::string end_date;
};

// The instances in a range, in order of start.
struct Expansion {
    std::vector<Occurrence> occurrences;
    // True when the expansion stopped early: more than `max_instances` instances in the range,
    // or more than `max_iterations` recurrence steps.
    bool truncated = false;
};

struct ExpansionOptions {
    // The zone floating DATE-TIME and DATE values are read in: a TZID that the resource's
    // VTIMEZONEs or the tz database resolve, or the VTIMEZONE in `floating_timezone`, which
    // takes precedence. Empty (or a TZID that does not resolve) means UTC.
    std::string floating_tzid;
    std::optional<Component> floating_timezone; // a VTIMEZONE from outside the resource
    std::size_t max_instances = 10000;   // instances returned at most
    std::size_t max_iterations = 500000; // recurrence steps per rule at most
};

// Expands one calendar object resource (a VCALENDAR as check_resource accepts it) into the
// instances that overlap [range_start, range_end) as RFC 4791 section 9.9 defines overlap:
// the master's DTSTART, RRULE and RDATE instances without EXDATE ones, with RECURRENCE-ID
// overrides replacing the instances they name. An override with RANGE=THISANDFUTURE also
// takes the place of every later instance (RFC 5545 section 3.8.4.4): each is shifted by the
// override's DTSTART minus its RECURRENCE-ID and gets the override's length and properties,
// up to the next such override. Times with a TZID are placed through the
// embedded VTIMEZONE, or the tz database for IANA and Windows names; a floating EXDATE or
// RECURRENCE-ID of a zoned series is read in the series' zone. Errors: invalid_argument for a
// resource without a VEVENT, VTODO or VJOURNAL, with a zone that cannot be resolved, or with a
// `floating_timezone` that libical cannot read.
[[nodiscard]] Result<Expansion> occurrences(const Component& calendar, std::int64_t range_start,
                                            std::int64_t range_end, const ExpansionOptions& options);

} // namespace robur::icalendar
