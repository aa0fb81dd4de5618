#pragma once

#include <optional>
#include <string_view>

namespace robur::icalendar {

// Returns the IANA zone for a Windows time zone name as Exchange and Outlook write it in TZID
// ("W. Europe Standard Time" gives "Europe/Berlin"), matched without regard to letter case,
// surrounding quotes or repeated blanks. Returns nullopt for an unknown name.
[[nodiscard]] std::optional<std::string_view> iana_zone_for_windows_name(std::string_view name);

} // namespace robur::icalendar
