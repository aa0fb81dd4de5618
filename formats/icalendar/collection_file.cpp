#include "formats/icalendar/collection_file.hpp"

#include <cstdint>
#include <optional>

#include <fmt/format.h>

namespace robur::icalendar {
namespace {

// Reads Git's config syntax line by line: sections, subsections, "key = value" with quoting,
// escapes and backslash continuation lines, comments after ';' or '#'.
class ConfigReader {
public:
    ConfigReader(std::string_view text, std::string_view path) : text_(text), path_(path) {}

    struct Entry {
        std::string section;    // lower case
        std::string subsection; // as written
        std::string key;        // lower case
        std::string value;
        std::uint32_t line = 0;
    };

    Result<std::vector<Entry>> read();

private:
    bool at_end() const { return position_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[position_]; }
    void skip_blanks();
    void skip_rest_of_line();
    tl::expected<void, Error> read_section_header();
    Result<std::string> read_value();
    tl::unexpected<Error> fail(const std::string& message) const
    {
        return make_error(Errc::parse_error, message, SourceLocation{std::string(path_), line_, 0});
    }

    std::string_view text_;
    std::string_view path_;
    std::size_t position_ = 0;
    std::uint32_t line_ = 1;
    std::string section_;
    std::string subsection_;
};

bool is_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

std::string to_lower(std::string_view text)
{
    std::string lower(text);
    for (auto& c : lower) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return lower;
}

void ConfigReader::skip_blanks()
{
    while (peek() == ' ' || peek() == '\t' || peek() == '\r') {
        ++position_;
    }
}

void ConfigReader::skip_rest_of_line()
{
    while (!at_end() && peek() != '\n') {
        ++position_;
    }
}

tl::expected<void, Error> ConfigReader::read_section_header()
{
    ++position_; // '['
    std::string name;
    while (!at_end() && (is_key_char(peek()) || peek() == '.')) {
        name += text_[position_++];
    }
    if (name.empty()) {
        return fail("invalid section header: expected a section name after '['");
    }
    subsection_.clear();
    skip_blanks();
    if (peek() == '"') {
        ++position_;
        while (!at_end() && peek() != '"') {
            if (peek() == '\n') {
                return fail("invalid section header: unterminated subsection name");
            }
            if (peek() == '\\') {
                ++position_;
            }
            subsection_ += text_[position_++];
        }
        if (at_end()) {
            return fail("invalid section header: unterminated subsection name");
        }
        ++position_;
    }
    if (peek() != ']') {
        return fail(fmt::format("invalid section header for '{}': expected ']'", name));
    }
    ++position_;
    section_ = to_lower(name);
    return {};
}

Result<std::string> ConfigReader::read_value()
{
    std::string value;
    std::string pending_blanks;
    bool quoted = false;
    while (!at_end()) {
        char c = text_[position_++];
        if (c == '\n' && !quoted) {
            --position_;
            break;
        }
        if (c == '\n') {
            return fail("invalid value: unterminated quoted string");
        }
        if (!quoted && (c == ';' || c == '#')) {
            skip_rest_of_line();
            break;
        }
        if (c == '"') {
            quoted = !quoted;
            value += pending_blanks;
            pending_blanks.clear();
            continue;
        }
        if (!quoted && (c == ' ' || c == '\t' || c == '\r')) {
            // Blanks outside quotes count only between words, as git reads them.
            if (!value.empty()) {
                pending_blanks += c == '\r' ? ' ' : c;
            }
            continue;
        }
        value += pending_blanks;
        pending_blanks.clear();
        if (c != '\\') {
            value += c;
            continue;
        }
        if (at_end()) {
            return fail("invalid value: backslash at end of file");
        }
        char escaped = text_[position_++];
        if (escaped == '\r' && peek() == '\n') {
            escaped = text_[position_++];
        }
        switch (escaped) {
        case '\n': ++line_; break; // continuation line
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'b': value += '\b'; break;
        case '\\': value += '\\'; break;
        case '"': value += '"'; break;
        default: return fail(fmt::format("invalid value: unknown escape '\\{}'", escaped));
        }
    }
    if (quoted) {
        return fail("invalid value: unterminated quoted string");
    }
    return value;
}

Result<std::vector<ConfigReader::Entry>> ConfigReader::read()
{
    std::vector<Entry> entries;
    while (!at_end()) {
        skip_blanks();
        char c = peek();
        if (c == '\n') {
            ++position_;
            ++line_;
            continue;
        }
        if (c == ';' || c == '#') {
            skip_rest_of_line();
            continue;
        }
        if (c == '[') {
            if (auto header = read_section_header(); !header) {
                return tl::unexpected(header.error());
            }
            continue;
        }
        if (!is_key_char(c)) {
            return fail(fmt::format("invalid line: unexpected character '{}'", c));
        }
        if (section_.empty()) {
            return fail("invalid line: a key outside any section");
        }

        Entry entry{section_, subsection_, {}, {}, line_};
        while (is_key_char(peek())) {
            entry.key += text_[position_++];
        }
        entry.key = to_lower(entry.key);
        skip_blanks();
        if (peek() == '=') {
            ++position_;
            auto value = read_value();
            if (!value) {
                return tl::unexpected(value.error());
            }
            entry.value = std::move(*value);
        } else if (peek() != '\n' && !at_end() && peek() != ';' && peek() != '#') {
            return fail(fmt::format("invalid line for key '{}': expected '='", entry.key));
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<std::string> split_words(std::string_view text)
{
    std::vector<std::string> words;
    std::string word;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == ',') {
            if (!word.empty()) {
                words.push_back(std::move(word));
                word.clear();
            }
            continue;
        }
        word += c;
    }
    if (!word.empty()) {
        words.push_back(std::move(word));
    }
    return words;
}

// Quotes a value only where Git's syntax needs it: blanks at either end, comment characters,
// quotes, backslashes, control characters, or an empty value.
std::string quote_value(std::string_view value)
{
    bool plain = !value.empty() && value.front() != ' ' && value.back() != ' ' &&
                 value.find_first_of(";#\"\\\n\t\b\r") == std::string_view::npos;
    if (plain) {
        return std::string(value);
    }
    std::string quoted = "\"";
    for (char c : value) {
        switch (c) {
        case '\\': quoted += "\\\\"; break;
        case '"': quoted += "\\\""; break;
        case '\n': quoted += "\\n"; break;
        case '\t': quoted += "\\t"; break;
        case '\b': quoted += "\\b"; break;
        default: quoted += c;
        }
    }
    quoted += '"';
    return quoted;
}

std::string quote_subsection(std::string_view name)
{
    std::string quoted = "\"";
    for (char c : name) {
        if (c == '\\' || c == '"') {
            quoted += '\\';
        }
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

} // namespace

Result<CollectionProperties> parse_collection_file(std::string_view text, std::string_view path)
{
    auto entries = ConfigReader(text, path).read();
    if (!entries) {
        return tl::unexpected(entries.error());
    }

    CollectionProperties properties;
    for (const auto& entry : *entries) {
        if (entry.section == "collection" && entry.subsection.empty()) {
            if (entry.key == "type") {
                properties.type = entry.value;
            } else if (entry.key == "displayname") {
                properties.displayname = entry.value;
            } else if (entry.key == "description") {
                properties.description = entry.value;
            } else if (entry.key == "color") {
                properties.color = entry.value;
            } else if (entry.key == "components") {
                properties.components = split_words(entry.value);
            }
            continue;
        }
        if (entry.section != "property" || entry.key != "value") {
            continue;
        }
        auto space = entry.subsection.find(' ');
        if (space == std::string::npos || space + 1 == entry.subsection.size()) {
            return make_error(Errc::parse_error,
                              fmt::format("invalid property section \"{}\": expected "
                                          "\"<namespace URI> <local name>\"",
                                          entry.subsection),
                              SourceLocation{std::string(path), entry.line, 0});
        }
        properties.dead.push_back(DeadProperty{entry.subsection.substr(0, space),
                                               entry.subsection.substr(space + 1), entry.value});
    }

    if (properties.type != "calendar" && properties.type != "addressbook") {
        auto message = properties.type.empty()
                           ? std::string("missing collection.type: expected calendar or "
                                         "addressbook")
                           : fmt::format("invalid collection.type '{}': expected calendar or "
                                         "addressbook",
                                         properties.type);
        return make_error(Errc::validation_failed, message, SourceLocation{std::string(path), 0, 0});
    }
    return properties;
}

std::string write_collection_file(const CollectionProperties& properties)
{
    std::string text = "[collection]\n";
    text += fmt::format("\ttype = {}\n", quote_value(properties.type));
    if (!properties.displayname.empty()) {
        text += fmt::format("\tdisplayname = {}\n", quote_value(properties.displayname));
    }
    if (!properties.description.empty()) {
        text += fmt::format("\tdescription = {}\n", quote_value(properties.description));
    }
    if (!properties.color.empty()) {
        text += fmt::format("\tcolor = {}\n", quote_value(properties.color));
    }
    if (!properties.components.empty()) {
        text += fmt::format("\tcomponents = {}\n",
                            quote_value(fmt::format("{}", fmt::join(properties.components, " "))));
    }
    for (const auto& property : properties.dead) {
        text += fmt::format("[property {}]\n\tvalue = {}\n",
                            quote_subsection(property.ns + " " + property.name),
                            quote_value(property.value));
    }
    return text;
}

} // namespace robur::icalendar
