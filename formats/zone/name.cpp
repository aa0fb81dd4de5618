#include "formats/zone/name.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace robur::zone {

namespace {

constexpr std::uint8_t to_lower(std::uint8_t octet)
{
    return (octet >= 'A' && octet <= 'Z') ? static_cast<std::uint8_t>(octet + ('a' - 'A')) : octet;
}

constexpr std::uint8_t octet_at(std::string_view wire, std::size_t index)
{
    return static_cast<std::uint8_t>(wire[index]);
}

// Offsets of the length octets of every label except the root label, leftmost first.
struct LabelOffsets {
    std::array<std::uint8_t, 128> offsets{};
    std::size_t count = 0;
};

LabelOffsets label_offsets(std::string_view wire)
{
    LabelOffsets result;
    std::size_t position = 0;
    while (position < wire.size() && octet_at(wire, position) != 0) {
        result.offsets[result.count++] = static_cast<std::uint8_t>(position);
        position += 1 + octet_at(wire, position);
    }
    return result;
}

std::string_view label_at(std::string_view wire, std::size_t offset)
{
    return wire.substr(offset + 1, octet_at(wire, offset));
}

Result<Name> parse_error(std::string message)
{
    return make_error(Errc::parse_error, std::move(message));
}

// Reads one presentation-format character at text[position], resolving \X and \DDD escapes.
Result<std::uint8_t> read_octet(std::string_view text, std::size_t& position)
{
    const char current = text[position++];
    if (current != '\\') {
        return static_cast<std::uint8_t>(current);
    }
    if (position >= text.size()) {
        return tl::unexpected(Error{
            Errc::parse_error, fmt::format("name \"{}\" ends with a lone backslash", text), {}});
    }
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!is_digit(text[position])) {
        return static_cast<std::uint8_t>(text[position++]);
    }
    if (position + 3 > text.size() || !is_digit(text[position + 1]) ||
        !is_digit(text[position + 2])) {
        return tl::unexpected(Error{
            Errc::parse_error,
            fmt::format("invalid escape in name \"{}\": \\DDD needs three decimal digits", text),
            {}});
    }
    const int value =
        (text[position] - '0') * 100 + (text[position + 1] - '0') * 10 + (text[position + 2] - '0');
    position += 3;
    if (value > 255) {
        return tl::unexpected(
            Error{Errc::parse_error,
                  fmt::format("invalid escape in name \"{}\": \\{} is above 255", text, value),
                  {}});
    }
    return static_cast<std::uint8_t>(value);
}

// Labels of a presentation-format name in wire form, without the root label, and whether
// the text ended with a dot.
struct ParsedLabels {
    std::string wire;
    bool absolute = false;
};

Result<ParsedLabels> parse_labels(std::string_view text)
{
    if (text.empty()) {
        return make_error(Errc::parse_error, "empty name");
    }
    if (text == ".") {
        return ParsedLabels{std::string(1, '\0'), true};
    }

    ParsedLabels result;
    std::string label;
    const auto finish_label = [&]() -> Result<void> {
        if (label.empty()) {
            return make_error(Errc::parse_error, fmt::format("empty label in name \"{}\"", text));
        }
        if (label.size() > Name::max_label_length) {
            return make_error(
                Errc::parse_error,
                fmt::format("label \"{}\" in name \"{}\" is longer than 63 octets", label, text));
        }
        result.wire += static_cast<char>(label.size());
        result.wire += label;
        label.clear();
        return {};
    };

    std::size_t position = 0;
    while (position < text.size()) {
        const bool escaped = text[position] == '\\';
        auto octet = read_octet(text, position);
        if (!octet) {
            return tl::unexpected(octet.error());
        }
        if (escaped || *octet != '.') {
            label += static_cast<char>(*octet);
            continue;
        }
        if (auto done = finish_label(); !done) {
            return tl::unexpected(done.error());
        }
        result.absolute = position == text.size();
    }
    if (!result.absolute) {
        if (auto done = finish_label(); !done) {
            return tl::unexpected(done.error());
        }
    } else {
        result.wire += '\0';
    }
    return result;
}

