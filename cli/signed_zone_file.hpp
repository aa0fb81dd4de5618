#pragma once

// The layout of a master file that `robur zone sign` wrote. The user's own text comes first, as
// written, then one marker line. Every record the signer generated follows (DNSKEY, NSEC3PARAM,
// the NSEC or NSEC3 chain and RRSIG), with absolute owner names, explicit TTLs and classes:
//
//   ...the user's records, comments and directives...
//   ;; robur zone sign: generated records below are replaced at each signing (serial 5, sha256 HEX)
//   example.com. 3600 IN DNSKEY 257 3 13 ...
//
// The digest covers the user's text, every file it includes and the generated block, so a
// later signing can tell whether anything changed since robur wrote the block.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace robur::cli {

// The start of the marker line.
inline constexpr std::string_view signed_block_marker = ";; robur zone sign:";

// A master file split at the marker line.
struct SignedFileParts {
    std::string user_text;           // the text before the marker line
    std::optional<std::string> block; // the text after the marker line; nullopt without one
    std::uint32_t marker_line = 0;   // line number of the marker (from 1), 0 without one
    std::optional<std::uint32_t> serial; // the serial the marker names
    std::string digest;                  // the marker's SHA-256 in hex, empty when missing
};

// Splits a master file at the first marker line.
[[nodiscard]] SignedFileParts split_signed_file(std::string_view text);

// The SHA-256 in lower-case hex over the user's text, the texts of the files it includes (in
// the order given) and the generated block, each preceded by its length so that text cannot
// move from one part to another unnoticed.
[[nodiscard]] std::string signed_file_digest(std::string_view user_text,
                                             const std::vector<std::string>& included_texts,
                                             std::string_view block);

// The same digest over a block given as consecutive parts, so that a block formatted in pieces
// is hashed without joining it first.
[[nodiscard]] std::string signed_file_digest(std::string_view user_text,
                                             const std::vector<std::string>& included_texts,
                                             std::span<const std::string> block_parts);

// The marker line without its newline.
[[nodiscard]] std::string signed_block_marker_line(std::uint32_t serial, std::string_view digest);

// Joins the user's text (given a final newline when it lacks one), the marker line and the
// generated block.
[[nodiscard]] std::string join_signed_file(std::string_view user_text, std::uint32_t serial,
                                           std::string_view digest, std::string_view block);

// Joins as above, with the block given as consecutive parts.
[[nodiscard]] std::string join_signed_file(std::string_view user_text, std::uint32_t serial,
                                           std::string_view digest,
                                           std::span<const std::string> block_parts);

} // namespace robur::cli
