#include "formats/zone/text.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace robur::zone::text {

namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int base64_value(char c)
{
    const auto index = base64_alphabet.find(c);
    return index == std::string_view::npos ? -1 : static_cast<int>(index);
}

} // namespace

bool equals_ignoring_case(std::string_view left, std::string_view right)
{
    const auto lower = [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    };
    return std::ranges::equal(left, right, [&](char a, char b) { return lower(a) == lower(b); });
}

Result<std::string> unescape(std::string_view field)
{
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] != '\\') {
            out += field[i];
            continue;
        }
        if (i + 1 >= field.size()) {
            return make_error(Errc::parse_error,
                              fmt::format("\"{}\" ends with a lone backslash", field));
        }
        if (!is_digit(field[i + 1])) {
            out += field[++i];
            continue;
        }
        if (i + 3 >= field.size() || !is_digit(field[i + 2]) || !is_digit(field[i + 3])) {
            return make_error(Errc::parse_error,
                              fmt::format("invalid escape in \"{}\": \\DDD needs three decimal "
                                          "digits",
                                          field));
        }
        const int value =
            (field[i + 1] - '0') * 100 + (field[i + 2] - '0') * 10 + (field[i + 3] - '0');
        if (value > 255) {
            return make_error(
                Errc::parse_error,
                fmt::format("invalid escape in \"{}\": \\{} is above 255", field, value));
        }
        out += static_cast<char>(value);
        i += 3;
    }
    return out;
}

std::string escape(std::string_view octets, bool quoted)
{
    std::string out;
    out.reserve(octets.size());
    for (const char c : octets) {
        const auto octet = static_cast<std::uint8_t>(c);
        const bool special =
            c == '"' || c == '\\' || (!quoted && (c == ';' || c == '(' || c == ')'));
        const bool printable =
            quoted ? (octet >= 0x20 && octet < 0x7f) : (octet > 0x20 && octet < 0x7f);
        if (special) {
            out += '\\';
            out += c;
        } else if (printable) {
            out += c;
        } else {
            out += fmt::format("\\{:03d}", octet);
        }
    }
    return out;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view digits, std::uint64_t max)
{
    if (digits.empty() || digits.size() > 20) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (const char c : digits) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    return value;
}

std::optional<std::uint64_t> parse_duration(std::string_view field, std::uint64_t max)
{
    if (field.empty()) {
        return std::nullopt;
    }
    if (auto plain = parse_unsigned(field, max)) {
        return plain;
    }
    std::uint64_t total = 0;
    std::size_t position = 0;
    while (position < field.size()) {
        const std::size_t start = position;
        while (position < field.size() && is_digit(field[position])) {
            ++position;
        }
        // Every number needs a unit once units are used: "1h30" is ambiguous.
        if (position == start || position == field.size()) {
            return std::nullopt;
        }
        const auto number = parse_unsigned(field.substr(start, position - start), max);
        std::uint64_t unit = 0;
        switch (field[position++]) {
        case 'w':
        case 'W':
            unit = 604800;
            break;
        case 'd':
        case 'D':
            unit = 86400;
            break;
        case 'h':
        case 'H':
            unit = 3600;
            break;
        case 'm':
        case 'M':
            unit = 60;
            break;
        case 's':
        case 'S':
            unit = 1;
            break;
        default:
            return std::nullopt;
        }
        if (!number || *number > (max - total) / unit) {
            return std::nullopt;
        }
        total += *number * unit;
    }
    return total;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view encoded)
{
    if (encoded.size() % 4 != 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> out;
    out.reserve(encoded.size() / 4 * 3);
    for (std::size_t i = 0; i < encoded.size(); i += 4) {
        std::array<int, 4> values{};
        int padding = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = encoded[i + j];
            const bool last_group = i + 4 == encoded.size();
            if (c == '=' && last_group && j >= 2) {
                ++padding;
                values[j] = 0;
                continue;
            }
            if (padding > 0 || (values[j] = base64_value(c)) < 0) {
                return std::nullopt;
            }
        }
        // RFC 4648 section 3.5: the bits after the last octet must be zero, as ldns requires.
        const bool stray_bits =
            (padding == 2 && (values[1] & 0xf) != 0) || (padding == 1 && (values[2] & 0x3) != 0);
        if (stray_bits) {
            return std::nullopt;
        }
        const auto group = static_cast<std::uint32_t>((values[0] << 18) | (values[1] << 12) |
                                                      (values[2] << 6) | values[3]);
        out.push_back(static_cast<std::uint8_t>(group >> 16));
        if (padding < 2) {
            out.push_back(static_cast<std::uint8_t>(group >> 8));
        }
        if (padding < 1) {
            out.push_back(static_cast<std::uint8_t>(group));
        }
    }
    return out;
}

std::string base64_encode(std::span<const std::uint8_t> octets)
{
    std::string out;
    out.reserve((octets.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < octets.size(); i += 3) {
        const std::size_t remaining = octets.size() - i;
        std::uint32_t group = std::uint32_t{octets[i]} << 16;
        if (remaining > 1) {
            group |= std::uint32_t{octets[i + 1]} << 8;
        }
        if (remaining > 2) {
            group |= octets[i + 2];
        }
        out += base64_alphabet[(group >> 18) & 0x3f];
        out += base64_alphabet[(group >> 12) & 0x3f];
        out += remaining > 1 ? base64_alphabet[(group >> 6) & 0x3f] : '=';
        out += remaining > 2 ? base64_alphabet[group & 0x3f] : '=';
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view digits)
{
    if (digits.size() % 2 != 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> out;
    out.reserve(digits.size() / 2);
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        const int high = hex_value(digits[i]);
        const int low = hex_value(digits[i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<std::uint8_t>((high << 4) | low));
    }
    return out;
}

std::string hex_encode(std::span<const std::uint8_t> octets)
{
    std::string out;
    out.reserve(octets.size() * 2);
    for (const std::uint8_t octet : octets) {
        out += fmt::format("{:02x}", octet);
    }
    return out;
}

} // namespace robur::zone::text
