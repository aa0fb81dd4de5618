#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace robur::openvpn {

// Limits of openvpn 2.6's config reader (options.h: OPTION_LINE_SIZE, OPTION_PARM_SIZE and
// MAX_PARMS). A line is read in chunks of max_line_chunk bytes. A chunk that fills up without
// reaching the newline is an over-long line, so a line contains at most 254 bytes before its
// newline.
inline constexpr std::size_t max_line_chunk = 255;
inline constexpr std::size_t max_line_length = 256; // the figure openvpn prints in its message
inline constexpr std::size_t max_parameter_length = 256;
// openvpn keeps the option name and at most 15 parameters and drops the rest of the line.
inline constexpr std::size_t max_tokens = 16;

enum class TokenizeError {
    none,
    bad_backslash,        // a backslash before anything but \, " or a space
    unclosed_double_quote,
    unclosed_single_quote,
    residual_state,       // a backslash at the very end of an unquoted parameter
    parameter_too_long,
};

struct TokenizedLine {
    std::vector<std::string> tokens;
    TokenizeError error = TokenizeError::none;
    bool tokens_dropped = false; // more than max_tokens tokens: openvpn ignores the rest
    std::size_t comment_start = std::string_view::npos; // offset of a `#` or `;` comment
};

// Splits one config line into tokens exactly as openvpn 2.6's parse_line() does. `#` and `;`
// start a comment only where a token would start. Double quotes take the escapes \", \\ and
// "\ ", single quotes take none, and a closing quote ends the token. Any other backslash is an
// error.
TokenizedLine tokenize_line(std::string_view line);

// Returns the message openvpn gives for a tokeniser error, without the file and line.
std::string describe(TokenizeError error);

} // namespace robur::openvpn
