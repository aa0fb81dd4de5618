#pragma once

// The time-range tests of calendar-query (RFC 4791 section 9.9, RFC 7953 section 8) for
// components and properties, apart from the parsing and the other filters.

#include <cstddef>
#include <optional>

#include "formats/icalendar/component.hpp"
#include "servers/caldav/calendar_query.hpp"
#include "servers/caldav/calendar_time.hpp"

namespace robur::caldav {

// Tests a comp-filter's time-range against one component. A VEVENT, VTODO or VJOURNAL is
// tested by each instance of its recurrence set, a VFREEBUSY by DTSTART and DTEND or its
// FREEBUSY periods, and a VAVAILABILITY by DTSTART, DTEND and DURATION. A VALARM is tested by
// the trigger times of each instance of its parent. Other components always pass. `index` is
// the component's position in its parent. `parent_index` is the VCALENDAR position of the
// VEVENT or VTODO that contains it, and empty for the VCALENDAR's own children.
[[nodiscard]] bool component_in_time_range(const icalendar::Component& calendar,
                                           const icalendar::Component& component,
                                           std::size_t index,
                                           std::optional<std::size_t> parent_index,
                                           const TimeRange& range, const FloatingZone& floating);

// Tests a prop-filter's time-range: the property's value lies in the range, and a DATE covers
// its day.
[[nodiscard]] bool property_in_range(const icalendar::Component& calendar,
                                     const icalendar::Property& property, const TimeRange& range,
                                     const FloatingZone& floating);

} // namespace robur::caldav
