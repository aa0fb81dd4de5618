// The DNSSEC part of answering: RRSIGs beside the RRsets they cover and the NSEC or NSEC3
// records that prove a negative, wildcard or referral answer (RFC 4035 section 3.1,
// RFC 5155 section 7.2). Only called for queries with DO set to a signed zone.

#include <algorithm>
#include <cstring>

#include "formats/zone/record.hpp"
#include "servers/dns/responder.hpp"
#include "servers/dns/responder_lookup.hpp"

namespace robur::dns {

namespace rrtype = zone::rrtype;

// Writes the RRSIGs covering rrset under owner, all or none.
bool Responder::add_signatures(Section section, const CompiledZone::RRset& rrset,
                               std::span<const std::uint8_t> owner, Lookup& lookup)
{
    const auto signatures = lookup.zone->signatures(rrset);
    const auto before = writer_.mark();
    for (std::uint32_t i = 0; i < signatures.record_count; ++i) {
        if (!writer_.add_record(section, owner, lookup.zone->record(signatures.first_record + i))) {
            writer_.rollback(before);
            return false;
        }
    }
    return true;
}

// Collects the proof of the negative answer for the current name.
void Responder::prove_negative(Lookup& lookup)
{
    if (lookup.rcode == Rcode::nxdomain) {
        prove_nxdomain(lookup.encloser_label, lookup);
    } else if (lookup.wildcard_label != 0) {
        prove_wildcard_nodata(lookup.negative_node, lookup);
    } else if (lookup.negative_node != no_index) {
        prove_nodata(lookup.negative_node, lookup);
    }
}

// Name error: nothing matches the current name and no wildcard below its closest encloser.
// NSEC: the NSEC covering the name and the one covering the wildcard (RFC 4035 section
// 3.1.3.2). NSEC3: the closest encloser proof and the NSEC3 covering the wildcard (RFC 5155
// section 7.2.2).
void Responder::prove_nxdomain(std::size_t encloser_label, Lookup& lookup)
{
    const std::span<const std::uint8_t> name{current_lower_.data(), current_length_};
    if (lookup.zone->nsec3_parameters() == nullptr) {
        add_nsec_covering(name, lookup);
        add_nsec_covering(wildcard_below(encloser_label), lookup);
        return;
    }
    const std::size_t provable = add_closest_encloser_proof(encloser_label, lookup);
    if (provable != 0) {
        add_nsec3_covering(wildcard_below(provable), lookup);
    }
}

// No data of the query type at an existing name. NSEC: the name's NSEC, or for an empty
// non-terminal the NSEC covering it (RFC 4035 section 3.1.3.1). NSEC3: the NSEC3 matching the
// name (RFC 5155 section 7.2.3). Opt-out leaves insecure delegations and the empty
// non-terminals above them without one, so they get the closest encloser proof, whose
// covering NSEC3 has the opt-out flag (RFC 5155 section 7.2.4).
void Responder::prove_nodata(std::uint32_t node_index, Lookup& lookup)
{
    const std::span<const std::uint8_t> name{current_lower_.data(), current_length_};
    if (lookup.zone->nsec3_parameters() == nullptr) {
        if (lookup.zone->find_rrset(lookup.zone->node(node_index), rrtype::nsec) != nullptr) {
            add_proof(false, node_index, lookup);
        } else {
            add_nsec_covering(name, lookup);
        }
        return;
    }
    if (!add_nsec3_matching(name, lookup) && current_label_count_ > 0) {
        add_closest_encloser_proof(1, lookup);
    }
}

// An answer synthesized from a wildcard must prove that the query name itself does not exist.
// NSEC: the NSEC covering the name (RFC 4035 section 3.1.3.3). NSEC3: the NSEC3 covering the
// next closer name, the closest encloser being implied by the RRSIG's labels field (RFC 5155
// section 7.2.6).
void Responder::prove_wildcard_answer(Lookup& lookup)
{
    if (!lookup.dnssec || lookup.wildcard_label == 0) {
        return;
    }
    if (lookup.zone->nsec3_parameters() == nullptr) {
        add_nsec_covering({current_lower_.data(), current_length_}, lookup);
        return;
    }
    add_nsec3_covering(lower_suffix(lookup.wildcard_label - 1), lookup);
}

// The wildcard matches but lacks the query type. NSEC: the NSEC covering the name and the
// wildcard's NSEC (RFC 4035 section 3.1.3.4). NSEC3: the closest encloser proof and the NSEC3
// matching the wildcard (RFC 5155 section 7.2.5).
void Responder::prove_wildcard_nodata(std::uint32_t wildcard_node, Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    if (zone.nsec3_parameters() == nullptr) {
        add_nsec_covering({current_lower_.data(), current_length_}, lookup);
        add_proof(false, wildcard_node, lookup);
        return;
    }
    add_closest_encloser_proof(lookup.wildcard_label, lookup);
    add_nsec3_matching(zone.node_name(zone.node(wildcard_node)), lookup);
}

// A referral carries the child's DS RRset or the proof that there is none (RFC 4035 section
// 3.1.4). That proof is the NSEC at the cut, or the NSEC3 matching it. A delegation left out
// by opt-out gets the closest encloser proof instead (RFC 5155 section 7.2.7).
void Responder::prove_delegation(std::uint32_t cut, Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    const auto& node = zone.node(cut);
    const std::size_t cut_label = current_label_count_ - node.label_count;
    if (const auto* ds = zone.find_rrset(node, rrtype::ds); ds != nullptr) {
        add_rrset(Section::authority, *ds, current_suffix(node.label_count), lookup);
        return;
    }
    if (zone.nsec3_parameters() == nullptr) {
        if (zone.find_rrset(node, rrtype::nsec) != nullptr) {
            add_proof(false, cut, lookup);
        }
        return;
    }
    if (!add_nsec3_matching(lower_suffix(cut_label), lookup)) {
        add_closest_encloser_proof(cut_label + 1, lookup);
    }
}

// Adds the closest encloser proof for the current name (RFC 5155 section 7.2.1): the NSEC3
// matching the closest provable encloser and the NSEC3 covering the next closer name. The
// search starts at the label where the name tree's closest encloser starts and moves up past
// empty non-terminals that opt-out left without NSEC3. Returns the encloser's label, or 0
// when no ancestor has an NSEC3.
std::size_t Responder::add_closest_encloser_proof(std::size_t label, Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    const std::size_t apex_label = current_label_count_ - zone.node(zone.apex()).label_count;
    for (; label >= 1 && label <= apex_label; ++label) {
        if (add_nsec3_matching(lower_suffix(label), lookup)) {
            add_nsec3_covering(lower_suffix(label - 1), lookup);
            return label;
        }
    }
    return 0;
}

// Adds the NSEC and NSEC3 RRsets collected so far to the authority section.
void Responder::write_proofs(Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    for (std::size_t i = 0; i < lookup.proof_count; ++i) {
        const auto& proof = lookup.proofs[i];
        if (proof.nsec3) {
            const auto& entry = zone.nsec3_entry(proof.index);
            add_rrset(Section::authority, zone.rrset(entry.rrset), zone.nsec3_owner(entry), lookup);
            continue;
        }
        // A zone with gaps in its NSEC chain may lack the NSEC of a wildcard or a cut.
        const auto& node = zone.node(proof.index);
        if (const auto* nsec = zone.find_rrset(node, rrtype::nsec); nsec != nullptr) {
            add_rrset(Section::authority, *nsec, zone.node_name(node), lookup);
        }
    }
    lookup.proof_count = 0;
}

// Adds proof to the Lookup unless it is there already.
void Responder::add_proof(bool nsec3, std::uint32_t index, Lookup& lookup)
{
    const auto end = lookup.proofs.begin() + static_cast<long>(lookup.proof_count);
    const bool known = std::any_of(lookup.proofs.begin(), end, [&](const Lookup::Proof& other) {
        return other.nsec3 == nsec3 && other.index == index;
    });
    if (!known && lookup.proof_count < lookup.proofs.size()) {
        lookup.proofs[lookup.proof_count] = Lookup::Proof{.nsec3 = nsec3, .index = index};
        ++lookup.proof_count;
    }
}

void Responder::add_nsec_covering(std::span<const std::uint8_t> name, Lookup& lookup)
{
    const std::uint32_t node = lookup.zone->nsec_at_or_before(name);
    if (node != no_index) {
        add_proof(false, node, lookup);
    }
}

void Responder::add_nsec3_covering(std::span<const std::uint8_t> name, Lookup& lookup)
{
    dnssec::Nsec3Hash hash{};
    if (!hash_name(name, *lookup.zone, hash)) {
        return;
    }
    const std::uint32_t entry = lookup.zone->nsec3_covering(hash);
    if (entry != no_index) {
        add_proof(true, entry, lookup);
    }
}

// Adds the NSEC3 whose hash is name's; returns false when the chain has none.
bool Responder::add_nsec3_matching(std::span<const std::uint8_t> name, Lookup& lookup)
{
    dnssec::Nsec3Hash hash{};
    if (!hash_name(name, *lookup.zone, hash)) {
        return false;
    }
    const std::uint32_t entry = lookup.zone->find_nsec3(hash);
    if (entry == no_index) {
        return false;
    }
    add_proof(true, entry, lookup);
    return true;
}

bool Responder::hash_name(std::span<const std::uint8_t> name, const CompiledZone& zone,
                          dnssec::Nsec3Hash& out)
{
    const auto* parameters = zone.nsec3_parameters();
    return parameters != nullptr &&
           hasher_.hash(name, parameters->salt, parameters->iterations, out);
}

// The current name lower-cased from its label-th label on.
std::span<const std::uint8_t> Responder::lower_suffix(std::size_t label) const
{
    const std::size_t start = current_labels_[label];
    return {current_lower_.data() + start, current_length_ - start};
}

// Builds "*.<the current name from its label-th label on>", lower-cased, in wildcard_name_.
// label is at least 1, so the result is no longer than the current name.
std::span<const std::uint8_t> Responder::wildcard_below(std::size_t label)
{
    const auto suffix = lower_suffix(label);
    wildcard_name_[0] = 1;
    wildcard_name_[1] = '*';
    std::memcpy(wildcard_name_.data() + 2, suffix.data(), suffix.size());
    return {wildcard_name_.data(), suffix.size() + 2};
}

} // namespace robur::dns
