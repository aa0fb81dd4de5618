#pragma once

// The state of answering one query, shared by responder.cpp and responder_dnssec.cpp.

#include <array>
#include <cstddef>
#include <cstdint>

#include "servers/dns/responder.hpp"

namespace robur::dns {

struct Responder::Lookup {
    const CompiledZone* zone = nullptr;
    Rcode rcode = Rcode::noerror;
    bool authoritative = true;
    bool truncated = false;
    bool all_of_any = false; // ANY over TCP returns every RRset of the name
    bool dnssec = false;     // the query has DO set and the zone is signed

    // The position of the current name, for the proofs of a negative or wildcard answer. The
    // label indexes count labels of the current name from the left: where its closest
    // encloser starts when the answer comes from the wildcard below it (else 0), and where
    // the closest encloser of a name error starts. negative_node is the node of NODATA.
    std::size_t wildcard_label = 0;
    std::size_t encloser_label = 0;
    std::uint32_t negative_node = no_index;

    // NSEC or NSEC3 RRsets to add to the authority section, without duplicates. Each step of
    // a chain adds at most two (a wildcard answer), the final answer at most three.
    struct Proof {
        bool nsec3;
        std::uint32_t index; // node of an NSEC RRset, or NSEC3 entry
    };
    std::array<Proof, 2 * (max_chain_links + 1) + 3> proofs;
    std::size_t proof_count = 0;
    MessageWriter::Mark after_question;
    std::array<std::uint32_t, max_chain_links + 1> visited{};
    std::size_t links = 0;
    std::array<std::uint32_t, 16> address_nodes{}; // whose addresses are already written
    std::size_t address_node_count = 0;
};

} // namespace robur::dns
