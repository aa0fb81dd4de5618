#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "formats/icalendar/component.hpp"

namespace robur::caldav {

// Parses a UTC DATE-TIME "20260105T093000Z" into seconds since the Unix epoch. Returns nullopt
// for a DATE, a local or floating time, or a malformed value.
[[nodiscard]] std::optional<std::int64_t> utc_epoch(std::string_view text);

// Places one DATE or DATE-TIME value of a property of `calendar` on the UTC time line: through
// its TZID (an embedded VTIMEZONE, an IANA or a Windows zone name), or, for a floating value,
// through `floating_tzid` (UTC when empty). A DATE is its day's midnight UTC. Returns nullopt
// for a malformed value or a zone that cannot be resolved.
[[nodiscard]] std::optional<std::int64_t> property_epoch(const icalendar::Component& calendar,
                                                         const icalendar::Property& property,
                                                         std::string_view value,
                                                         std::string_view floating_tzid);

// Formats seconds since the epoch as a UTC DATE-TIME: "20260105T093000Z".
[[nodiscard]] std::string utc_text(std::int64_t epoch);

// Formats the UTC day of seconds since the epoch as a DATE: "20260105".
[[nodiscard]] std::string date_text(std::int64_t epoch);

} // namespace robur::caldav
