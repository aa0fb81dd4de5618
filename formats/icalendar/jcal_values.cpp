#include "formats/icalendar/jcal_values.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "formats/icalendar/component.hpp"
#include "formats/icalendar/value_types.hpp"
#include "formats/icalendar/values.hpp"

namespace robur::icalendar::detail {
namespace {

using nlohmann::json;

// Recurrence rule parts whose values are integers (RFC 7265 section 3.6.10).
constexpr std::array integer_parts{"COUNT",    "INTERVAL",  "BYSECOND", "BYMINUTE", "BYHOUR",
                                   "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH",  "BYSETPOS"};

std::optional<std::string> jcal_date_time(std::string_view text)
{
    auto value = parse_date_time(text);
    if (!value) {
        return std::nullopt;
    }
    if (value->is_date) {
        return fmt::format("{:04}-{:02}-{:02}", value->year, value->month, value->day);
    }
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", value->year, value->month, value->day,
                       value->hour, value->minute, value->second, value->utc ? "Z" : "");
}

std::string strip_separators(std::string_view text)
{
    std::string plain;
    for (char c : text) {
        if (c != '-' && c != ':') {
            plain += c;
        }
    }
    return plain;
}

std::optional<std::string> ical_date_time(std::string_view text)
{
    // "2013-02-14" or "2013-02-14T13:15:03Z": dashes and colons drop out.
    auto plain = strip_separators(text);
    if (!parse_date_time(plain)) {
        return std::nullopt;
    }
    return plain;
}

std::optional<json> period_to_jcal(std::string_view value)
{
    auto slash = value.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    auto start = jcal_date_time(value.substr(0, slash));
    auto rest = value.substr(slash + 1);
    auto end = rest.starts_with('P') || rest.starts_with('+') || rest.starts_with('-')
                   ? std::optional<std::string>(rest)
                   : jcal_date_time(rest);
    if (!start || !end) {
        return std::nullopt;
    }
    return json(*start + "/" + *end);
}

std::optional<json> recur_to_jcal(std::string_view value)
{
    auto parts = parse_recur_parts(value);
    if (!parts) {
        return std::nullopt;
    }
    json rule = json::object();
    for (const auto& [name, text] : *parts) {
        auto key = name;
        std::ranges::transform(key, key.begin(), [](char c) {
            return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        });
        bool numeric = std::ranges::find(integer_parts, name) != integer_parts.end();
        json values = json::array();
        for (const auto& item : split_escaped(text, ',')) {
            if (name == "UNTIL") {
                auto until = jcal_date_time(item);
                if (!until) {
                    return std::nullopt;
                }
                values.push_back(*until);
            } else if (numeric) {
                int number = 0;
                auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), number);
                if (ec != std::errc() || end != item.data() + item.size()) {
                    return std::nullopt;
                }
                values.push_back(number);
            } else {
                values.push_back(item);
            }
        }
        rule[key] = values.size() == 1 ? values[0] : values;
    }
    return rule;
}

std::optional<std::string> recur_from_jcal(const json& rule)
{
    if (!rule.is_object() || !rule.contains("freq")) {
        return std::nullopt;
    }
    std::vector<std::string> parts;
    auto add_part = [&](const std::string& key, const json& value) -> bool {
        std::string name = key;
        std::ranges::transform(name, name.begin(), [](char c) {
            return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        });
        std::vector<std::string> items;
        for (const auto& item : value.is_array() ? value : json::array({value})) {
            if (item.is_number_integer()) {
                items.push_back(std::to_string(item.get<long long>()));
            } else if (item.is_string() && name == "UNTIL") {
                auto until = ical_date_time(item.get<std::string>());
                if (!until) {
                    return false;
                }
                items.push_back(*until);
            } else if (item.is_string()) {
                items.push_back(item.get<std::string>());
            } else {
                return false;
            }
        }
        parts.push_back(fmt::format("{}={}", name, fmt::join(items, ",")));
        return true;
    };
    if (!add_part("freq", rule["freq"])) {
        return std::nullopt;
    }
    for (const auto& [key, value] : rule.items()) {
        if (key != "freq" && !add_part(key, value)) {
            return std::nullopt;
        }
    }
    return fmt::format("{}", fmt::join(parts, ";"));
}

