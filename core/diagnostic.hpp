#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace robur {

enum class Severity { warning, error };

// One finding of a parser or validator, with the place in the input it refers to.
struct Diagnostic {
    Severity severity = Severity::error;
    SourceLocation where;
    std::string message;

    // Formats as "path:line: error: message" (column added when known).
    [[nodiscard]] std::string to_string() const;
};

// Returns true when any diagnostic in the list is an error.
[[nodiscard]] bool has_errors(const std::vector<Diagnostic>& diagnostics);

[[nodiscard]] const char* to_string(Severity severity);

} // namespace robur
