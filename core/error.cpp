#include "core/error.hpp"

#include <fmt/format.h>

#include "core/diagnostic.hpp"

namespace robur {

std::string SourceLocation::to_string() const
{
    std::string text = path.empty() ? std::string("<input>") : path;
    if (line != 0) {
        text += fmt::format(":{}", line);
        if (column != 0) {
            text += fmt::format(":{}", column);
        }
    }
    return text;
}

std::string Error::to_string() const
{
    if (!where) {
        return message;
    }
    return fmt::format("{}: {}", where->to_string(), message);
}

const char* to_string(Severity severity)
{
    return severity == Severity::error ? "error" : "warning";
}

std::string Diagnostic::to_string() const
{
    return fmt::format("{}: {}: {}", where.to_string(), robur::to_string(severity), message);
}

bool has_errors(const std::vector<Diagnostic>& diagnostics)
{
    for (const auto& diagnostic : diagnostics) {
        if (diagnostic.severity == Severity::error) {
            return true;
        }
    }
    return false;
}

} // namespace robur
