#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace robur::zone {

// One field of a master-file entry. text keeps backslash escapes as written, so that each
// consumer resolves them by its own rules (names, character-strings, SvcParams). The quotes
// of a quoted field are removed and quoted is set instead.
struct Token {
    std::string text;
    bool quoted = false;
    std::uint32_t line = 0;
    bool attached = false; // no blank between this field and the previous one: key="value"
};

// One logical entry of a master file (RFC 1035 section 5.1): the fields of one line, or of
// several lines joined by parentheses, without comments.
struct Entry {
    std::uint32_t line = 0;      // line on which the entry starts
    bool inherits_owner = false; // the line starts with a blank: the owner is the previous one
    std::vector<Token> tokens;
    std::optional<std::string> error; // a lexical fault; the entry must not be used
    std::uint32_t error_line = 0;
};

// Splits master-file text into entries, handling parentheses, comments, quoted strings,
// escapes and line counting. A NUL byte, a quote left open at the end of its line and an
// unbalanced parenthesis become the entry's error.
class Tokenizer {
public:
    explicit Tokenizer(std::string_view text) : text_(text) {}

    // Reads the next entry that has fields or an error; false at the end of the input.
    bool next(Entry& entry);

private:
    void read_entry(Entry& entry);
    void read_quoted(Entry& entry);
    void read_word(Entry& entry);
    void skip_comment();
    [[nodiscard]] bool follows_field() const;
    static void fail(Entry& entry, std::uint32_t line, std::string message);

    std::string_view text_;
    std::size_t position_ = 0;
    std::uint32_t line_ = 1;
};

// Splits one line of presentation-format rdata into tokens, as the master-file reader would.
// Returns nullopt when the text has a lexical fault.
std::optional<std::vector<Token>> tokenize_rdata(std::string_view text);

} // namespace robur::zone
