#include "formats/zone/generate.hpp"

#include <limits>

#include <fmt/format.h>

#include "formats/zone/text.hpp"

namespace robur::zone::generate {

namespace {

constexpr std::int64_t max_value = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t max_width = 255; // longer text cannot be part of a name

Result<std::int64_t> parse_range_number(std::string_view digits, std::string_view range)
{
    const auto number = text::parse_unsigned(digits, static_cast<std::uint64_t>(max_value));
    if (!number) {
        return make_error(Errc::parse_error,
                          fmt::format("$GENERATE range \"{}\" is out of range: \"{}\" is not a "
                                      "number from 0 to {}",
                                      range, digits, max_value));
    }
    return static_cast<std::int64_t>(*number);
}

Result<std::int64_t> parse_offset(std::string_view digits)
{
    const bool negative = !digits.empty() && digits.front() == '-';
    if (negative || (!digits.empty() && digits.front() == '+')) {
        digits.remove_prefix(1);
    }
    const auto number = text::parse_unsigned(digits, static_cast<std::uint64_t>(max_value));
    if (!number) {
        return make_error(Errc::parse_error,
                          fmt::format("$GENERATE offset \"{}\" is out of range", digits));
    }
    const auto value = static_cast<std::int64_t>(*number);
    return negative ? -value : value;
}

// Returns the nibbles of value lowest first, separated by dots ("f.f" for 255), for ip6.arpa
// owner names. Zero nibbles are added until the text is at least width characters long.
// NOTE: width counts the dots too. Whether BIND 9 counts them the same way has not been
// checked against BIND output.
std::string nibbles(std::int64_t value, std::size_t width, bool upper)
{
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    do {
        if (!out.empty()) {
            out += '.';
        }
        out += digits[value & 0xf];
        value >>= 4;
    } while (value != 0 || out.size() + 1 < width);
    return out;
}

struct Modifier {
    std::int64_t offset = 0;
    std::size_t width = 0;
    char base = 'd';
};

Result<Modifier> parse_modifier(std::string_view body)
{
    const auto invalid = [&] {
        return make_error(Errc::parse_error,
                          fmt::format("invalid $GENERATE modifier \"${{{}}}\": expected "
                                      "${{offset[,width[,base]]}} with base d, o, x, X, n or N",
                                      body));
    };
    Modifier modifier;
    const auto first_comma = body.find(',');
    auto offset = parse_offset(body.substr(0, first_comma));
    if (!offset) {
        return tl::unexpected(offset.error());
    }
    modifier.offset = *offset;
    if (first_comma == std::string_view::npos) {
        return modifier;
    }
    const std::string_view rest = body.substr(first_comma + 1);
    const auto second_comma = rest.find(',');
    const auto width =
        text::parse_unsigned(rest.substr(0, second_comma), static_cast<std::uint64_t>(max_width));
    if (!width) {
        return invalid();
    }
    modifier.width = static_cast<std::size_t>(*width);
    if (second_comma == std::string_view::npos) {
        return modifier;
    }
    const std::string_view base = rest.substr(second_comma + 1);
    if (base.size() != 1 || std::string_view("doxXnN").find(base[0]) == std::string_view::npos) {
        return invalid();
    }
    modifier.base = base[0];
    return modifier;
}

Result<std::string> format_value(std::int64_t iterator, const Modifier& modifier)
{
    const std::int64_t value = iterator + modifier.offset;
    if (value < 0 || value > max_value) {
        return make_error(Errc::parse_error,
                          fmt::format("$GENERATE value {} + {} is out of range (0 to {})", iterator,
                                      modifier.offset, max_value));
    }
    const auto width = modifier.width;
    switch (modifier.base) {
    case 'o':
        return fmt::format("{:0{}o}", value, width);
    case 'x':
        return fmt::format("{:0{}x}", value, width);
    case 'X':
        return fmt::format("{:0{}X}", value, width);
    case 'n':
    case 'N':
        return nibbles(value, width, modifier.base == 'N');
    default:
        return fmt::format("{:0{}d}", value, width);
    }
}

} // namespace

Result<Range> parse_range(std::string_view text)
{
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) {
        return make_error(
            Errc::parse_error,
            fmt::format("invalid $GENERATE range \"{}\": expected start-stop[/step]", text));
    }
    const auto slash = text.find('/', dash);
    auto start = parse_range_number(text.substr(0, dash), text);
    auto stop = parse_range_number(text.substr(dash + 1, slash == std::string_view::npos
                                                             ? std::string_view::npos
                                                             : slash - dash - 1),
                                   text);
    Result<std::int64_t> step = 1;
    if (slash != std::string_view::npos) {
        step = parse_range_number(text.substr(slash + 1), text);
    }
    if (!start) {
        return tl::unexpected(start.error());
    }
    if (!stop) {
        return tl::unexpected(stop.error());
    }
    if (!step) {
        return tl::unexpected(step.error());
    }
    if (*start > *stop) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid $GENERATE range \"{}\": start is above stop", text));
    }
    if (*step == 0) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid $GENERATE range \"{}\": step is 0", text));
    }
    return Range{*start, *stop, *step};
}

Result<std::string> substitute(std::string_view field, std::int64_t value)
{
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        const char c = field[i];
        if (c == '\\' && i + 1 < field.size()) {
            // "\$" is a literal dollar; other escapes stay for the name and rdata parsers.
            if (field[i + 1] != '$') {
                out += c;
            }
            out += field[++i];
            continue;
        }
        if (c != '$') {
            out += c;
            continue;
        }
        if (i + 1 < field.size() && field[i + 1] == '$') {
            out += '$';
            ++i;
            continue;
        }
        Modifier modifier;
        if (i + 1 < field.size() && field[i + 1] == '{') {
            const auto close = field.find('}', i + 2);
            if (close == std::string_view::npos) {
                return make_error(
                    Errc::parse_error,
                    fmt::format("$GENERATE modifier in \"{}\" has no closing \"}}\"", field));
            }
            auto parsed = parse_modifier(field.substr(i + 2, close - i - 2));
            if (!parsed) {
                return tl::unexpected(parsed.error());
            }
            modifier = *parsed;
            i = close;
        }
        auto formatted = format_value(value, modifier);
        if (!formatted) {
            return tl::unexpected(formatted.error());
        }
        out += *formatted;
    }
    return out;
}

} // namespace robur::zone::generate
