#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace robur::icalendar {

// A DATE or DATE-TIME value (RFC 5545 sections 3.3.4 and 3.3.5), as written.
struct DateTime {
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    bool is_date = false; // DATE: no time of day
    bool utc = false;     // written with a trailing 'Z'
    friend auto operator<=>(const DateTime&, const DateTime&) = default;
};

// Parses "YYYYMMDD" or "YYYYMMDDTHHMMSS[Z]" with calendar ranges checked (second 60 allowed
// for a leap second). Returns nullopt for anything else.
[[nodiscard]] std::optional<DateTime> parse_date_time(std::string_view text);

// Parses a DURATION (RFC 5545 section 3.3.6) into seconds, sign included. Returns nullopt for a
// malformed value and for one whose magnitude does not fit in 32 bits, the range libical keeps.
[[nodiscard]] std::optional<std::int64_t> parse_duration(std::string_view text);

// Parses a UTC-OFFSET (RFC 5545 section 3.3.14) "+HHMM" or "+HHMMSS" into seconds; hours
// 0-23, minutes and seconds 0-59, and "-0000" rejected as the RFC requires.
[[nodiscard]] std::optional<int> parse_utc_offset(std::string_view text);

// The rule parts of a RECUR value (RFC 5545 section 3.3.10), names upper-case, values as
// written. Returns nullopt when a part is not NAME=VALUE or a name repeats.
[[nodiscard]] std::optional<std::map<std::string, std::string>> parse_recur_parts(
    std::string_view text);

} // namespace robur::icalendar
