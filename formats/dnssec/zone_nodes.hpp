#pragma once

// The owner names of a zone with their RRsets, in canonical order, each marked with the role
// it has for signing (RFC 4035 section 2.2). Shared by the signer, the NSEC and NSEC3 chains
// and zone verification.

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "formats/dnssec/canonical.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {

enum class NodeKind {
    apex,
    authoritative,     // below the apex, with data of this zone
    delegation,        // a zone cut: NS below the apex, not itself below another cut
    non_authoritative, // below a zone cut: glue or occluded data
};

// One owner name and its RRsets.
struct Node {
    zone::Name name; // lower-cased
    NodeKind kind = NodeKind::authoritative;
    std::vector<RRset> rrsets; // ordered by type, then class

    [[nodiscard]] bool has_type(std::uint16_t type) const;
};

// Builds the nodes of the zone at apex from records, in canonical name order. Errors:
// invalid_argument, located at the record, for a record outside the zone and for data below a
// DNAME owner, which RFC 6672 section 2.4 forbids. It also passes on the errors of group_rrsets.
Result<std::vector<Node>> build_nodes(const zone::Name& apex,
                                      std::span<const zone::Record> records);

// True when an RRset of this type at a node of this kind is authoritative data that carries an
// RRSIG (RFC 4035 section 2.2). That is every RRset at the apex and at authoritative names, only
// DS and NSEC at zone cuts, and nothing below them.
[[nodiscard]] bool is_signed_rrset(NodeKind kind, std::uint16_t type);

// True when a node of this kind is part of the NSEC or NSEC3 chain: the apex, authoritative
// names and zone cuts, but not glue or occluded names (RFC 4035 section 2.3).
[[nodiscard]] bool is_in_chain(NodeKind kind);

} // namespace robur::dnssec
