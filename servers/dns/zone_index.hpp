#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "formats/dnssec/nsec3.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/message_writer.hpp"

namespace robur::dns {

inline constexpr std::uint32_t no_index = std::numeric_limits<std::uint32_t>::max();

// Compares two lower-cased, uncompressed wire-format names in canonical DNS order: label by
// label from the right, each label as an octet string (RFC 4034 section 6.1). Returns a negative
// value, zero or a positive value like memcmp.
[[nodiscard]] int compare_canonical(std::span<const std::uint8_t> left,
                                    std::span<const std::uint8_t> right);

// Open-addressing hash table from lower-cased wire-format names to 32-bit values. Built once,
// then read by many threads; find() allocates nothing.
class NameTable {
public:
    // Adds name (lower-cased wire form) unless it is present; returns the value stored for it.
    std::uint32_t insert(std::span<const std::uint8_t> name, std::uint32_t value);

    // Returns the value for name (lower-cased wire form), or no_index.
    [[nodiscard]] std::uint32_t find(std::span<const std::uint8_t> name) const;

    [[nodiscard]] std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        std::uint32_t offset; // of the key in keys_
        std::uint8_t length;
        std::uint32_t value;
    };

    [[nodiscard]] bool key_equals(const Entry& entry, std::span<const std::uint8_t> name) const;
    void grow();

    std::vector<std::uint8_t> keys_;
    std::vector<Entry> entries_;
    std::vector<std::uint32_t> slots_; // entry index + 1, 0 for an empty slot
};

// One zone compiled for answering: every owner name and every empty non-terminal between an
// owner and the apex is a node found by hash, and every RRset is pre-encoded in wire form.
// Immutable after compile_zone(), so any number of threads may read it.
//
// A signed zone keeps its DNSSEC records as data of their owners, and also links each RRset
// to the RRSIG records that cover it. NSEC3 records live apart from the names, in a table
// sorted by hash, because hashed owner names are not names of the zone (RFC 5155 section
// 7.2.8). Nodes holding an NSEC RRset are kept in canonical order for finding the NSEC that
// covers a name.
class CompiledZone {
public:
    struct RRset {
        std::uint16_t type = 0;
        std::uint16_t record_count = 0;
        std::uint32_t first_record = 0;
    };

    // The parameters of the zone's NSEC3 chain, from the NSEC3PARAM at the apex.
    struct Nsec3Parameters {
        std::uint8_t algorithm = dnssec::nsec3_sha1;
        std::uint16_t iterations = 0;
        std::vector<std::uint8_t> salt;
    };

    // One NSEC3 RRset of the chain, whose owner name is the base32hex hash and the apex.
    struct Nsec3Entry {
        dnssec::Nsec3Hash hash{};
        std::uint32_t name_offset = 0; // lower-cased owner name inside the name arena
        std::uint8_t name_length = 0;
        std::uint32_t rrset = 0; // index of the NSEC3 RRset, for rrset()
    };

    struct Node {
        std::uint32_t name_offset = 0; // lower-cased owner name inside the name arena
        std::uint8_t name_length = 0;
        std::uint8_t label_count = 0;
        std::uint16_t rrset_count = 0;
        std::uint32_t first_rrset = 0;
        // The highest ancestor, the apex included, that is a zone cut or owns a DNAME, or
        // no_index. Such an ancestor makes this node occluded (RFC 6672 section 2.4).
        std::uint32_t redirect = no_index;
        std::uint32_t wildcard = no_index; // the node "*.<this node>", when it exists
        bool is_cut = false;               // owns NS and is not the apex
        bool has_dname = false;
        bool has_cname = false;
    };

    [[nodiscard]] const zone::Name& origin() const { return origin_; }
    [[nodiscard]] std::uint32_t serial() const { return serial_; }
    [[nodiscard]] std::uint32_t apex() const { return apex_; }

    // True when name (lower-cased, uncompressed wire form) is the origin or below it.
    [[nodiscard]] bool contains(std::span<const std::uint8_t> name) const;