bool needs_escape(std::uint8_t octet)
{
    switch (octet) {
    case '.':
    case '\\':
    case '"':
    case ';':
    case '(':
    case ')':
    case '@':
    case '$':
        return true;
    default:
        return false;
    }
}

void append_label_text(std::string& out, std::string_view label)
{
    for (const char c : label) {
        const auto octet = static_cast<std::uint8_t>(c);
        if (octet <= 0x20 || octet >= 0x7f) {
            out += fmt::format("\\{:03d}", octet);
        } else if (needs_escape(octet)) {
            out += '\\';
            out += c;
        } else {
            out += c;
        }
    }
}

} // namespace

Name::Name() : wire_(1, '\0') {}

Result<Name> Name::parse(std::string_view text, const Name& origin)
{
    if (text == "@") {
        return origin;
    }
    auto labels = parse_labels(text);
    if (!labels) {
        return tl::unexpected(labels.error());
    }
    std::string wire = std::move(labels->wire);
    if (!labels->absolute) {
        wire.append(origin.wire_);
    }
    if (wire.size() > max_wire_length) {
        return parse_error(fmt::format("name \"{}\" is longer than 255 octets in wire format ({})",
                                       text, wire.size()));
    }
    return Name(std::move(wire));
}

Result<Name> Name::parse(std::string_view text)
{
    auto labels = parse_labels(text);
    if (!labels) {
        return tl::unexpected(labels.error());
    }
    if (!labels->absolute) {
        return parse_error(fmt::format(
            "name \"{}\" is relative where an absolute name (ending with \".\") is needed", text));
    }
    return parse(text, Name());
}

Result<Name> Name::from_wire(std::span<const std::uint8_t> wire)
{
    std::size_t position = 0;
    while (position < wire.size()) {
        const std::uint8_t length = wire[position];
        if (length == 0) {
            break;
        }
        if (length > max_label_length) {
            return parse_error(fmt::format("invalid label length {} in wire-format name", length));
        }
        position += 1 + length;
    }
    if (position >= wire.size() || position + 1 != wire.size()) {
        return parse_error("wire-format name does not end with the root label");
    }
    if (wire.size() > max_wire_length) {
        return parse_error(
            fmt::format("wire-format name is longer than 255 octets ({})", wire.size()));
    }
    return Name(std::string(wire.begin(), wire.end()));
}

std::span<const std::uint8_t> Name::wire() const
{
    return {reinterpret_cast<const std::uint8_t*>(wire_.data()), wire_.size()};
}

std::size_t Name::label_count() const
{
    return label_offsets(wire_).count;
}

std::string_view Name::label(std::size_t index) const
{
    const auto labels = label_offsets(wire_);
    if (index >= labels.count) {
        return {};
    }
    return label_at(wire_, labels.offsets[index]);
}

bool Name::is_wildcard() const
{
    return wire_.size() >= 2 && octet_at(wire_, 0) == 1 && wire_[1] == '*';
}

bool Name::is_subdomain_of(const Name& other) const
{
    const std::size_t own_labels = label_count();
    const std::size_t other_labels = other.label_count();
    return own_labels >= other_labels && suffix(other_labels) == other;
}

Name Name::parent() const
{
    if (is_root()) {
        return *this;
    }
    return Name(wire_.substr(1 + octet_at(wire_, 0)));
}

Name Name::suffix(std::size_t keep) const
{
    const auto labels = label_offsets(wire_);
    if (keep >= labels.count) {
        return *this;
    }
    if (keep == 0) {
        return Name();
    }
    return Name(wire_.substr(labels.offsets[labels.count - keep]));
}

