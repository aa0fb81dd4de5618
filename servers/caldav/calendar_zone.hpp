#pragma once

// The zone that floating times are read in for calendar-query, free-busy-query and the
// expansion of calendar-data.

#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "formats/icalendar/collection_file.hpp"
#include "servers/caldav/calendar_query.hpp"
#include "servers/caldav/calendar_time.hpp"
#include "servers/caldav/resource.hpp"
#include "servers/caldav/xml.hpp"
#include "store/snapshot.hpp"

namespace robur::caldav {

// Checks a CALDAV:calendar-timezone value before it is stored: an iCalendar object with
// exactly one VTIMEZONE (RFC 4791 section 5.2.2), which needs a TZID and must define a zone
// that floating times can be read in. Returns the reason when the value is invalid.
[[nodiscard]] tl::expected<void, std::string> check_calendar_timezone(std::string_view text);

// Reads the floating zone of a calendar collection from its calendar-timezone property (a
// VCALENDAR with one VTIMEZONE, RFC 4791 section 5.2.2) or its calendar-timezone-id property
// (RFC 7809), both stored as dead properties. No zone (UTC) when neither is set or
// the value cannot be used.
[[nodiscard]] FloatingZone collection_floating_zone(
    const icalendar::CollectionProperties& collection);

// Reads the floating zone of a calendar-query or free-busy-query: the CALDAV:timezone element
// of `body` (RFC 4791 section 9.8), else its CALDAV:timezone-id element (RFC 7809), else the
// collection's zone as collection_floating_zone() reads it. Errors:
// valid-calendar-data for a CALDAV:timezone that is not one VCALENDAR with one usable
// VTIMEZONE, valid-timezone for a timezone-id that names no known zone.
[[nodiscard]] tl::expected<FloatingZone, FilterError> read_floating_zone(
    const XmlElement& body, const icalendar::CollectionProperties& collection);

// Reads the floating zone of a REPORT on a calendar or on a calendar object resource:
// read_floating_zone() with `body` (nullptr for a report without CALDAV:timezone, such as
// calendar-multiget) and the properties of the calendar that contains the node. Errors as
// read_floating_zone(); a calendar whose properties cannot be read gives no zone.
[[nodiscard]] tl::expected<FloatingZone, FilterError> report_floating_zone(
    const store::Snapshot& snapshot, const Node& node, const XmlElement* body);

} // namespace robur::caldav
