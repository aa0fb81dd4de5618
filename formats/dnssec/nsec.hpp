#pragma once

// NSEC records and the NSEC chain of a zone (RFC 4034 section 4, RFC 4035 section 2.3), and
// the type bitmaps that NSEC and NSEC3 share.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "formats/dnssec/zone_nodes.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {

// Encodes types as a windowed type bitmap (RFC 4034 section 4.1.2): only windows with a type
// set, each without trailing zero octets. types may be in any order and hold duplicates.
[[nodiscard]] std::vector<std::uint8_t> encode_type_bitmap(std::vector<std::uint16_t> types);

// Decodes a type bitmap into ascending types. Errors: parse_error when windows are out of
// order or repeated, a length is 0 or above 32, or the field is truncated.
Result<std::vector<std::uint16_t>> decode_type_bitmap(std::span<const std::uint8_t> bitmap);

// The types as mnemonics separated by spaces, or "no types".
[[nodiscard]] std::string types_to_string(const std::vector<std::uint16_t>& types);

// The fields of an NSEC RDATA.
struct Nsec {
    zone::Name next; // next owner name in canonical order, the apex after the last name
    std::vector<std::uint16_t> types; // ascending
};

// Parses NSEC rdata. Errors: parse_error for a malformed next name or type bitmap.
Result<Nsec> parse_nsec(std::span<const std::uint8_t> rdata);

// Encodes NSEC rdata.
[[nodiscard]] std::vector<std::uint8_t> nsec_rdata(const Nsec& nsec);

// The types of the NSEC at a node of the chain: its RRsets plus RRSIG and NSEC, and at a zone
// cut only NS, DS, RRSIG and NSEC (RFC 4035 section 2.3).
[[nodiscard]] std::vector<std::uint16_t> nsec_types(const Node& node);

// TTL of NSEC and NSEC3 records: the lower of the apex SOA's TTL and MINIMUM field (RFC 9077
// section 3). Errors: invalid_argument when the apex has no SOA or it is malformed.
Result<std::uint32_t> denial_ttl(const std::vector<Node>& nodes);

// Builds one NSEC record for each node in the chain (is_in_chain), in canonical order, each
// pointing to the next one and the last to the apex. Empty non-terminals have no node, so
// they get no NSEC. Owner and next names are lower-cased, so that the canonical form is the
// same whether a validator lower-cases the next name (RFC 4034) or not (RFC 6840).
[[nodiscard]] std::vector<zone::Record> build_nsec_chain(const std::vector<Node>& nodes,
                                                         std::uint32_t ttl);

// Checks the NSEC records at the nodes against the chain build_nsec_chain builds: one NSEC at
// each node in the chain, none elsewhere, each pointing to the next name with the node's
// types. Appends one error per fault, located at the NSEC or the node's first record.
void check_nsec_chain(const std::vector<Node>& nodes, std::vector<Diagnostic>& out);

} // namespace robur::dnssec
