#pragma once

// The canonical form and order of resource records that DNSSEC signs (RFC 4034 section 6).
// Canonical name order is zone::Name's operator<=>.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {

// True when the names inside the RDATA of this type are lower-cased in canonical form: the
// list of RFC 4034 section 6.2 item 3 without NSEC and RRSIG, which RFC 6840 section 5.1
// removes from it.
[[nodiscard]] bool lowercases_rdata_names(std::uint16_t type);

// Returns rdata in canonical form: the embedded names lower-cased for the types
// lowercases_rdata_names() lists, unchanged for every other type. Errors: parse_error when
// the rdata is too short for the names and fields the type defines.
Result<std::vector<std::uint8_t>> canonical_rdata(std::uint16_t type,
                                                  std::span<const std::uint8_t> rdata);

// One RRset in canonical form, ready to be signed or verified.
struct RRset {
    zone::Name owner; // lower-cased
    std::uint16_t type = 0;
    std::uint16_t rclass = zone::rrclass::in;
    std::uint32_t ttl = 0; // the lowest TTL of its records (RFC 2181 section 5.2)
    // Canonical RDATA in canonical RRset order (RFC 4034 section 6.3), duplicates removed.
    std::vector<std::vector<std::uint8_t>> rdatas;
    SourceLocation where; // location of the first record, empty when built in code
};

// Groups records into RRsets by owner name (ignoring case), class and type, ordered by owner
// in canonical order, then type, then class. Errors: as canonical_rdata, located at the record.
Result<std::vector<RRset>> group_rrsets(std::span<const zone::Record> records);

// Appends one RR in canonical wire form (RFC 4034 section 6.2): owner, type, class, ttl,
// RDATA length and rdata. owner_wire and rdata must already be in canonical form.
void append_canonical_rr(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> owner_wire,
                         std::uint16_t type, std::uint16_t rclass, std::uint32_t ttl,
                         std::span<const std::uint8_t> rdata);

// Returns the length of the uncompressed wire-format name at the start of wire, or nothing when
// it is truncated, has a compression pointer or exceeds 255 octets.
[[nodiscard]] std::optional<std::size_t> wire_name_length(std::span<const std::uint8_t> wire);

// Appends value in network byte order.
void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value);
void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value);

} // namespace robur::dnssec
