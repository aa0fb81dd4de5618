#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "formats/zone/zone.hpp"

namespace robur::zone {

// A file named by $INCLUDE, as the caller's resolver found it.
struct IncludedFile {
    std::string path; // normalised path, used in diagnostics and Zone::files
    std::string text;
};

// Reads the target of an $INCLUDE directive. including_path is the file that contains the
// directive and target the path as written. The resolver decides where files may come from
// (robur only allows files inside the repository) and fails with a message otherwise.
using IncludeResolver =
    std::function<Result<IncludedFile>(std::string_view including_path, std::string_view target)>;

struct ParseOptions {
    Name origin;                              // initial $ORIGIN, the zone apex
    std::optional<std::uint32_t> default_ttl; // TTL before the first $TTL; none: SOA minimum
    IncludeResolver include;                  // empty: every $INCLUDE is an error
    std::size_t max_include_depth = 8;
    std::size_t max_generate_records = 65536; // per $GENERATE directive
};

struct ParseResult {
    Zone zone;
    std::vector<Diagnostic> diagnostics; // every fault found, not only the first

    [[nodiscard]] bool ok() const { return !has_errors(diagnostics); }
};

// Parses an RFC 1035 master file with $ORIGIN, $TTL, $INCLUDE and BIND's $GENERATE. path
// names the input in diagnostics. Parsing goes on after an error so that every faulty line is
// reported; records from faulty lines are left out of the result.
ParseResult parse_zone(std::string_view text, std::string_view path, const ParseOptions& options);

// Parses a TTL in seconds, plain ("3600") or with BIND's units ("1h30m", "1w"). Fails when it
// is malformed or above 2147483647 (RFC 2181 section 8).
Result<std::uint32_t> parse_ttl(std::string_view text);

} // namespace robur::zone
