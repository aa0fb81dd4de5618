#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libical/ical.h>

namespace robur::icalendar {

// The source of the definition a TZID resolves to.
enum class ZoneSource { embedded, iana, windows, unknown };

// Resolves a TZID parameter value, in this order: a VTIMEZONE of the same VCALENDAR (exact
// match, RFC 5545 section 3.2.19), a zone of the tz database libical reads, a Windows zone name
// (see windows_zones.hpp). The TZID itself is never rewritten.
[[nodiscard]] ZoneSource resolve_tzid(std::string_view tzid,
                                      const std::vector<std::string>& embedded_tzids);

// Returns the IANA name for a TZID that names a tz database zone or a Windows zone, or nullopt.
[[nodiscard]] std::optional<std::string> iana_name_for_tzid(std::string_view tzid);

// Returns libical's tz database zone for a TZID that names an IANA or Windows zone, or nullptr.
// The zone is shared and must not be freed; call it and use the zone under the lock below.
[[nodiscard]] icaltimezone* tz_database_zone(std::string_view tzid);

// Locks libical's builtin zone table: libical 3.0 loads zones into it lazily, without locking.
[[nodiscard]] std::unique_lock<std::recursive_mutex> lock_libical_zones();

} // namespace robur::icalendar
