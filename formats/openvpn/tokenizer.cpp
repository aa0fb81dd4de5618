#include "formats/openvpn/tokenizer.hpp"

namespace robur::openvpn {

namespace {

enum class State { initial, double_quoted, unquoted, single_quoted };

// The end of the line counts as a space, as the terminating NUL does in openvpn.
bool is_space(int c)
{
    return c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

} // namespace

TokenizedLine tokenize_line(std::string_view line)
{
    // openvpn reads the line as a C string, so a NUL byte ends it.
    line = line.substr(0, line.find('\0'));
    TokenizedLine result;
    State state = State::initial;
    bool backslash = false;
    std::string parameter;

    // Walks one position past the end, where the NUL of a C string would be.
    for (std::size_t i = 0; i <= line.size(); ++i) {
        const int in = i < line.size() ? static_cast<unsigned char>(line[i]) : 0;
        int out = 0;
        bool done = false;

        if (!backslash && in == '\\' && state != State::single_quoted) {
            backslash = true;
        } else {
            switch (state) {
            case State::initial:
                if (is_space(in)) {
                    break;
                }
                if (in == ';' || in == '#') {
                    result.comment_start = i;
                    return result;
                }
                if (!backslash && in == '"') {
                    state = State::double_quoted;
                } else if (!backslash && in == '\'') {
                    state = State::single_quoted;
                } else {
                    out = in;
                    state = State::unquoted;
                }
                break;
            case State::unquoted:
                if (!backslash && is_space(in)) {
                    done = true;
                } else {
                    out = in;
                }
                break;
            case State::double_quoted:
                if (!backslash && in == '"') {
                    done = true;
                } else {
                    out = in;
                }
                break;
            case State::single_quoted:
                if (in == '\'') {
                    done = true;
                } else {
                    out = in;
                }
                break;
            }

            if (done) {
                result.tokens.push_back(std::move(parameter));
                parameter.clear();
                state = State::initial;
            }

            if (backslash && out != 0 && !(out == '\\' || out == '"' || is_space(out))) {
                result.error = TokenizeError::bad_backslash;
                return result;
            }
            backslash = false;
        }

        if (out != 0) {
            if (parameter.size() >= max_parameter_length) {
                result.error = TokenizeError::parameter_too_long;
                return result;
            }
            parameter.push_back(static_cast<char>(out));
        }

        if (result.tokens.size() >= max_tokens) {
            result.tokens_dropped = line.find_first_not_of(" \t\r\n\v\f", i + 1) != line.npos;
            return result;
        }
    }

    if (state == State::double_quoted) {
        result.error = TokenizeError::unclosed_double_quote;
    } else if (state == State::single_quoted) {
        result.error = TokenizeError::unclosed_single_quote;
    } else if (state != State::initial) {
        result.error = TokenizeError::residual_state;
    }
    return result;
}

std::string describe(TokenizeError error)
{
    switch (error) {
    case TokenizeError::none:
        return {};
    case TokenizeError::bad_backslash:
        return "Bad backslash ('\\') usage: backslashes are shell-style escapes, so write "
               "a backslash in a Windows file name twice, as in \"c:\\\\openvpn\\\\static.key\"";
    case TokenizeError::unclosed_double_quote:
        return "No closing quotation (\")";
    case TokenizeError::unclosed_single_quote:
        return "No closing single quotation (')";
    case TokenizeError::residual_state:
        return "Residual parse state (2): the line ends in a backslash";
    case TokenizeError::parameter_too_long:
        return "Parameter is too long (256 chars max)";
    }
    return {};
}

} // namespace robur::openvpn