    // Returns the node of name (lower-cased, uncompressed wire form), or no_index.
    [[nodiscard]] std::uint32_t find_node(std::span<const std::uint8_t> name) const
    {
        return table_.find(name);
    }

    [[nodiscard]] const Node& node(std::uint32_t index) const { return nodes_[index]; }
    [[nodiscard]] std::span<const std::uint8_t> node_name(const Node& node) const
    {
        return {names_.data() + node.name_offset, node.name_length};
    }

    [[nodiscard]] std::span<const RRset> rrsets(const Node& node) const
    {
        return {rrsets_.data() + node.first_rrset, node.rrset_count};
    }
    [[nodiscard]] const RRset* find_rrset(const Node& node, std::uint16_t type) const;
    [[nodiscard]] const RRset& rrset(std::uint32_t index) const { return rrsets_[index]; }

    // The RRSIG records covering rrset, as an RRset of type RRSIG; empty when none does or the
    // zone is unsigned. rrset must come from this zone. The signatures live in an array beside
    // the RRsets, so that an RRset stays 8 octets and unsigned answers read no extra memory.
    [[nodiscard]] RRset signatures(const RRset& rrset) const
    {
        const auto index = static_cast<std::size_t>(&rrset - rrsets_.data());
        return index < signatures_.size() ? signatures_[index] : RRset{};
    }

    // The record at index; an RRset's records are first_record to first_record + count - 1.
    [[nodiscard]] RecordView record(std::uint32_t index) const { return view(records_[index]); }
    [[nodiscard]] std::uint32_t ttl(std::uint32_t index) const;

    // The node whose A and AAAA records belong in the additional section for the record's
    // target (NS, MX and SRV), or no_index when the target has no such node in this zone.
    [[nodiscard]] std::uint32_t additional_node(std::uint32_t index) const
    {
        return records_[index].additional_node;
    }

    // The apex SOA with its TTL lowered to min(TTL, MINIMUM) for negative answers (RFC 2308
    // section 3).
    [[nodiscard]] RecordView negative_soa() const;

    // The zone as parsed, with the owner names' case and every record as the files list them
    // (the server's loader drops their file positions). Zone transfers send these records.
    // Never null for a zone built by compile_zone().
    [[nodiscard]] const std::shared_ptr<const zone::Zone>& source() const { return source_; }

    // True when the apex has a DNSKEY RRset and a signed SOA: the responder then adds RRSIGs
    // and denial-of-existence proofs for queries with the DO bit.
    [[nodiscard]] bool is_signed() const { return signed_; }

    // The RRSIG records of the apex SOA with the negative SOA's TTL, as an RRset of type RRSIG
    // (empty in an unsigned zone).
    [[nodiscard]] const RRset& negative_soa_signatures() const
    {
        return rrsets_[negative_soa_signatures_];
    }

    // Returns the node holding the NSEC RRset that matches or covers name (lower-cased wire
    // form inside the zone): the last NSEC owner at or before name in canonical order. Returns
    // no_index when the zone has no NSEC records.
    [[nodiscard]] std::uint32_t nsec_at_or_before(std::span<const std::uint8_t> name) const;

    // The NSEC3 chain's parameters, or nullptr when the zone has no NSEC3PARAM at the apex.
    [[nodiscard]] const Nsec3Parameters* nsec3_parameters() const
    {
        return nsec3_parameters_ ? &*nsec3_parameters_ : nullptr;
    }
    [[nodiscard]] const Nsec3Entry& nsec3_entry(std::uint32_t index) const
    {
        return nsec3_entries_[index];
    }
    [[nodiscard]] std::span<const std::uint8_t> nsec3_owner(const Nsec3Entry& entry) const
    {
        return {names_.data() + entry.name_offset, entry.name_length};
    }

    // Returns the NSEC3 entry whose hash equals hash, or no_index.
    [[nodiscard]] std::uint32_t find_nsec3(const dnssec::Nsec3Hash& hash) const;

