#include "servers/caldav/calendar_time.hpp"

#include <ctime>

#include <fmt/format.h>

#include "formats/icalendar/occurrences.hpp"
#include "formats/icalendar/values.hpp"

namespace robur::caldav {
namespace {

std::int64_t epoch_of_fields(const icalendar::DateTime& value)
{
    std::tm fields{};
    fields.tm_year = value.year - 1900;
    fields.tm_mon = value.month - 1;
    fields.tm_mday = value.day;
    fields.tm_hour = value.hour;
    fields.tm_min = value.minute;
    fields.tm_sec = value.second;
    return static_cast<std::int64_t>(timegm(&fields));
}

std::tm utc_fields(std::int64_t epoch)
{
    const auto seconds = static_cast<std::time_t>(epoch);
    std::tm fields{};
    gmtime_r(&seconds, &fields);
    return fields;
}

} // namespace

std::optional<std::int64_t> utc_epoch(std::string_view text)
{
    auto value = icalendar::parse_date_time(text);
    if (!value || value->is_date || !value->utc) {
        return std::nullopt;
    }
    return epoch_of_fields(*value);
}

icalendar::ExpansionOptions FloatingZone::expansion_options() const
{
    icalendar::ExpansionOptions options;
    options.floating_timezone = timezone;
    return options;
}

std::optional<std::int64_t> property_epoch(const icalendar::Component& calendar,
                                           const icalendar::Property& property,
                                           std::string_view value, const FloatingZone& floating)
{
    auto fields = icalendar::parse_date_time(value);
    if (!fields) {
        return std::nullopt;
    }
    auto tzid = property.parameter("TZID");
    const bool zoned = tzid && !fields->is_date;
    if (fields->utc || (!zoned && !floating.timezone)) {
        return epoch_of_fields(*fields);
    }

    // Zoned and floating times go through occurrences() on a one-instance calendar with the
    // same VTIMEZONEs, so they resolve exactly as the recurrence expansion resolves them.
    icalendar::Component probe{"VCALENDAR", {}, {}, 0};
    for (const auto& child : calendar.components) {
        if (child.name == "VTIMEZONE") {
            probe.components.push_back(child);
        }
    }
    icalendar::Component event{"VEVENT", {}, {}, 0};
    icalendar::Property start{"DTSTART", {}, std::string(value), property.line};
    if (zoned) {
        start.set_parameter("TZID", *tzid);
    }
    event.properties.push_back(icalendar::Property{"UID", {}, "probe", 0});
    event.properties.push_back(std::move(start));
    probe.components.push_back(std::move(event));

    constexpr std::int64_t bound = std::int64_t{1} << 40;
    auto expansion = icalendar::occurrences(probe, -bound, bound, floating.expansion_options());
    if (!expansion || expansion->occurrences.empty()) {
        return std::nullopt;
    }
    return expansion->occurrences.front().start;
}

std::string utc_text(std::int64_t epoch)
{
    const auto fields = utc_fields(epoch);
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", fields.tm_year + 1900,
                       fields.tm_mon + 1, fields.tm_mday, fields.tm_hour, fields.tm_min,
                       fields.tm_sec);
}

std::string date_text(std::int64_t epoch)
{
    const auto fields = utc_fields(epoch);
    return fmt::format("{:04}{:02}{:02}", fields.tm_year + 1900, fields.tm_mon + 1,
                       fields.tm_mday);
}

} // namespace robur::caldav
