#pragma once

// Internal to formats_icalendar: the value conversions between iCalendar text and jCal.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace robur::icalendar::detail {

// Converts one iCalendar value (not a list) of `type` to its jCal form; nullopt when malformed.
std::optional<nlohmann::json> to_jcal_value(std::string_view type, std::string_view value,
                                            std::string_view property_name);

// Converts one jCal value of `type` back to iCalendar text; nullopt when malformed.
std::optional<std::string> from_jcal_value(std::string_view type, const nlohmann::json& value,
                                           std::string_view property_name);

} // namespace robur::icalendar::detail
