#include "formats/zone/tokenizer.hpp"

#include <fmt/format.h>

namespace robur::zone {

namespace {

bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

// Characters that end an unquoted field.
bool ends_word(char c)
{
    return is_blank(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"' || c == '\0';
}

} // namespace

bool Tokenizer::next(Entry& entry)
{
    while (position_ < text_.size()) {
        entry.line = line_;
        entry.inherits_owner = is_blank(text_[position_]) && text_[position_] != '\r';
        entry.tokens.clear();
        entry.error.reset();
        entry.error_line = 0;

        read_entry(entry);
        if (!entry.tokens.empty() || entry.error) {
            return true;
        }
    }
    return false;
}

void Tokenizer::fail(Entry& entry, std::uint32_t line, std::string message)
{
    if (!entry.error) {
        entry.error = std::move(message);
        entry.error_line = line;
    }
}

void Tokenizer::read_entry(Entry& entry)
{
    int depth = 0;
    std::uint32_t open_line = 0;
    while (position_ < text_.size()) {
        const char c = text_[position_];
        if (c == '\n') {
            ++line_;
            ++position_;
            if (depth == 0) {
                return;
            }
        } else if (is_blank(c)) {
            ++position_;
        } else if (c == ';') {
            skip_comment();
        } else if (c == '(') {
            if (depth++ == 0) {
                open_line = line_;
            }
            ++position_;
        } else if (c == ')') {
            if (depth == 0) {
                fail(entry, line_, "unbalanced parentheses: \")\" without a matching \"(\"");
            } else {
                --depth;
            }
            ++position_;
        } else if (c == '"') {
            read_quoted(entry);
        } else if (c == '\0') {
            fail(entry, line_, "invalid NUL byte (0x00): a zone file is text");
            ++position_;
        } else {
            read_word(entry);
        }
    }
    if (depth > 0) {
        fail(entry, open_line,
             fmt::format("unbalanced parentheses: \"(\" opened on line {} is not closed before "
                         "the end of the file",
                         open_line));
    }
}

bool Tokenizer::follows_field() const
{
    if (position_ == 0) {
        return false;
    }
    const char previous = text_[position_ - 1];
    return !is_blank(previous) && previous != '\n' && previous != '(' && previous != ')';
}

void Tokenizer::skip_comment()
{
    while (position_ < text_.size() && text_[position_] != '\n') {
        ++position_;
    }
}

void Tokenizer::read_quoted(Entry& entry)
{
    const std::uint32_t start_line = line_;
    const bool attached = follows_field();
    ++position_; // opening quote
    std::string text;
    while (position_ < text_.size()) {
        const char c = text_[position_];
        if (c == '"') {
            ++position_;
            entry.tokens.push_back(Token{std::move(text), true, start_line, attached});
            return;
        }
        if (c == '\n') {
            break;
        }
        if (c == '\0') {
            fail(entry, line_, "invalid NUL byte (0x00): a zone file is text");
        }
        if (c == '\\' && position_ + 1 < text_.size() && text_[position_ + 1] != '\n') {
            text += c;
            ++position_;
        }
        text += text_[position_++];
    }
    fail(entry, start_line, "quoted string is not closed before the end of the line");
}

void Tokenizer::read_word(Entry& entry)
{
    const bool attached = follows_field();
    std::string text;
    while (position_ < text_.size() && !ends_word(text_[position_])) {
        const char c = text_[position_];
        if (c == '\\' && position_ + 1 < text_.size() && text_[position_ + 1] != '\n' &&
            text_[position_ + 1] != '\0') {
            text += c;
            ++position_;
        }
        text += text_[position_++];
    }
    entry.tokens.push_back(Token{std::move(text), false, line_, attached});
}

std::optional<std::vector<Token>> tokenize_rdata(std::string_view text)
{
    Tokenizer tokenizer(text);
    Entry entry;
    std::vector<Token> tokens;
    while (tokenizer.next(entry)) {
        if (entry.error) {
            return std::nullopt;
        }
        for (auto& token : entry.tokens) {
            tokens.push_back(std::move(token));
        }
    }
    return tokens;
}

} // namespace robur::zone
