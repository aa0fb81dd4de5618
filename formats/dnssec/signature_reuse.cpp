#include "formats/dnssec/signature_reuse.hpp"

#include <algorithm>

namespace robur::dnssec {

std::string rrset_index_key(const zone::Name& owner, std::uint16_t type, std::uint16_t rclass)
{
    // The wire form ends with the root label, so the octets after it cannot extend the name.
    // Length octets are below 64, so lower-casing leaves them alone.
    std::string key;
    key.reserve(owner.wire_length() + 4);
    for (const std::uint8_t octet : owner.wire()) {
        const bool upper = octet >= 'A' && octet <= 'Z';
        key += static_cast<char>(upper ? octet + ('a' - 'A') : octet);
    }
    key += static_cast<char>(type >> 8);
    key += static_cast<char>(type & 0xff);
    key += static_cast<char>(rclass >> 8);
    key += static_cast<char>(rclass & 0xff);
    return key;
}

Result<PreviousSignatures> PreviousSignatures::build(const zone::Zone& previous)
{
    PreviousSignatures index;
    const bool signed_before =
        std::any_of(previous.records.begin(), previous.records.end(),
                    [](const zone::Record& record) { return record.type == zone::rrtype::rrsig; });
    if (!signed_before) {
        return index; // an unsigned version has no RRSIG to keep
    }
    std::vector<zone::Record> data;
    data.reserve(previous.records.size());
    for (const auto& record : previous.records) {
        if (record.type != zone::rrtype::rrsig) {
            data.push_back(record);
        }
    }
    auto rrsets = group_rrsets(data);
    if (!rrsets) {
        return tl::unexpected(rrsets.error());
    }
    index.rrsets_ = std::move(*rrsets);

    for (const auto& rrset : index.rrsets_) {
        index.entries_[rrset_index_key(rrset.owner, rrset.type, rrset.rclass)].rrset = &rrset;
        if (rrset.type == zone::rrtype::dnskey && rrset.owner == previous.origin) {
            index.dnskeys_ = rrset.rdatas;
        }
    }

    for (const auto& record : previous.records) {
        if (record.type != zone::rrtype::rrsig) {
            continue;
        }
        auto rrsig = parse_rrsig(record.rdata);
        if (!rrsig) {
            continue;
        }
        const auto key = rrset_index_key(record.owner, rrsig->fields.type_covered, record.rclass);
        auto entry = index.entries_.find(key);
        if (entry != index.entries_.end()) {
            entry->second.signatures.push_back({std::move(*rrsig), &record});
        }
    }
    return index;
}

bool PreviousSignatures::has_unique_key(const KeyPair& key,
                                        std::span<const std::uint8_t> key_rdata) const
{
    bool present = false;
    const auto tag = key_tag(key_rdata);
    for (const auto& rdata : dnskeys_) {
        if (std::equal(rdata.begin(), rdata.end(), key_rdata.begin(), key_rdata.end())) {
            present = true;
        } else if (rdata.size() >= 4 && rdata[3] == static_cast<std::uint8_t>(key.algorithm) &&
                   key_tag(rdata) == tag) {
            // Another key with the same algorithm and tag could have made the RRSIG.
            return false;
        }
    }
    return present;
}

const zone::Record* PreviousSignatures::find(const RRset& rrset, const KeyPair& key,
                                             std::span<const std::uint8_t> key_rdata,
                                             const ReuseRule& rule) const
{
    if (entries_.empty()) {
        return nullptr;
    }
    const auto entry = entries_.find(rrset_index_key(rrset.owner, rrset.type, rrset.rclass));
    if (entry == entries_.end() || entry->second.signatures.empty()) {
        return nullptr;
    }
    const RRset& old = *entry->second.rrset;
    if (old.ttl != rrset.ttl || old.rdatas != rrset.rdatas || !has_unique_key(key, key_rdata)) {
        return nullptr;
    }

    const auto tag = key_tag(key_rdata);
    const auto labels = rrsig_labels(rrset.owner);
    const Signature* best = nullptr;
    for (const auto& signature : entry->second.signatures) {
        const RrsigFields& fields = signature.rrsig.fields;
        const bool fits = fields.algorithm == static_cast<std::uint8_t>(key.algorithm) &&
                          fields.key_tag == tag && fields.labels == labels &&
                          fields.original_ttl == rrset.ttl && signature.record->ttl == rrset.ttl &&
                          fields.signer == key.owner;
        // The RRSIG must already be valid and stay valid beyond the refresh window (RFC 1982
        // arithmetic, as validators compare these fields).
        const bool current = !serial_before(rule.now, fields.inception) &&
                             serial_before(rule.renew_after, fields.expiration);
        if (!fits || !current) {
            continue;
        }
        if (best != nullptr && !serial_before(best->rrsig.fields.expiration, fields.expiration)) {
            continue;
        }
        if (rule.verify &&
            verify_rrsig(signature.rrsig, rrset, key_rdata, rule.now) != RrsigStatus::valid) {
            continue;
        }
        best = &signature;
    }
    return best == nullptr ? nullptr : best->record;
}

} // namespace robur::dnssec
