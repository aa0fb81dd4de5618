#include "formats/icalendar/parser.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace robur::icalendar {
namespace {

constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";

// One content line after unfolding, with the physical line it started on.
struct ContentLine {
    std::string text;
    std::uint32_t line = 0;
};

class Parser {
public:
    Parser(std::string_view path, const Limits& limits, ParsedFile& out)
        : path_(path), limits_(limits), out_(out)
    {
    }

    std::vector<ContentLine> unfold(std::string_view bytes);
    void build(const std::vector<ContentLine>& lines);

private:
    void report(Severity severity, std::uint32_t line, std::uint32_t column, std::string message)
    {
        out_.diagnostics.push_back(
            Diagnostic{severity, SourceLocation{std::string(path_), line, column}, std::move(message)});
    }
    bool check_bytes(std::string_view physical, std::uint32_t line);
    std::optional<Property> parse_content_line(const ContentLine& content);
    void begin(const std::string& name, std::uint32_t line);
    void end(const std::string& name, std::uint32_t line);

    std::string_view path_;
    const Limits& limits_;
    ParsedFile& out_;
    std::vector<Component> open_;
    std::size_t component_count_ = 0;
    // BEGINs seen below Limits::max_nesting that are not yet ended. Their components are not
    // built, so a file of nested BEGIN lines cannot grow a tree deep enough to overflow the
    // stack of the recursive walks and destructors.
    std::size_t skipped_depth_ = 0;
};

// Returns the length of the UTF-8 sequence starting at `bytes[0]`, or 0 when it is invalid
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view bytes)
{
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    auto continuation = [&](std::size_t i) { return i < bytes.size() && (byte(i) & 0xC0U) == 0x80U; };
    unsigned char lead = byte(0);
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        return continuation(1) ? 2 : 0;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (!continuation(1) || !continuation(2)) {
            return 0;
        }
        bool overlong = lead == 0xE0 && byte(1) < 0xA0;
        bool surrogate = lead == 0xED && byte(1) >= 0xA0;
        return overlong || surrogate ? 0 : 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (!continuation(1) || !continuation(2) || !continuation(3)) {
            return 0;
        }
        bool overlong = lead == 0xF0 && byte(1) < 0x90;
        bool too_large = lead == 0xF4 && byte(1) >= 0x90;
        return overlong || too_large ? 0 : 4;
    }
    return 0;
}

bool Parser::check_bytes(std::string_view physical, std::uint32_t line)
{
    for (std::size_t i = 0; i < physical.size();) {
        auto byte = static_cast<unsigned char>(physical[i]);
        auto column = static_cast<std::uint32_t>(i + 1);
        if ((byte < 0x20 && byte != '\t') || byte == 0x7F) {
            report(Severity::error, line, column,
                   fmt::format("invalid control character 0x{:02X}", byte));
            return false;
        }
        std::size_t length = utf8_sequence_length(physical.substr(i));
        if (length == 0) {
            report(Severity::error, line, column,
                   fmt::format("invalid UTF-8 byte 0x{:02X}: iCalendar text must be UTF-8 "
                               "(convert the file, for example with iconv)",
                               byte));
            return false;
        }
        i += length;
    }
    return true;
}

std::vector<ContentLine> Parser::unfold(std::string_view bytes)
{
    std::vector<ContentLine> lines;
    std::uint32_t line = 0;
    while (!bytes.empty()) {
        ++line;
        auto newline = bytes.find('\n');
        auto physical = bytes.substr(0, newline);
        bytes.remove_prefix(newline == std::string_view::npos ? bytes.size() : newline + 1);
        if (!physical.empty() && physical.back() == '\r') {
            physical.remove_suffix(1);
        }

        if (!check_bytes(physical, line)) {
            continue;
        }
        if (physical.empty()) {
            report(Severity::warning, line, 0, "empty line ignored");
            out_.repaired = true;
            continue;
        }
        bool continuation = physical.front() == ' ' || physical.front() == '\t';
        if (continuation && lines.empty()) {
            report(Severity::error, line, 1, "continuation line without a content line before it");
            continue;
        }
        if (continuation) {
            lines.back().text.append(physical.substr(1));
        } else {
            lines.push_back(ContentLine{std::string(physical), line});
        }
        if (lines.back().text.size() > limits_.max_line_length) {
            report(Severity::error, lines.back().line, 0,
                   fmt::format("content line longer than {} bytes", limits_.max_line_length));
            lines.pop_back();
        }
    }
    return lines;
}

bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

std::string to_upper(std::string_view text)
{
    std::string upper(text);
    for (auto& c : upper) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return upper;
}

// Reads "name" or "name=value,value" of a parameter list starting at `position`.
std::optional<Parameter> read_parameter(std::string_view text, std::size_t& position)
{
    std::size_t start = position;
    while (position < text.size() && is_name_char(text[position])) {
        ++position;
    }
    if (position == start || position >= text.size() || text[position] != '=') {
        return std::nullopt;
    }
    Parameter parameter{to_upper(text.substr(start, position - start)), {}};
    do {
        ++position; // '=' or ','
        std::string value;
        if (position < text.size() && text[position] == '"') {
            auto close = text.find('"', position + 1);
            if (close == std::string_view::npos) {
                return std::nullopt;
            }
            value = text.substr(position + 1, close - position - 1);
            position = close + 1;
        } else {
            auto stop = text.find_first_of(";:,\"", position);
            if (stop == std::string_view::npos) {
                return std::nullopt;
            }
            value = text.substr(position, stop - position);
            position = stop;
        }
        parameter.values.push_back(std::move(value));
    } while (position < text.size() && text[position] == ',');
    return parameter;
}