    // Returns the NSEC3 entry that covers hash: the last one before it in hash order, or the
    // last of the chain when hash sorts before the first (the chain wraps around). no_index
    // when the chain is empty.
    [[nodiscard]] std::uint32_t nsec3_covering(const dnssec::Nsec3Hash& hash) const;

private:
    friend Result<std::shared_ptr<const CompiledZone>>
    compile_zone(std::shared_ptr<const zone::Zone> zone);
    friend class ZoneCompiler;

    struct EncodedRecord {
        std::uint32_t offset = 0; // TYPE, CLASS, TTL, RDLENGTH, RDATA in data_
        std::uint16_t rdata_length = 0;
        std::uint32_t first_name_offset = 0; // index into name_offsets_
        std::uint16_t name_offset_count = 0;
        std::uint32_t additional_node = no_index;
    };

    zone::Name origin_;
    std::uint32_t serial_ = 0;
    std::uint32_t apex_ = 0;
    NameTable table_;
    std::vector<std::uint8_t> names_;
    std::vector<Node> nodes_;
    std::vector<RRset> rrsets_;
    std::vector<EncodedRecord> records_;
    std::vector<std::uint8_t> data_;
    std::vector<std::uint16_t> name_offsets_; // per record, see EncodedRecord
    EncodedRecord negative_soa_;              // a copy of the SOA with the negative TTL
    std::shared_ptr<const zone::Zone> source_;
    std::vector<RRset> signatures_;             // per RRset, empty in an unsigned zone
    std::uint32_t negative_soa_signatures_ = 0; // index in rrsets_, owned by no node
    bool signed_ = false;
    std::vector<std::uint32_t> nsec_nodes_; // nodes owning NSEC, in canonical order
    std::optional<Nsec3Parameters> nsec3_parameters_;
    std::vector<Nsec3Entry> nsec3_entries_; // sorted by hash

    [[nodiscard]] RecordView view(const EncodedRecord& record) const;
};

// Offset of the target name inside the rdata of the types whose targets bring A and AAAA
// records into the additional section: NS, MX and SRV. Nothing for every other type.
[[nodiscard]] std::optional<std::size_t> additional_target_offset(std::uint16_t type);

// Compiles zone. Left out are records outside the zone, records of a class other than the apex
// SOA's, duplicate records and CNAME or DNAME records whose rdata is not one name, and NSEC3
// records whose parameters differ from the apex NSEC3PARAM. Fails when there is no SOA at the
// apex, and when the NSEC3PARAM sets more than dnssec::max_nsec3_iterations (150)
// iterations: every negative answer would cost that many hashes per name, and validators may
// treat such a zone as insecure anyway (RFC 9276 section 3.2). The compiled zone keeps a copy of
// zone as its source().
Result<std::shared_ptr<const CompiledZone>> compile_zone(const zone::Zone& zone);

// Compiles zone as above and keeps zone itself as the source(), without a copy.
Result<std::shared_ptr<const CompiledZone>> compile_zone(std::shared_ptr<const zone::Zone> zone);

// The zones one server serves. Immutable; a reload builds a new set and swaps a
// std::shared_ptr<const ZoneSet>.
class ZoneSet {
public:
    ZoneSet() = default;

    // When two zones have the same origin the later one is ignored.
    explicit ZoneSet(std::vector<std::shared_ptr<const CompiledZone>> zones);

    // Returns the deepest zone whose origin is name or an ancestor of it, or nullptr. name is
    // lower-cased, uncompressed wire form.
    [[nodiscard]] const CompiledZone* find_zone(std::span<const std::uint8_t> name) const;

    // Returns the zone whose origin is exactly name (lower-cased wire form), or nullptr.
    [[nodiscard]] const CompiledZone* find_exact(std::span<const std::uint8_t> name) const;

    [[nodiscard]] const std::vector<std::shared_ptr<const CompiledZone>>& zones() const
    {
        return zones_;
    }

private:
    std::vector<std::shared_ptr<const CompiledZone>> zones_;
    NameTable table_;
};

} // namespace robur::dns
