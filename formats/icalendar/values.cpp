#include "formats/icalendar/values.hpp"

#include <charconv>
#include <limits>

namespace robur::icalendar {
namespace {

std::optional<int> read_digits(std::string_view text, std::size_t position, std::size_t count)
{
    if (position + count > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = position; i < position + count; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return std::nullopt;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

bool is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month)
{
    constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

} // namespace

std::optional<DateTime> parse_date_time(std::string_view text)
{
    if (text.size() != 8 && text.size() != 15 && text.size() != 16) {
        return std::nullopt;
    }
    auto year = read_digits(text, 0, 4);
    auto month = read_digits(text, 4, 2);
    auto day = read_digits(text, 6, 2);
    if (!year || !month || !day || *month < 1 || *month > 12 || *day < 1 ||
        *day > days_in_month(*year, *month)) {
        return std::nullopt;
    }
    DateTime value{*year, *month, *day, 0, 0, 0, text.size() == 8, false};
    if (value.is_date) {
        return value;
    }

    auto hour = read_digits(text, 9, 2);
    auto minute = read_digits(text, 11, 2);
    auto second = read_digits(text, 13, 2);
    if (text[8] != 'T' || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
        *second > 60) {
        return std::nullopt;
    }
    if (text.size() == 16 && text[15] != 'Z') {
        return std::nullopt;
    }
    value.hour = *hour;
    value.minute = *minute;
    value.second = *second;
    value.utc = text.size() == 16;
    return value;
}

std::optional<std::int64_t> parse_duration(std::string_view text)
{
    std::int64_t sign = 1;
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        sign = text.front() == '-' ? -1 : 1;
        text.remove_prefix(1);
    }
    if (text.size() < 3 || text.front() != 'P') {
        return std::nullopt;
    }
    text.remove_prefix(1);

    // Designators in the order RFC 5545 allows them: W alone, or D then T with H, M, S.
    constexpr std::string_view order = "WDTHMS";
    std::size_t next = 0;
    std::int64_t total = 0;
    bool in_time = false;
    bool any_number = false;
    while (!text.empty()) {
        if (text.front() == 'T') {
            if (in_time || next > order.find('T')) {
                return std::nullopt;
            }
            in_time = true;
            next = order.find('T') + 1;
            text.remove_prefix(1);
            continue;
        }
        std::uint64_t number = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec != std::errc() || end == text.data() || end == text.data() + text.size() ||
            number > std::numeric_limits<std::uint32_t>::max()) {
            return std::nullopt;
        }
        char designator = *end;
        auto place = order.find(designator, next);
        bool time_part = designator == 'H' || designator == 'M' || designator == 'S';
        if (place == std::string_view::npos || time_part != in_time ||
            (designator == 'W' && (total != 0 || any_number))) {
            return std::nullopt;
        }
        constexpr std::int64_t seconds_per[] = {7 * 86400, 86400, 0, 3600, 60, 1};
        total += static_cast<std::int64_t>(number) * seconds_per[place];
        any_number = true;
        next = designator == 'W' ? order.size() : place + 1;
        text.remove_prefix(static_cast<std::size_t>(end - text.data()) + 1);
    }
    if (!any_number || total > std::numeric_limits<std::int32_t>::max()) {
        return std::nullopt;
    }
    return sign * total;
}

std::optional<int> parse_utc_offset(std::string_view text)
{
    if ((text.size() != 5 && text.size() != 7) || (text[0] != '+' && text[0] != '-')) {
        return std::nullopt;
    }
    auto hours = read_digits(text, 1, 2);
    auto minutes = read_digits(text, 3, 2);
    auto seconds = text.size() == 7 ? read_digits(text, 5, 2) : std::optional<int>(0);
    if (!hours || !minutes || !seconds || *hours > 23 || *minutes > 59 || *seconds > 59) {
        return std::nullopt;
    }
    int total = *hours * 3600 + *minutes * 60 + *seconds;
    if (text[0] == '-' && total == 0) {
        return std::nullopt;
    }
    return text[0] == '-' ? -total : total;
}

std::optional<std::map<std::string, std::string>> parse_recur_parts(std::string_view text)
{
    std::map<std::string, std::string> parts;
    while (!text.empty()) {
        auto semicolon = text.find(';');
        auto part = text.substr(0, semicolon);
        text.remove_prefix(semicolon == std::string_view::npos ? text.size() : semicolon + 1);
        auto equals = part.find('=');
        if (equals == std::string_view::npos || equals == 0) {
            return std::nullopt;
        }
        std::string name(part.substr(0, equals));
        for (auto& c : name) {
            if (c >= 'a' && c <= 'z') {
                c = static_cast<char>(c - 'a' + 'A');
            }
        }
        if (!parts.emplace(name, part.substr(equals + 1)).second) {
            return std::nullopt;
        }
    }
    return parts;
}

} // namespace robur::icalendar
