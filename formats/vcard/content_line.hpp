#pragma once

// The content-line layer of vCard 3.0 (RFC 2426 with RFC 2425) and 4.0 (RFC 6350 section 3.3).
// It unfolds lines, reads groups, parameters with quoted values and RFC 6868 caret escapes, and
// splits a file into vCards, each with the lines it came from.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"

namespace robur::vcard {

// One parameter: its name upper-cased and its values with quotes and caret escapes decoded.
struct Parameter {
    std::string name;
    std::vector<std::string> values;
    bool bare = false; // written without "NAME=", as vCard 2.1 did: a TYPE value
};

// One unfolded content line: [group "."] name *(";" param) ":" value.
struct ContentLine {
    std::string group;                  // "item1", or empty
    std::string name;                   // upper-cased ("TEL")
    std::vector<Parameter> parameters;  // in input order
    std::string value;                  // raw value after the first unquoted ':', escapes kept
    std::string source;                 // the physical lines as read, folds kept, no line end
    std::uint32_t line = 0;             // first physical line, counted from 1
    bool changed = false;               // a repair replaced it: write it from the fields

    // Returns the first parameter called `name` (upper-case), or nullptr.
    [[nodiscard]] const Parameter* find_parameter(std::string_view name) const;
};

// One BEGIN:VCARD ... END:VCARD block; `properties` excludes BEGIN and END.
struct RawCard {
    std::vector<ContentLine> properties;
    std::uint32_t begin_line = 0;
    std::uint32_t end_line = 0;      // 0 when END:VCARD is missing
    std::size_t begin_offset = 0;    // byte range of the block in the input, END line included
    std::size_t end_offset = 0;
    bool blank_lines = false;        // empty lines inside, which read_cards skipped
    bool malformed = false;          // a line inside had an error, so it was left out
};

// Bounds applied while reading; sizes in bytes.
struct ReadLimits {
    std::size_t max_line_length = 1024 * 1024;
    std::size_t max_properties = 10000;
};

// The vCards of one input and every finding about the content-line syntax.
struct ParsedCards {
    std::vector<RawCard> cards;
    std::vector<Diagnostic> diagnostics;
};

// Splits `text` into vCards. Lines are counted from `first_line`; `path` names the input in
// diagnostics. Accepts CRLF and bare LF line ends. Reports invalid UTF-8, control characters,
// malformed names and parameters, lines outside a vCard, nested or unterminated vCards.
[[nodiscard]] ParsedCards read_cards(std::string_view text, std::string_view path,
                                     const ReadLimits& limits, std::uint32_t first_line = 1);

// Decodes the escapes of a TEXT value (RFC 6350 section 3.4). "\\n" and "\\N" become a line
// feed, and "\\\\", "\\,", "\\;" and "\\:" lose the backslash. Other backslashes are kept.
[[nodiscard]] std::string unescape_text(std::string_view value);

// Escapes a TEXT value for writing: backslash, comma, semicolon and line feed.
[[nodiscard]] std::string escape_text(std::string_view text);

// Splits a structured value (N, ADR, ORG) at unescaped `separator` bytes, escapes kept.
[[nodiscard]] std::vector<std::string> split_value(std::string_view value, char separator);

// Formats a content line from its fields and folds it at 75 octets without splitting a UTF-8
// sequence (RFC 6350 section 3.2). No line end is appended.
[[nodiscard]] std::string format_content_line(const ContentLine& line);

// Writes a vCard with CRLF line ends: unchanged properties as read, folds included, and
// changed ones formatted from their fields.
[[nodiscard]] std::string write_card(const RawCard& card);

// Returns the byte offset of the first invalid UTF-8 sequence, or npos when `text` is valid.
[[nodiscard]] std::size_t find_invalid_utf8(std::string_view text);

} // namespace robur::vcard