std::optional<json> utc_offset_to_jcal(std::string_view value)
{
    if (!parse_utc_offset(value)) {
        return std::nullopt;
    }
    auto text = fmt::format("{}:{}", value.substr(0, 3), value.substr(3, 2));
    if (value.size() == 7) {
        text += fmt::format(":{}", value.substr(5, 2));
    }
    return json(text);
}

std::optional<json> time_to_jcal(std::string_view value)
{
    if (value.size() < 6) {
        return std::nullopt;
    }
    auto probe = parse_date_time(fmt::format("20000101T{}", value));
    if (!probe) {
        return std::nullopt;
    }
    return json(fmt::format("{}:{}:{}", value.substr(0, 2), value.substr(2, 2), value.substr(4)));
}

} // namespace

std::optional<json> to_jcal_value(std::string_view type, std::string_view value, std::string_view property_name)
{
    if (type == "text") {
        if (property_name == "REQUEST-STATUS") {
            json parts = json::array();
            for (const auto& part : split_escaped(value, ';')) {
                parts.push_back(unescape_text(part));
            }
            return parts;
        }
        return json(unescape_text(value));
    }
    if (type == "date" || type == "date-time") {
        auto converted = jcal_date_time(value);
        return converted ? std::optional<json>(*converted) : std::nullopt;
    }
    if (type == "time") {
        return time_to_jcal(value);
    }
    if (type == "period") {
        return period_to_jcal(value);
    }
    if (type == "recur") {
        return recur_to_jcal(value);
    }
    if (type == "utc-offset") {
        return utc_offset_to_jcal(value);
    }
    if (type == "boolean") {
        if (value != "TRUE" && value != "FALSE") {
            return std::nullopt;
        }
        return json(value == "TRUE");
    }
    if (type == "integer") {
        long long number = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
        if (ec != std::errc() || end != value.data() + value.size()) {
            return std::nullopt;
        }
        return json(number);
    }
    if (type == "float") {
        json numbers = json::array();
        for (const auto& part : split_escaped(value, ';')) {
            auto parsed = json::parse(part, nullptr, false);
            if (!parsed.is_number()) {
                return std::nullopt;
            }
            numbers.push_back(parsed);
        }
        return property_name == "GEO" ? numbers : numbers[0];
    }
    return json(std::string(value)); // duration, uri, cal-address, binary, unknown
}

std::optional<std::string> from_jcal_value(std::string_view type, const json& value, std::string_view property_name)
{
    if (type == "recur") {
        return recur_from_jcal(value);
    }
    if (value.is_array()) {
        // Structured values: GEO's two floats, REQUEST-STATUS's texts.
        std::vector<std::string> parts;
        for (const auto& part : value) {
            auto text = from_jcal_value(type, part, property_name);
            if (!text) {
                return std::nullopt;
            }
            parts.push_back(*text);
        }
        return fmt::format("{}", fmt::join(parts, ";"));
    }
    if (value.is_boolean()) {
        return std::string(value.get<bool>() ? "TRUE" : "FALSE");
    }
    if (value.is_number()) {
        return value.dump();
    }
    if (!value.is_string()) {
        return std::nullopt;
    }
    auto text = value.get<std::string>();
    if (type == "text") {
        return escape_text(text);
    }
    if (type == "date" || type == "date-time") {
        return ical_date_time(text);
    }
    if (type == "period") {
        auto slash = text.find('/');
        if (slash == std::string::npos) {
            return std::nullopt;
        }
        auto start = ical_date_time(text.substr(0, slash));
        auto rest = text.substr(slash + 1);
        auto end = rest.starts_with('P') ? std::optional<std::string>(rest) : ical_date_time(rest);
        return start && end ? std::optional<std::string>(*start + "/" + *end) : std::nullopt;
    }
    if ((type == "utc-offset" || type == "time") && !text.empty()) {
        // A leading '-' of an offset must survive; the other dashes and colons drop out.
        return text.substr(0, 1) + strip_separators(text.substr(1));
    }
    return text;
}

} // namespace robur::icalendar::detail
