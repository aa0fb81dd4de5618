#pragma once

// Conversion to wire format, without ldns, of the rdata that large and signed zones are mostly
// made of, because the ldns path dominates the time to load a large signed zone.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "formats/zone/name.hpp"
#include "formats/zone/tokenizer.hpp"

namespace robur::zone {

// Converts the rdata of an A, AAAA, NS, CNAME, SOA, MX, DS, DNSKEY, RRSIG, NSEC, NSEC3 or
// NSEC3PARAM record written in its plain form. That form has one token per field, decimal
// numbers without leading zeros or units, numeric algorithms and unescaped names. RRSIG times
// are YYYYMMDDHHmmSS, and NSEC and NSEC3 types ascend. The result is rdata_from_text's.
// Returns nullopt for every other type or form, valid or not, so that the caller falls back
// to rdata_from_text, which also reports every error.
std::optional<std::vector<std::uint8_t>> fast_rdata_from_text(std::uint16_t type,
                                                              std::span<const Token> tokens,
                                                              const Name& origin);

} // namespace robur::zone
