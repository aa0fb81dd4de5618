#pragma once

// Checks of one address object resource as CardDAV stores it: one vCard 3.0 (RFC 2426) or
// 4.0 (RFC 6350) per resource, with the rules of RFC 6352 section 5.1.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"

namespace robur::vcard {

// Bounds on untrusted input. Sizes are in bytes.
struct Limits {
    std::size_t max_resource_size = 10 * 1024 * 1024;
    std::size_t max_line_length = 1024 * 1024;  // one unfolded content line
    std::size_t max_properties = 10000;         // content lines in one vCard
};

// The identity of an accepted vCard, as the server and the CLI report it.
struct CardSummary {
    std::string uid;
    std::string version; // "3.0" or "4.0"
    std::string formatted_name;
};

// The outcome of check_card: `card` is set when the resource may be stored, `repaired` when
// a documented repair applied and those bytes must be stored instead of the input.
struct CheckedCard {
    std::optional<CardSummary> card;
    std::optional<std::string> repaired;
    std::vector<Diagnostic> diagnostics; // errors and warnings, with lines
};

// Where a vCard comes from, which decides the repairs check_card may make. Both origins
// repair what real clients commonly send (see docs/calendars.md, "Contacts").
enum class Origin {
    put,    // a CardDAV PUT: a missing UID or VERSION is an error (RFC 6352 section 5.1)
    import, // `robur card import`: a missing UID is generated and a missing VERSION becomes
            // 4.0, each with a warning
};

// Checks one address object resource (RFC 6352 section 5.1, RFC 6350, RFC 2426): exactly
// one vCard, UTF-8. `path` names the input in diagnostics. Every finding, fatal or not, is
// returned as a diagnostic rather than as an error value.
[[nodiscard]] CheckedCard check_card(std::string_view bytes, std::string_view path,
                                     const Limits& limits, Origin origin = Origin::put);

// One vCard of a file that may hold several, checked with Origin::import rules.
struct FileCard {
    CheckedCard checked;
    std::string text;        // the bytes to store: the vCard as written, or its repaired form
    std::uint32_t line = 0;  // line of its BEGIN:VCARD in the file
};

// The vCards of a file, and the findings that concern the file as a whole (content outside
// a vCard, duplicate UIDs, the size limit).
struct CheckedFile {
    std::vector<FileCard> cards;
    std::vector<Diagnostic> diagnostics;
};

// Splits a file of vCards, as `robur card import` reads it, and checks each one. Diagnostics
// of the cards carry the lines of the file.
[[nodiscard]] CheckedFile check_card_file(std::string_view bytes, std::string_view path,
                                          const Limits& limits);

} // namespace robur::vcard
