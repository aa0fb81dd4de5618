// vCard content-line reader, written for robur rather than taken from a library. The vCard
// libraries of Debian 12 (libbelcard 5.1, libvformat 1.13, libvc 012) return only a null
// result on a fault, without its line. vCard 3.0 and 4.0 share the RFC 6350 section 3.3 line
// grammar, so one reader serves both versions.

#include "formats/vcard/content_line.hpp"

#include <optional>

#include <fmt/format.h>

namespace robur::vcard {

namespace {

constexpr std::size_t fold_width = 75;

bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-';
}

std::string to_upper(std::string_view text)
{
    std::string result(text);
    for (auto& c : result) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return result;
}

bool equals_ignoring_case(std::string_view a, std::string_view b)
{
    return to_upper(a) == to_upper(b);
}

// Decodes RFC 6868 caret escapes: ^n is a line feed, ^^ a caret, ^' a double quote. A caret
// before any other character is kept as written.
std::string decode_carets(std::string_view text)
{
    std::string result;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '^' || i + 1 == text.size()) {
            result += text[i];
            continue;
        }
        const char next = text[i + 1];
        if (next == 'n' || next == 'N') {
            result += '\n';
        } else if (next == '^') {
            result += '^';
        } else if (next == '\'') {
            result += '"';
        } else {
            result += '^';
            continue;
        }
        ++i;
    }
    return result;
}

// Encodes a parameter value for writing, quoting it when it contains ',', ';' or ':'.
std::string encode_parameter_value(std::string_view value)
{
    std::string encoded;
    bool quote = false;
    for (const char c : value) {
        if (c == '^') {
            encoded += "^^";
        } else if (c == '\n') {
            encoded += "^n";
        } else if (c == '"') {
            encoded += "^'";
        } else {
            quote = quote || c == ',' || c == ';' || c == ':';
            encoded += c;
        }
    }
    return quote ? "\"" + encoded + "\"" : encoded;
}

// Parses one unfolded line into `line`; returns an error message and the 1-based column of
// the fault when the syntax is invalid.
struct SyntaxFault {
    std::string message;
    std::uint32_t column = 0;
};

std::optional<SyntaxFault> parse_parameters(std::string_view text, std::size_t& pos,
                                            ContentLine& line);

std::optional<SyntaxFault> parse_line(std::string_view text, ContentLine& line)
{
    const auto column = [](std::size_t pos) { return static_cast<std::uint32_t>(pos + 1); };
    std::size_t pos = 0;
    while (pos < text.size() && is_name_char(text[pos])) {
        ++pos;
    }
    if (pos < text.size() && text[pos] == '.' && pos > 0) {
        line.group = std::string(text.substr(0, pos));
        const std::size_t name_start = ++pos;
        while (pos < text.size() && is_name_char(text[pos])) {
            ++pos;
        }
        line.name = to_upper(text.substr(name_start, pos - name_start));
    } else {
        line.name = to_upper(text.substr(0, pos));
    }
    if (line.name.empty()) {
        return SyntaxFault{"content line without a property name", column(pos)};
    }
    if (pos == text.size()) {
        return SyntaxFault{fmt::format("property {} has no ':' before its value", line.name),
                           column(pos)};
    }
    if (text[pos] != ';' && text[pos] != ':') {
        return SyntaxFault{fmt::format("invalid character '{}' in property name {}",
                                       text[pos], line.name),
                           column(pos)};
    }
    if (auto fault = parse_parameters(text, pos, line)) {
        return fault;
    }
    line.value = std::string(text.substr(pos + 1));
    for (std::size_t i = 0; i < line.value.size(); ++i) {
        const auto byte = static_cast<unsigned char>(line.value[i]);
        if ((byte < 0x20 && byte != '\t') || byte == 0x7f) {
            return SyntaxFault{fmt::format("control character 0x{:02X} in the value of {}",
                                           byte, line.name),
                               column(pos + 1 + i)};
        }
    }
    return std::nullopt;
}

bool is_control(char c)
{
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && byte != '\t') || byte == 0x7f;
}