Result<Name> Name::prepend(std::string_view label) const
{
    if (label.empty() || label.size() > max_label_length) {
        return parse_error(fmt::format("label \"{}\" must be 1 to 63 octets long", label));
    }
    if (wire_.size() + 1 + label.size() > max_wire_length) {
        return parse_error(fmt::format("adding label \"{}\" to \"{}\" makes a name longer than "
                                       "255 octets",
                                       label, to_string()));
    }
    std::string wire;
    wire += static_cast<char>(label.size());
    wire += label;
    wire += wire_;
    return Name(std::move(wire));
}

Result<Name> Name::replace_suffix(const Name& old_suffix, const Name& new_suffix) const
{
    if (!is_subdomain_of(old_suffix)) {
        return make_error(Errc::invalid_argument, fmt::format("\"{}\" is not under \"{}\"",
                                                              to_string(), old_suffix.to_string()));
    }
    std::string wire = wire_.substr(0, wire_.size() - old_suffix.wire_.size());
    wire += new_suffix.wire_;
    if (wire.size() > max_wire_length) {
        return parse_error(fmt::format("replacing \"{}\" with \"{}\" in \"{}\" makes a name longer "
                                       "than 255 octets",
                                       old_suffix.to_string(), new_suffix.to_string(),
                                       to_string()));
    }
    return Name(std::move(wire));
}

Name Name::lowercase() const
{
    std::string wire = wire_;
    std::transform(wire.begin(), wire.end(), wire.begin(), [](char c) {
        return static_cast<char>(to_lower(static_cast<std::uint8_t>(c)));
    });
    return Name(std::move(wire));
}

std::string Name::to_string() const
{
    if (is_root()) {
        return ".";
    }
    std::string out;
    const auto labels = label_offsets(wire_);
    for (std::size_t i = 0; i < labels.count; ++i) {
        append_label_text(out, label_at(wire_, labels.offsets[i]));
        out += '.';
    }
    return out;
}

std::string Name::to_string_relative(const Name& origin) const
{
    if (*this == origin) {
        return "@";
    }
    if (origin.is_root() || !is_subdomain_of(origin)) {
        return to_string();
    }
    std::string out;
    const auto labels = label_offsets(wire_);
    const std::size_t relative_labels = labels.count - origin.label_count();
    for (std::size_t i = 0; i < relative_labels; ++i) {
        if (i > 0) {
            out += '.';
        }
        append_label_text(out, label_at(wire_, labels.offsets[i]));
    }
    return out;
}

bool operator==(const Name& left, const Name& right)
{
    return std::ranges::equal(left.wire_, right.wire_, [](char a, char b) {
        return to_lower(static_cast<std::uint8_t>(a)) == to_lower(static_cast<std::uint8_t>(b));
    });
}

std::strong_ordering operator<=>(const Name& left, const Name& right)
{
    const auto left_labels = label_offsets(left.wire_);
    const auto right_labels = label_offsets(right.wire_);
    const std::size_t common = std::min(left_labels.count, right_labels.count);
    for (std::size_t i = 1; i <= common; ++i) {
        const std::string_view a = label_at(left.wire_, left_labels.offsets[left_labels.count - i]);
        const std::string_view b =
            label_at(right.wire_, right_labels.offsets[right_labels.count - i]);
        const auto order = std::lexicographical_compare_three_way(
            a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
                return to_lower(static_cast<std::uint8_t>(x)) <=>
                       to_lower(static_cast<std::uint8_t>(y));
            });
        if (order != std::strong_ordering::equal) {
            return order;
        }
    }
    return left_labels.count <=> right_labels.count;
}

std::size_t NameHash::operator()(const Name& name) const noexcept
{
    // FNV-1a over the lower-cased wire form, so names equal under operator== hash alike.
    std::uint64_t hash = 14695981039346656037ULL;
    for (const std::uint8_t octet : name.wire()) {
        hash ^= to_lower(octet);
        hash *= 1099511628211ULL;
    }
    return static_cast<std::size_t>(hash);
}

} // namespace robur::zone