std::optional<Property> Parser::parse_content_line(const ContentLine& content)
{
    std::string_view text = content.text;
    std::size_t position = 0;
    while (position < text.size() && is_name_char(text[position])) {
        ++position;
    }
    if (position == 0) {
        report(Severity::error, content.line, 1,
               "invalid content line: expected a property name (letters, digits, '-')");
        return std::nullopt;
    }
    Property property{to_upper(text.substr(0, position)), {}, {}, content.line};

    while (position < text.size() && text[position] == ';') {
        ++position;
        auto parameter = read_parameter(text, position);
        if (!parameter) {
            report(Severity::error, content.line, static_cast<std::uint32_t>(position + 1),
                   fmt::format("invalid parameter in {}: expected NAME=VALUE", property.name));
            return std::nullopt;
        }
        property.parameters.push_back(std::move(*parameter));
    }
    if (position >= text.size() || text[position] != ':') {
        report(Severity::error, content.line, static_cast<std::uint32_t>(position + 1),
               fmt::format("invalid content line for {}: expected ':' before the value",
                           property.name));
        return std::nullopt;
    }
    property.value = text.substr(position + 1);
    return property;
}

void Parser::begin(const std::string& name, std::uint32_t line)
{
    if (open_.empty() && name != "VCALENDAR") {
        report(Severity::error, line, 0,
               fmt::format("BEGIN:{} outside VCALENDAR: a file holds VCALENDAR objects", name));
    }
    if (skipped_depth_ > 0 || open_.size() >= limits_.max_nesting) {
        if (skipped_depth_ == 0) {
            report(Severity::error, line, 0,
                   fmt::format("components nested deeper than {} levels; the content until "
                               "the matching END is ignored",
                               limits_.max_nesting));
        }
        ++skipped_depth_;
        return;
    }
    if (++component_count_ == limits_.max_components + 1) {
        report(Severity::error, line, 0,
               fmt::format("more than {} components in one file", limits_.max_components));
    }
    open_.push_back(Component{name, {}, {}, line});
}

void Parser::end(const std::string& name, std::uint32_t line)
{
    // NOTE: inside ignored components any END counts as the matching one, whatever its name.
    if (skipped_depth_ > 0) {
        --skipped_depth_;
        return;
    }
    if (open_.empty()) {
        report(Severity::error, line, 0, fmt::format("END:{} without a matching BEGIN", name));
        return;
    }
    // An END that matches an outer BEGIN closes the inner ones, which lack their END.
    while (open_.back().name != name) {
        bool outer_match = std::ranges::any_of(open_, [&](const Component& c) { return c.name == name; });
        if (!outer_match) {
            report(Severity::error, line, 0,
                   fmt::format("END:{} does not match BEGIN:{} at line {}", name,
                               open_.back().name, open_.back().line));
            return;
        }
        report(Severity::error, open_.back().line, 0,
               fmt::format("missing END:{} for BEGIN:{} (END:{} at line {} comes first)",
                           open_.back().name, open_.back().name, name, line));
        auto closed = std::move(open_.back());
        open_.pop_back();
        open_.back().components.push_back(std::move(closed));
    }

    auto closed = std::move(open_.back());
    open_.pop_back();
    if (open_.empty()) {
        out_.calendars.push_back(std::move(closed));
    } else {
        open_.back().components.push_back(std::move(closed));
    }
}

void Parser::build(const std::vector<ContentLine>& lines)
{
    for (const auto& content : lines) {
        auto property = parse_content_line(content);
        if (!property) {
            continue;
        }
        if (property->name == "BEGIN" || property->name == "END") {
            auto name = to_upper(property->value);
            if (name.empty() || !std::ranges::all_of(name, is_name_char)) {
                report(Severity::error, content.line, 0,
                       fmt::format("invalid component name '{}'", property->value));
                continue;
            }
            property->name == "BEGIN" ? begin(name, content.line) : end(name, content.line);
            continue;
        }
        if (skipped_depth_ > 0) {
            continue;
        }
        if (open_.empty()) {
            report(Severity::error, content.line, 0,
                   fmt::format("property {} outside any component", property->name));
            continue;
        }
        open_.back().properties.push_back(std::move(*property));
    }

    while (!open_.empty()) {
        report(Severity::error, open_.back().line, 0,
               fmt::format("missing END:{} for BEGIN:{}", open_.back().name, open_.back().name));
        auto closed = std::move(open_.back());
        open_.pop_back();
        if (open_.empty()) {
            out_.calendars.push_back(std::move(closed));
        } else {
            open_.back().components.push_back(std::move(closed));
        }
    }
}

} // namespace

ParsedFile parse_calendar_text(std::string_view bytes, std::string_view path, const Limits& limits)
{
    ParsedFile out;
    if (bytes.size() > limits.max_resource_size) {
        out.diagnostics.push_back(
            Diagnostic{Severity::error, SourceLocation{std::string(path), 0, 0},
                       fmt::format("file of {} bytes exceeds the limit of {} bytes", bytes.size(),
                                   limits.max_resource_size)});
        return out;
    }
    if (bytes.starts_with(byte_order_mark)) {
        // A BOM is not part of RFC 5545 text, but Windows tools write one.
        out.diagnostics.push_back(Diagnostic{Severity::warning,
                                             SourceLocation{std::string(path), 1, 1},
                                             "UTF-8 byte order mark removed"});
        out.repaired = true;
        bytes.remove_prefix(byte_order_mark.size());
    }

    Parser parser(path, limits, out);
    auto lines = parser.unfold(bytes);
    parser.build(lines);
    if (out.calendars.empty() && !has_errors(out.diagnostics)) {
        out.diagnostics.push_back(Diagnostic{Severity::error, SourceLocation{std::string(path), 1, 0},
                                             "no VCALENDAR object in the file"});
    }
    return out;
}

} // namespace robur::icalendar
