#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "formats/icalendar/component.hpp"
#include "formats/icalendar/occurrences.hpp"

namespace robur::caldav {

// Parses a UTC DATE-TIME "20260105T093000Z" into seconds since the Unix epoch. Returns nullopt
// for a DATE, a local or floating time, or a malformed value.
[[nodiscard]] std::optional<std::int64_t> utc_epoch(std::string_view text);

// The zone in which floating DATE-TIME and DATE values are placed on the UTC time line
// (RFC 4791 section 9.9): a VTIMEZONE from the CALDAV:timezone of a request or from the
// collection's calendar-timezone property. Without one they are read as UTC.
struct FloatingZone {
    // A VTIMEZONE with rules, or one with only a TZID that names a tz database zone.
    std::optional<icalendar::Component> timezone;

    // Returns the options that make occurrences() read floating values in this zone.
    [[nodiscard]] icalendar::ExpansionOptions expansion_options() const;
};

// Places one DATE or DATE-TIME value of a property of `calendar` on the UTC time line through
// its TZID (an embedded VTIMEZONE, an IANA or a Windows zone name). A floating value or a DATE
// goes through the floating zone instead, and a DATE is its day's midnight there. Returns
// nullopt for a malformed value or a zone that cannot be resolved.
[[nodiscard]] std::optional<std::int64_t> property_epoch(const icalendar::Component& calendar,
                                                         const icalendar::Property& property,
                                                         std::string_view value,
                                                         const FloatingZone& floating);

// Formats seconds since the epoch as a UTC DATE-TIME: "20260105T093000Z".
[[nodiscard]] std::string utc_text(std::int64_t epoch);

// Formats the UTC day of seconds since the epoch as a DATE: "20260105".
[[nodiscard]] std::string date_text(std::int64_t epoch);

} // namespace robur::caldav
