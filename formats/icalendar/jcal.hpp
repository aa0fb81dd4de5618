#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "formats/icalendar/component.hpp"

namespace robur::icalendar {

// Converts VCALENDAR components to jCal (RFC 7265): one jCal array for one calendar, an array of
// them for several. Values get their RFC 7265 section 3.6 form (dates with dashes, RECUR as an
// object, numbers, structured GEO and REQUEST-STATUS); unknown properties keep their text with
// type "unknown". Errors: invalid_argument naming the line of a value that cannot be converted.
[[nodiscard]] Result<std::string> write_jcal(const std::vector<Component>& calendars);

// Parses jCal text (one jCal array or an array of them) into components. Errors: parse_error
// for invalid JSON or a structure that is not jCal, naming the JSON path.
[[nodiscard]] Result<std::vector<Component>> parse_jcal(std::string_view text, std::string_view path);

} // namespace robur::icalendar
