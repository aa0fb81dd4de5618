#pragma once

// Conversion of one vCard between versions 3.0 (RFC 2426) and 4.0 (RFC 6350).

#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"

namespace robur::vcard {

// Converts one valid vCard (as check_card accepts it) to `version`, "3.0" or "4.0". A vCard
// already of that version is returned unchanged. What cannot be carried over (NAME, MAILER,
// CLASS and AGENT going to 4.0, 4.0-only parameters going to 3.0) is dropped with a warning
// added to `diagnostics`. Errors: invalid_argument for another version, parse_error when
// `text` is not one vCard.
[[nodiscard]] Result<std::string> convert_card(std::string_view text, std::string_view version,
                                               std::string_view path,
                                               std::vector<Diagnostic>& diagnostics);

} // namespace robur::vcard
