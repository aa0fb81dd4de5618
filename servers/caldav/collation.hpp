#pragma once

// The collations of CardDAV text-match (RFC 6352 section 8.3): i;octet and i;ascii-casemap
// (RFC 4790 section 9) and i;unicode-casemap (RFC 5051).

#include <optional>
#include <string>
#include <string_view>

namespace robur::caldav {

enum class Collation {
    octet,           // i;octet: bytes compared as they are
    ascii_casemap,   // i;ascii-casemap: a-z and A-Z compare equal, other bytes as they are
    unicode_casemap, // i;unicode-casemap: Unicode full case folding
};

// Returns the collation with this identifier ("i;octet", ...), or nullopt for another one.
[[nodiscard]] std::optional<Collation> parse_collation(std::string_view identifier);

// Applies Unicode full case folding (CaseFolding.txt statuses C and F, Unicode 14.0) to UTF-8
// text: "Straße" and "STRASSE" both give "strasse". Bytes that are not valid UTF-8 are copied
// unchanged.
[[nodiscard]] std::string fold_case(std::string_view utf8);

// Returns the form of `text` that a collation compares byte by byte: the text itself, its
// ASCII letters lower-cased, or its full case folding.
// NOTE: RFC 5051 also normalizes to NFKD before comparing. That step is left out, so a
// precomposed "é" does not match "e" followed by U+0301.
[[nodiscard]] std::string collation_key(std::string_view text, Collation collation);

} // namespace robur::caldav
