#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace robur {

// Position of a fault in an input file; line and column count from 1, 0 means unknown.
struct SourceLocation {
    std::string path;
    std::uint32_t line = 0;
    std::uint32_t column = 0;

    // Formats as "path:line:column", leaving out the parts that are unknown.
    [[nodiscard]] std::string to_string() const;
};

// Category of an expected failure; the CLI maps these to exit codes.
enum class Errc {
    invalid_argument, // a value the caller gave is malformed
    usage,            // the command line itself is wrong
    not_found,        // a file, zone, ref or object does not exist
    parse_error,      // input bytes are not valid for their format
    validation_failed,
    conflict,         // a compare-and-swap lost against a concurrent writer
    dirty_worktree,   // uncommitted edits would be overwritten
    io_error,
    git_error,
    unsupported,
    timed_out,
    internal,
};

// An expected failure: a code, a one-line message and, when the fault is in a file, where.
struct Error {
    Errc code = Errc::internal;
    std::string message;
    std::optional<SourceLocation> where;

    // Formats as "path:line:column: message", or the message alone without a location.
    [[nodiscard]] std::string to_string() const;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Builds the unexpected value for a Result.
inline tl::unexpected<Error> make_error(Errc code, std::string message,
                                        std::optional<SourceLocation> where = std::nullopt)
{
    return tl::unexpected<Error>(Error{code, std::move(message), std::move(where)});
}

} // namespace robur
