#pragma once

// NSEC3 hashing and the NSEC3 chain of a zone (RFC 5155), with the parameter defaults of
// RFC 9276.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "formats/dnssec/zone_nodes.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {

// The only NSEC3 hash algorithm, SHA-1 (RFC 5155 section 11).
inline constexpr std::uint8_t nsec3_sha1 = 1;
inline constexpr std::uint8_t nsec3_flag_opt_out = 0x01;

// Iterations above this count let validators treat responses as insecure (RFC 9276 section
// 3.2 allows that from 150 on), so the signer rejects them.
inline constexpr std::uint16_t max_nsec3_iterations = 150;

using Nsec3Hash = std::array<std::uint8_t, 20>;

// Parameters of an NSEC3 chain; the defaults are the ones RFC 9276 section 3.1 recommends.
struct Nsec3Options {
    std::vector<std::uint8_t> salt; // at most 255 octets
    std::uint16_t iterations = 0;   // additional iterations of the hash
    bool opt_out = false;           // leave insecure delegations out of the chain
};

// The iterated hash of a name (RFC 5155 section 5): SHA-1 over the lower-cased wire form
// followed by the salt, then iterations more times over the previous hash and the salt.
[[nodiscard]] Nsec3Hash nsec3_hash(const zone::Name& name, std::span<const std::uint8_t> salt,
                                   std::uint16_t iterations);

// Base32 with the extended hex alphabet, lower case and without padding (RFC 4648 section 7,
// RFC 5155 section 3.3), and the reverse, which accepts either case.
[[nodiscard]] std::string base32hex_encode(std::span<const std::uint8_t> data);
Result<std::vector<std::uint8_t>> base32hex_decode(std::string_view text);

// The owner name of the NSEC3 for hash: base32hex(hash).apex. Errors: invalid_argument when it
// would exceed 255 octets.
Result<zone::Name> nsec3_owner(const Nsec3Hash& hash, const zone::Name& apex);

// The fields of an NSEC3 RDATA (RFC 5155 section 3.2).
struct Nsec3 {
    std::uint8_t algorithm = nsec3_sha1;
    std::uint8_t flags = 0;
    std::uint16_t iterations = 0;
    std::vector<std::uint8_t> salt;
    std::vector<std::uint8_t> next_hash; // hash of the next owner in hash order
    std::vector<std::uint16_t> types;    // ascending
};

// Parses and encodes NSEC3 rdata. Errors: parse_error when a field is truncated.
Result<Nsec3> parse_nsec3(std::span<const std::uint8_t> rdata);
[[nodiscard]] std::vector<std::uint8_t> nsec3_rdata(const Nsec3& nsec3);

// The fields of an NSEC3PARAM RDATA (RFC 5155 section 4.2).
struct Nsec3Param {
    std::uint8_t algorithm = nsec3_sha1;
    std::uint8_t flags = 0;
    std::uint16_t iterations = 0;
    std::vector<std::uint8_t> salt;
};

Result<Nsec3Param> parse_nsec3param(std::span<const std::uint8_t> rdata);
[[nodiscard]] std::vector<std::uint8_t> nsec3param_rdata(const Nsec3Param& param);

// Checks the salt length and iteration count. Errors: invalid_argument naming the limit.
Result<void> check_nsec3_options(const Nsec3Options& options);

// The types of the NSEC3 for a node: its RRsets (at a zone cut only NS and DS) plus RRSIG when
// one of them is signed. NSEC3 itself is not listed because it lives at the hashed name.
[[nodiscard]] std::vector<std::uint16_t> nsec3_types(const Node& node);

// True when a node of this kind with these RRsets is an insecure delegation, which opt-out
// leaves out of the chain: a zone cut without DS.
[[nodiscard]] bool is_insecure_delegation(const Node& node);

// One name the NSEC3 chain covers, with its hash and the types of its NSEC3.
struct Nsec3Entry {
    Nsec3Hash hash{};
    zone::Name name; // lower-cased
    std::vector<std::uint16_t> types;
};

// The names the NSEC3 chain covers, in hash order: the nodes in the chain and the empty
// non-terminals above them, without insecure delegations and the empty non-terminals only they
// imply when options.opt_out is set. Hash collisions show as equal neighbours.
[[nodiscard]] std::vector<Nsec3Entry> nsec3_chain_entries(const zone::Name& apex,
                                                          const std::vector<Node>& nodes,
                                                          const Nsec3Options& options);

// Builds the NSEC3 chain (RFC 5155 section 7.1): one NSEC3 for each node in the chain and for
// each empty non-terminal above them, in hash order, each linked to the next hash and the
// last to the first. With opt-out, insecure delegations, and the empty non-terminals only
// they imply, are left out and every NSEC3 carries the opt-out flag. The nodes must already
// hold the NSEC3PARAM at the apex. Errors: invalid_argument for options check_nsec3_options
// rejects and for two names with the same hash (choose another salt).
Result<std::vector<zone::Record>> build_nsec3_chain(const zone::Name& apex,
                                                    const std::vector<Node>& nodes,
                                                    const Nsec3Options& options, std::uint32_t ttl);

// Checks the NSEC3 RRsets of a zone against the NSEC3PARAM at the apex node and the chain
// build_nsec3_chain builds. Every NSEC3 must have the NSEC3PARAM's parameters and the hashed
// owner name of a name in the chain. Each such name needs one NSEC3 with its types, and the
// NSEC3 records must form one closed chain in hash order. An insecure delegation may lack an NSEC3
// when the NSEC3 that covers its hash has the opt-out flag (RFC 5155 section 6). Appends one error
// per fault.
void check_nsec3_chain(const zone::Name& apex, const std::vector<Node>& nodes,
                       const std::vector<RRset>& nsec3_rrsets, std::vector<Diagnostic>& out);

} // namespace robur::dnssec
