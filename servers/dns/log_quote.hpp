#pragma once

#include <string>
#include <string_view>

namespace robur::dns {

// Formats a log value in double quotes, with '"' and '\' escaped by a backslash, so that
// key="value" pairs stay parseable when the value is an error message that quotes input.
inline std::string log_quote(std::string_view value)
{
    std::string quoted = "\"";
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            quoted += '\\';
        }
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

} // namespace robur::dns