// Reads one parameter value starting at `pos`: a quoted string or a run of safe characters,
// neither with control characters other than HTAB (RFC 6350 section 3.3, SAFE-CHAR).
std::optional<SyntaxFault> parse_parameter_value(std::string_view text, std::size_t& pos,
                                                 Parameter& parameter)
{
    const auto column = [](std::size_t at) { return static_cast<std::uint32_t>(at + 1); };
    const auto control_fault = [&](std::size_t at) {
        return SyntaxFault{fmt::format("control character 0x{:02X} in parameter {}",
                                       static_cast<unsigned char>(text[at]), parameter.name),
                           column(at)};
    };
    if (pos < text.size() && text[pos] == '"') {
        const std::size_t close = text.find('"', pos + 1);
        if (close == std::string_view::npos) {
            return SyntaxFault{fmt::format("parameter {} has a quoted value without its "
                                           "closing '\"'",
                                           parameter.name),
                               column(pos)};
        }
        for (std::size_t at = pos + 1; at < close; ++at) {
            if (is_control(text[at])) {
                return control_fault(at);
            }
        }
        parameter.values.push_back(decode_carets(text.substr(pos + 1, close - pos - 1)));
        pos = close + 1;
        return std::nullopt;
    }
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] != ',' && text[pos] != ';' && text[pos] != ':') {
        if (text[pos] == '"') {
            return SyntaxFault{fmt::format("'\"' inside the unquoted value of parameter {}",
                                           parameter.name),
                               column(pos)};
        }
        if (is_control(text[pos])) {
            return control_fault(pos);
        }
        ++pos;
    }
    parameter.values.push_back(decode_carets(text.substr(start, pos - start)));
    return std::nullopt;
}

std::optional<SyntaxFault> parse_parameters(std::string_view text, std::size_t& pos,
                                            ContentLine& line)
{
    const auto column = [](std::size_t at) { return static_cast<std::uint32_t>(at + 1); };
    while (pos < text.size() && text[pos] == ';') {
        const std::size_t start = ++pos;
        while (pos < text.size() && is_name_char(text[pos])) {
            ++pos;
        }
        Parameter parameter{to_upper(text.substr(start, pos - start)), {}, false};
        if (parameter.name.empty()) {
            return SyntaxFault{fmt::format("empty parameter name in property {}", line.name),
                               column(pos)};
        }
        if (pos < text.size() && (text[pos] == ';' || text[pos] == ':')) {
            // "TEL;WORK:" is the vCard 2.1 form of "TEL;TYPE=WORK:".
            parameter.values.push_back(parameter.name);
            parameter.name = "TYPE";
            parameter.bare = true;
            line.parameters.push_back(std::move(parameter));
            continue;
        }
        if (pos == text.size() || text[pos] != '=') {
            return SyntaxFault{fmt::format("invalid character in parameter name of {}",
                                           line.name),
                               column(pos)};
        }
        ++pos;
        while (true) {
            if (auto fault = parse_parameter_value(text, pos, parameter)) {
                return fault;
            }
            if (pos < text.size() && text[pos] == ',') {
                ++pos;
                continue;
            }
            break;
        }
        line.parameters.push_back(std::move(parameter));
    }
    if (pos == text.size() || text[pos] != ':') {
        return SyntaxFault{fmt::format("property {} has no ':' before its value", line.name),
                           column(pos)};
    }
    return std::nullopt;
}

std::uint32_t line_of_offset(std::string_view text, std::size_t offset, std::uint32_t first)
{
    std::uint32_t line = first;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
        }
    }
    return line;
}

// Collects logical lines into vCards and reports lines outside one.
class CardBuilder {
public:
    CardBuilder(std::string_view path, const ReadLimits& limits, ParsedCards& result)
        : path_(path), limits_(limits), result_(result)
    {
    }

