#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

// Conversions between presentation-format text and octets shared by the rdata parsers.
namespace robur::zone::text {

// Compares ASCII text ignoring case, as DNS mnemonics and names are compared (RFC 4343).
bool equals_ignoring_case(std::string_view left, std::string_view right);

// Resolves the \X and \DDD escapes of a presentation-format field (RFC 1035 section 5.1).
Result<std::string> unescape(std::string_view field);

// Escapes octets for a character-string. Inside quotes only '"', '\' and non-printable octets
// are escaped; unquoted, blanks and ';', '(', ')' are escaped too.
std::string escape(std::string_view octets, bool quoted);

// Parses a decimal number of at most max; nullopt for anything else (signs, blanks, overflow).
std::optional<std::uint64_t> parse_unsigned(std::string_view digits, std::uint64_t max);

// Parses a duration in seconds, plain ("3600") or with BIND's units w, d, h, m and s in
// either case ("1h30m"). Returns nullopt when it is malformed or above max.
std::optional<std::uint64_t> parse_duration(std::string_view field, std::uint64_t max);

// Decodes base64 (RFC 4648 section 4) with padding and zero bits after the last octet;
// nullopt when malformed.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view encoded);
std::string base64_encode(std::span<const std::uint8_t> octets);

// Decodes hexadecimal digits in either case; nullopt on an odd count or another character.
std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view digits);
std::string hex_encode(std::span<const std::uint8_t> octets);

} // namespace robur::zone::text
