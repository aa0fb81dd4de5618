#include "formats/zone/loc.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace robur::zone {

namespace {

using Octets = std::vector<std::uint8_t>;

// RFC 1876 section 2: coordinates are thousandths of an arc second offset by 2^31, the
// altitude is centimetres above a base 100,000 m below the WGS 84 spheroid.
constexpr std::uint32_t equator = 1U << 31;
constexpr std::int64_t altitude_base_cm = 10'000'000;
constexpr std::int64_t max_precision_cm = 9'000'000'000; // 9e9 cm, the largest size encodable

Error invalid(std::string_view what, std::string_view value)
{
    return Error{Errc::parse_error, fmt::format("invalid {} \"{}\" in LOC record", what, value),
                 std::nullopt};
}

// Reads "digits[.fraction]" as an integer scaled by 10^decimals. More fraction digits than
// decimals, a sign or any other character is an error.
std::optional<std::int64_t> parse_fixed(std::string_view text, int decimals)
{
    const auto dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
    if (whole.empty() || whole.size() > 12 || fraction.size() > static_cast<std::size_t>(decimals)) {
        return std::nullopt;
    }
    if (dot != std::string_view::npos && fraction.empty()) {
        return std::nullopt;
    }

    std::int64_t value = 0;
    for (const char digit : whole) {
        if (digit < '0' || digit > '9') {
            return std::nullopt;
        }
        value = value * 10 + (digit - '0');
    }
    for (int position = 0; position < decimals; ++position) {
        const auto index = static_cast<std::size_t>(position);
        const char digit = index < fraction.size() ? fraction[index] : '0';
        if (digit < '0' || digit > '9') {
            return std::nullopt;
        }
        value = value * 10 + (digit - '0');
    }
    return value;
}

// Removes an optional "m" unit suffix from a distance.
std::string_view strip_metres(std::string_view text)
{
    if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) {
        text.remove_suffix(1);
    }
    return text;
}

// Reads one coordinate, "degrees [minutes [seconds]] hemisphere", starting at tokens[next],
// and returns its wire value.
Result<std::uint32_t> parse_coordinate(std::span<const Token> tokens, std::size_t& next,
                                       std::uint32_t max_degrees, char positive, char negative,
                                       std::string_view what)
{
    std::array<std::int64_t, 3> parts{0, 0, 0}; // degrees, minutes, milliseconds
    std::size_t count = 0;
    while (next < tokens.size() && count < 3) {
        const std::string& text = tokens[next].text;
        if (text.size() == 1 && std::isalpha(static_cast<unsigned char>(text[0])) != 0) {
            break;
        }
        const auto value = parse_fixed(text, count == 2 ? 3 : 0);
        if (!value) {
            return tl::unexpected(invalid(what, text));
        }
        parts[count++] = *value;
        ++next;
    }
    if (count == 0) {
        return tl::unexpected(invalid(what, next < tokens.size() ? tokens[next].text : ""));
    }
    const auto is_hemisphere = [&](const std::string& text) {
        return text.size() == 1 &&
               (std::toupper(text[0]) == positive || std::toupper(text[0]) == negative);
    };
    if (next >= tokens.size() || !is_hemisphere(tokens[next].text)) {
        return tl::unexpected(Error{
            Errc::parse_error,
            fmt::format("missing {} or {} after the {} in LOC record", positive, negative, what),
            std::nullopt});
    }
    const bool is_negative = std::toupper(tokens[next].text[0]) == negative;
    ++next;

    if (parts[0] > max_degrees || parts[1] > 59 || parts[2] > 59'999 ||
        (parts[0] == max_degrees && (parts[1] != 0 || parts[2] != 0))) {
        return tl::unexpected(invalid(what, fmt::format("{} {} {}", parts[0], parts[1],
                                                        static_cast<double>(parts[2]) / 1000)));
    }
    const std::int64_t offset = (parts[0] * 3600 + parts[1] * 60) * 1000 + parts[2];
    return static_cast<std::uint32_t>(is_negative ? equator - offset : equator + offset);
}

// Encodes a size or precision in centimetres as RFC 1876's mantissa and power of ten,
// truncating the digits that do not fit.
std::uint8_t encode_precision(std::int64_t centimetres)
{
    std::uint8_t exponent = 0;
    std::int64_t power = 1;
    while (exponent < 9 && centimetres >= power * 10) {
        power *= 10;
        ++exponent;
    }
    const auto mantissa = static_cast<std::uint8_t>(std::min<std::int64_t>(centimetres / power, 9));
    return static_cast<std::uint8_t>((mantissa << 4) | exponent);
}

Result<std::uint8_t> parse_precision(std::string_view text, std::string_view what)
{
    const auto centimetres = parse_fixed(strip_metres(text), 2);
    if (!centimetres || *centimetres > max_precision_cm) {
        return tl::unexpected(invalid(what, text));
    }
    return encode_precision(*centimetres);
}

Result<std::uint32_t> parse_altitude(std::string_view text)
{
    std::string_view digits = strip_metres(text);
    const bool negative = !digits.empty() && digits.front() == '-';
    if (negative) {
        digits.remove_prefix(1);
    }
    const auto centimetres = parse_fixed(digits, 2);
    if (!centimetres) {
        return tl::unexpected(invalid("altitude", text));
    }
    const std::int64_t value = altitude_base_cm + (negative ? -*centimetres : *centimetres);
    if (value < 0 || value > std::int64_t{0xFFFFFFFF}) {
        return tl::unexpected(invalid("altitude", text));
    }
    return static_cast<std::uint32_t>(value);
}

void append_u32(Octets& out, std::uint32_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 24));
    out.push_back(static_cast<std::uint8_t>(value >> 16));
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

} // namespace

Result<std::vector<std::uint8_t>> loc_from_text(std::span<const Token> tokens)
{
    std::size_t next = 0;
    const auto latitude = parse_coordinate(tokens, next, 90, 'N', 'S', "latitude");
    if (!latitude) {
        return tl::unexpected(latitude.error());
    }
    const auto longitude = parse_coordinate(tokens, next, 180, 'E', 'W', "longitude");
    if (!longitude) {
        return tl::unexpected(longitude.error());
    }
    if (next >= tokens.size()) {
        return make_error(Errc::parse_error, "missing altitude in LOC record");
    }
    const auto altitude = parse_altitude(tokens[next++].text);
    if (!altitude) {
        return tl::unexpected(altitude.error());
    }

    // RFC 1876 section 3 defaults: size 1 m, horizontal precision 10 km, vertical 10 m.
    std::array<std::uint8_t, 3> precision{0x12, 0x16, 0x13};
    constexpr std::array<std::string_view, 3> names{"size", "horizontal precision",
                                                    "vertical precision"};
    for (std::size_t index = 0; index < precision.size() && next < tokens.size(); ++index) {
        const auto value = parse_precision(tokens[next++].text, names[index]);
        if (!value) {
            return tl::unexpected(value.error());
        }
        precision[index] = *value;
    }
    if (next < tokens.size()) {
        return make_error(Errc::parse_error,
                          fmt::format("unexpected \"{}\" after the vertical precision in LOC record",
                                      tokens[next].text));
    }

    Octets rdata{0, precision[0], precision[1], precision[2]};
    append_u32(rdata, *latitude);
    append_u32(rdata, *longitude);
    append_u32(rdata, *altitude);
    return rdata;
}

} // namespace robur::zone