    void add(ContentLine line, std::size_t begin_offset, std::size_t end_offset)
    {
        const bool begin = line.name == "BEGIN" && line.group.empty();
        const bool end = line.name == "END" && line.group.empty();
        if (begin && equals_ignoring_case(line.value, "VCARD")) {
            if (open_) {
                error(line.line, fmt::format("BEGIN:VCARD inside the vCard that starts on line "
                                             "{}: is its END:VCARD missing?",
                                             card_.begin_line));
                finish(begin_offset);
            }
            card_ = RawCard{};
            card_.begin_line = line.line;
            card_.begin_offset = begin_offset;
            open_ = true;
            return;
        }
        if (end && equals_ignoring_case(line.value, "VCARD") && open_) {
            card_.end_line = line.line;
            finish(end_offset);
            return;
        }
        if (!open_) {
            error(line.line, begin || end ? fmt::format("{}:{} is not a vCard boundary here",
                                                        line.name, line.value)
                                          : fmt::format("property {} outside a vCard "
                                                        "(BEGIN:VCARD ... END:VCARD)",
                                                        line.name));
            return;
        }
        if (card_.properties.size() == limits_.max_properties) {
            error(line.line, fmt::format("more than {} properties in the vCard that starts on "
                                         "line {}",
                                         limits_.max_properties, card_.begin_line));
        }
        card_.properties.push_back(std::move(line));
    }

    void mark_blank_line(std::uint32_t line)
    {
        if (!open_) {
            return;
        }
        card_.blank_lines = true;
        result_.diagnostics.push_back(
            {Severity::warning, {std::string(path_), line, 0}, "empty line inside a vCard, removed"});
    }

    void close(std::size_t end_offset)
    {
        if (open_) {
            error(card_.begin_line, "vCard has no END:VCARD");
            finish(end_offset);
        }
    }

    void error(std::uint32_t line, std::string message, std::uint32_t column = 0)
    {
        card_.malformed = card_.malformed || open_;
        result_.diagnostics.push_back(
            {Severity::error, {std::string(path_), line, column}, std::move(message)});
    }

private:
    void finish(std::size_t end_offset)
    {
        card_.end_offset = end_offset;
        result_.cards.push_back(std::move(card_));
        card_ = RawCard{};
        open_ = false;
    }

    std::string_view path_;
    const ReadLimits& limits_;
    ParsedCards& result_;
    RawCard card_;
    bool open_ = false;
};

// A logical line being assembled from its physical lines.
struct PendingLine {
    std::string unfolded;
    std::string source;
    std::uint32_t line = 0;
    std::size_t begin_offset = 0;
    std::size_t end_offset = 0;
    bool active = false;
};

void flush(PendingLine& pending, CardBuilder& builder, const ReadLimits& limits)
{
    if (!pending.active) {
        return;
    }
    pending.active = false;
    if (pending.unfolded.size() > limits.max_line_length) {
        builder.error(pending.line, fmt::format("content line of {} bytes exceeds the limit of "
                                                "{} bytes",
                                                pending.unfolded.size(), limits.max_line_length));
        return;
    }
    ContentLine line;
    line.line = pending.line;
    if (auto fault = parse_line(pending.unfolded, line)) {
        builder.error(pending.line, fault->message, fault->column);
        return;
    }
    line.source = std::move(pending.source);
    builder.add(std::move(line), pending.begin_offset, pending.end_offset);
}

} // namespace

const Parameter* ContentLine::find_parameter(std::string_view parameter_name) const
{
    for (const auto& parameter : parameters) {
        if (parameter.name == parameter_name) {
            return &parameter;
        }
    }
    return nullptr;
}

std::string write_card(const RawCard& card)
{
    std::string text = "BEGIN:VCARD\r\n";
    for (const auto& property : card.properties) {
        text += property.changed ? format_content_line(property) : property.source;
        text += "\r\n";
    }
    text += "END:VCARD\r\n";
    return text;
}

