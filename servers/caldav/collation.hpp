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
    unicode_casemap, // i;unicode-casemap: titlecase mapping, then NFKD (RFC 5051)
};

// Returns the collation with this identifier ("i;octet", ...), or nullopt for another one.
[[nodiscard]] std::optional<Collation> parse_collation(std::string_view identifier);

// Converts UTF-8 text to the titlecased canonicalized form of RFC 5051 section 2: each code
// point is replaced by its simple titlecase mapping (UnicodeData.txt, Unicode 14.0), the
// result is decomposed to NFKD, and combining marks are put in canonical order. "é" and
// "E" followed by U+0301 both give "E" followed by U+0301. Bytes that are not valid UTF-8 are
// copied unchanged, and each one ends a run of combining marks. Because the titlecase step
// uses only one-to-one mappings and comes first, "ß" stays "ß" (not "SS") and U+FB01 "ﬁ"
// gives lower-case "fi", which matches neither "fi" nor "FI".
[[nodiscard]] std::string canonicalize_titlecase(std::string_view utf8);

// Returns the form of `text` that a collation compares byte by byte: the text itself, its
// ASCII letters lower-cased, or its titlecased canonicalized form. Equality, substring,
// prefix and suffix tests on two keys give the collation's result.
[[nodiscard]] std::string collation_key(std::string_view text, Collation collation);

} // namespace robur::caldav
