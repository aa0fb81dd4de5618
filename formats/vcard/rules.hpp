#pragma once

// Internal to formats_vcard: the per-version property and parameter rules of vCard 3.0
// (RFC 2426) and 4.0 (RFC 6350), shared by check_card and check_card_file.

#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "formats/vcard/content_line.hpp"

namespace robur::vcard::detail {

// Collects the findings about one vCard and whether a repair changed its lines.
struct Findings {
    std::string path;
    std::vector<Diagnostic> diagnostics;
    bool rewrite = false;

    void error(std::uint32_t line, std::string message);
    void warning(std::uint32_t line, std::string message);
};

// Checks every property and parameter of `card` against the rules of `version` ("3.0" or
// "4.0"), repairing in place what docs/calendars.md lists as repaired.
void check_properties(RawCard& card, std::string_view version, Findings& findings);

// Returns the number of properties called `name` in `card`.
[[nodiscard]] std::size_t count_properties(const RawCard& card, std::string_view name);

} // namespace robur::vcard::detail
