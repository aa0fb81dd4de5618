#include "formats/icalendar/value_types.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace robur::icalendar {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 46> default_types{{
    {"ACTION", "text"},          {"ATTACH", "uri"},           {"ATTENDEE", "cal-address"},
    {"CALSCALE", "text"},        {"CATEGORIES", "text"},      {"CLASS", "text"},
    {"COLOR", "text"},           {"COMMENT", "text"},         {"COMPLETED", "date-time"},
    {"CONTACT", "text"},         {"CREATED", "date-time"},    {"DESCRIPTION", "text"},
    {"DTEND", "date-time"},      {"DTSTAMP", "date-time"},    {"DTSTART", "date-time"},
    {"DUE", "date-time"},        {"DURATION", "duration"},    {"EXDATE", "date-time"},
    {"FREEBUSY", "period"},      {"GEO", "float"},            {"LAST-MODIFIED", "date-time"},
    {"LOCATION", "text"},        {"METHOD", "text"},          {"ORGANIZER", "cal-address"},
    {"PERCENT-COMPLETE", "integer"}, {"PRIORITY", "integer"}, {"PRODID", "text"},
    {"RDATE", "date-time"},      {"RECURRENCE-ID", "date-time"}, {"RELATED-TO", "text"},
    {"REPEAT", "integer"},       {"REQUEST-STATUS", "text"},  {"RESOURCES", "text"},
    {"RRULE", "recur"},          {"SEQUENCE", "integer"},     {"STATUS", "text"},
    {"SUMMARY", "text"},         {"TRANSP", "text"},          {"TRIGGER", "duration"},
    {"TZID", "text"},            {"TZNAME", "text"},          {"TZOFFSETFROM", "utc-offset"},
    {"TZOFFSETTO", "utc-offset"}, {"TZURL", "uri"},           {"UID", "text"},
    {"URL", "uri"},
}};

} // namespace

std::string_view default_value_type(std::string_view property_name)
{
    auto found = std::ranges::find(default_types, property_name,
                                   &std::pair<std::string_view, std::string_view>::first);
    return found == default_types.end() ? "unknown" : found->second;
}

std::string value_type(const Property& property)
{
    auto type = property.parameter("VALUE");
    if (!type) {
        return std::string(default_value_type(property.name));
    }
    std::string lower = *type;
    std::ranges::transform(lower, lower.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return lower;
}

bool is_multi_valued(std::string_view property_name)
{
    return property_name == "CATEGORIES" || property_name == "RESOURCES" ||
           property_name == "EXDATE" || property_name == "RDATE" || property_name == "FREEBUSY";
}

std::vector<std::string> split_escaped(std::string_view value, char separator)
{
    std::vector<std::string> parts(1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
            parts.back() += value.substr(i, 2);
            ++i;
            continue;
        }
        if (value[i] == separator) {
            parts.emplace_back();
            continue;
        }
        parts.back() += value[i];
    }
    return parts;
}

} // namespace robur::icalendar
