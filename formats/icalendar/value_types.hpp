#pragma once

#include <string>
#include <string_view>

#include "formats/icalendar/component.hpp"

namespace robur::icalendar {

// Returns the default value type of a property (RFC 5545 section 3.8), lower-case as jCal
// writes it ("text", "date-time", "recur", ...), or "unknown" for x-names and IANA properties
// RFC 5545 does not define.
[[nodiscard]] std::string_view default_value_type(std::string_view property_name);

// Returns the value type of a property: its VALUE parameter in lower case, else the default.
[[nodiscard]] std::string value_type(const Property& property);

// Returns true for properties whose value is a comma-separated list of values
// (CATEGORIES, RESOURCES, EXDATE, RDATE, FREEBUSY).
[[nodiscard]] bool is_multi_valued(std::string_view property_name);

// Splits a value at the separator, except where a backslash escapes it.
[[nodiscard]] std::vector<std::string> split_escaped(std::string_view value, char separator);

} // namespace robur::icalendar