std::size_t find_invalid_utf8(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t minimum = 0;
        std::uint32_t code_point = 0;
        if (byte < 0x80) {
            ++i;
            continue;
        }
        if ((byte & 0xE0) == 0xC0) {
            length = 2;
            minimum = 0x80;
            code_point = byte & 0x1Fu;
        } else if ((byte & 0xF0) == 0xE0) {
            length = 3;
            minimum = 0x800;
            code_point = byte & 0x0Fu;
        } else if ((byte & 0xF8) == 0xF0) {
            length = 4;
            minimum = 0x10000;
            code_point = byte & 0x07u;
        } else {
            return i;
        }
        if (i + length > text.size()) {
            return i;
        }
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) {
                return i;
            }
            code_point = (code_point << 6) | (next & 0x3Fu);
        }
        // Overlong forms, UTF-16 surrogates and values above U+10FFFF are not UTF-8.
        if (code_point < minimum || code_point > 0x10FFFF ||
            (code_point >= 0xD800 && code_point <= 0xDFFF)) {
            return i;
        }
        i += length;
    }
    return std::string_view::npos;
}

ParsedCards read_cards(std::string_view text, std::string_view path, const ReadLimits& limits,
                       std::uint32_t first_line)
{
    ParsedCards result;
    CardBuilder builder(path, limits, result);
    if (const auto bad = find_invalid_utf8(text); bad != std::string_view::npos) {
        builder.error(line_of_offset(text, bad, first_line),
                      fmt::format("invalid UTF-8 byte 0x{:02X}: vCards must be UTF-8; convert "
                                  "the file (for example with iconv) and retry",
                                  static_cast<unsigned char>(text[bad])));
        return result;
    }

    PendingLine pending;
    std::uint32_t number = first_line;
    std::size_t offset = 0;
    for (; offset < text.size(); ++number) {
        std::size_t newline = text.find('\n', offset);
        const std::size_t next = newline == std::string_view::npos ? text.size() : newline + 1;
        std::string_view physical = text.substr(offset, next - offset);
        while (!physical.empty() && (physical.back() == '\n' || physical.back() == '\r')) {
            physical.remove_suffix(1);
        }
        if (!physical.empty() && (physical.front() == ' ' || physical.front() == '\t') &&
            pending.active) {
            pending.unfolded.append(physical.substr(1));
            pending.source.append("\r\n").append(physical);
            pending.end_offset = next;
        } else if (physical.empty()) {
            flush(pending, builder, limits);
            builder.mark_blank_line(number);
        } else {
            flush(pending, builder, limits);
            pending = PendingLine{std::string(physical), std::string(physical), number, offset,
                                  next, true};
        }
        offset = next;
    }
    flush(pending, builder, limits);
    builder.close(text.size());
    return result;
}

std::string unescape_text(std::string_view value)
{
    std::string result;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '\\' || i + 1 == value.size()) {
            result += value[i];
            continue;
        }
        const char next = value[i + 1];
        if (next == 'n' || next == 'N') {
            result += '\n';
        } else if (next == '\\' || next == ',' || next == ';' || next == ':') {
            result += next;
        } else {
            result += '\\';
            continue;
        }
        ++i;
    }
    return result;
}

std::string escape_text(std::string_view text)
{
    std::string result;
    for (const char c : text) {
        if (c == '\\' || c == ',' || c == ';') {
            result += '\\';
            result += c;
        } else if (c == '\n') {
            result += "\\n";
        } else if (c != '\r') {
            result += c;
        }
    }
    return result;
}

std::vector<std::string> split_value(std::string_view value, char separator)
{
    std::vector<std::string> parts(1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
            parts.back() += value.substr(i, 2);
            ++i;
        } else if (value[i] == separator) {
            parts.emplace_back();
        } else {
            parts.back() += value[i];
        }
    }
    return parts;
}

std::string format_content_line(const ContentLine& line)
{
    std::string text = line.group.empty() ? line.name : line.group + "." + line.name;
    for (const auto& parameter : line.parameters) {
        text += ";" + parameter.name + "=";
        for (std::size_t i = 0; i < parameter.values.size(); ++i) {
            text += (i == 0 ? "" : ",") + encode_parameter_value(parameter.values[i]);
        }
    }
    text += ":" + line.value;

    std::string folded;
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const bool starts_character = (byte & 0xC0) != 0x80;
        if (starts_character && width >= fold_width) {
            folded += "\r\n ";
            width = 1;
        }
        folded += text[i];
        ++width;
    }
    return folded;
}

} // namespace robur::vcard
