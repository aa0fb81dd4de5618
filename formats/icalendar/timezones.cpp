#include "formats/icalendar/timezones.hpp"

#include <algorithm>
#include <mutex>

#include <libical/ical.h>

#include "formats/icalendar/windows_zones.hpp"

namespace robur::icalendar {
namespace {

// libical 3.0 loads its builtin zones lazily into a shared array without locking.
std::recursive_mutex builtin_zones_mutex;

bool is_tz_database_zone(const std::string& name)
{
    if (name.empty()) {
        return false;
    }
    auto lock = lock_libical_zones();
    return icaltimezone_get_builtin_timezone(name.c_str()) != nullptr;
}

} // namespace

std::unique_lock<std::recursive_mutex> lock_libical_zones()
{
    return std::unique_lock(builtin_zones_mutex);
}

icaltimezone* tz_database_zone(std::string_view tzid)
{
    auto name = iana_name_for_tzid(tzid);
    if (!name) {
        return nullptr;
    }
    auto lock = lock_libical_zones();
    return icaltimezone_get_builtin_timezone(name->c_str());
}

std::optional<std::string> iana_name_for_tzid(std::string_view tzid)
{
    std::string name(tzid);
    if (is_tz_database_zone(name)) {
        return name;
    }
    // Mozilla clients wrote "/mozilla.org/20050126_1/Europe/Paris" and "/Europe/Paris".
    if (name.starts_with('/')) {
        auto slash = name.find('/', 1);
        std::string stripped = name.substr(1);
        if (is_tz_database_zone(stripped)) {
            return stripped;
        }
        for (int parts = 0; parts < 2 && slash != std::string::npos; ++parts) {
            auto candidate = name.substr(slash + 1);
            if (is_tz_database_zone(candidate)) {
                return candidate;
            }
            slash = name.find('/', slash + 1);
        }
    }
    if (auto windows = iana_zone_for_windows_name(tzid)) {
        return std::string(*windows);
    }
    return std::nullopt;
}

ZoneSource resolve_tzid(std::string_view tzid, const std::vector<std::string>& embedded_tzids)
{
    if (std::ranges::find(embedded_tzids, tzid) != embedded_tzids.end()) {
        return ZoneSource::embedded;
    }
    if (iana_zone_for_windows_name(tzid) && !is_tz_database_zone(std::string(tzid))) {
        return ZoneSource::windows;
    }
    return iana_name_for_tzid(tzid) ? ZoneSource::iana : ZoneSource::unknown;
}

} // namespace robur::icalendar
