// Re-signing the apex SOA RRset of a signed zone after a serial change, without signing the
// rest of the zone again.

#include <algorithm>

#include "formats/dnssec/rrsig.hpp"
#include "formats/dnssec/signer.hpp"
#include "formats/dnssec/signer_roles.hpp"

namespace robur::dnssec {

namespace {

// True when every RRSIG that a signing with window makes is one that a later signing at the same
// time keeps: valid already, and expiring after now + refresh even with the full spread.
bool new_signatures_kept(const detail::Window& window, const ReuseRule& rule)
{
    const std::uint32_t earliest_expiration =
        window.expiration - (window.spread == 0 ? 0 : window.spread - 1);
    return !serial_before(rule.now, window.inception) &&
           serial_before(rule.renew_after, earliest_expiration);
}

// True when no apex DNSKEY other than a key's own shares its algorithm and key tag, because
// PreviousSignatures keeps no RRSIG of such a key.
bool keys_unambiguous(const zone::Zone& signed_zone, const std::vector<KeyPair>& keys)
{
    for (const auto& key : keys) {
        const auto own = key.dnskey_rdata();
        const auto tag = key_tag(own);
        for (const auto& record : signed_zone.records) {
            const bool same_tag = record.type == zone::rrtype::dnskey &&
                                  record.owner == signed_zone.origin && record.rdata.size() >= 4 &&
                                  record.rdata[3] == static_cast<std::uint8_t>(key.algorithm) &&
                                  key_tag(record.rdata) == tag;
            if (same_tag && record.rdata != own) {
                return false;
            }
        }
    }
    return true;
}

bool is_apex_soa_rrsig(const zone::Record& record, const zone::Name& origin)
{
    return record.type == zone::rrtype::rrsig && record.rdata.size() >= 2 && record.rdata[0] == 0 &&
           record.rdata[1] == zone::rrtype::soa && record.owner == origin;
}

// The apex SOA records and, in zone order, the RRSIGs over them.
struct ApexSoa {
    std::vector<zone::Record> records;
    std::vector<zone::Record*> rrsigs;
};

ApexSoa find_apex_soa(zone::Zone& signed_zone)
{
    ApexSoa found;
    for (auto& record : signed_zone.records) {
        if (record.type == zone::rrtype::soa && record.owner == signed_zone.origin) {
            found.records.push_back(record);
        } else if (is_apex_soa_rrsig(record, signed_zone.origin)) {
            found.rrsigs.push_back(&record);
        }
    }
    return found;
}

// True when rrsig was made by key, as sign_zone records its key in the RRSIG fields.
bool made_by(const zone::Record& rrsig, const KeyPair& key)
{
    const auto parsed = parse_rrsig(rrsig.rdata);
    return parsed && parsed->fields.algorithm == static_cast<std::uint8_t>(key.algorithm) &&
           parsed->fields.key_tag == key.key_tag();
}

} // namespace

Result<bool> resign_apex_soa(zone::Zone& signed_zone, const std::vector<KeyPair>& keys,
                             const SignOptions& options, SignStats& stats)
{
    const auto roles = detail::assign_roles(keys);
    const auto window = detail::signature_window(options);
    if (!roles || !window) {
        return tl::unexpected(!roles ? roles.error() : window.error());
    }
    if (!new_signatures_kept(*window, detail::reuse_rule(options)) ||
        !keys_unambiguous(signed_zone, keys)) {
        return false;
    }

    // sign_zone signs the apex SOA RRset with the zone-signing keys in their order, so its
    // RRSIGs are consecutive and in that order.
    ApexSoa soa = find_apex_soa(signed_zone);
    const auto& signers = roles->zone_signing;
    if (soa.records.empty() || soa.rrsigs.size() != signers.size()) {
        return false;
    }
    for (std::size_t i = 0; i < signers.size(); ++i) {
        if (!made_by(*soa.rrsigs[i], keys[signers[i].index])) {
            return false;
        }
    }
    auto rrsets = group_rrsets(soa.records);
    if (!rrsets) {
        return tl::unexpected(rrsets.error());
    }

    const RRset& rrset = rrsets->front();
    std::vector<std::uint8_t> scratch;
    for (std::size_t i = 0; i < signers.size(); ++i) {
        auto context = SigningContext::create(keys[signers[i].index]);
        if (!context) {
            return tl::unexpected(context.error());
        }
        auto rrsig = sign_rrset(rrset, *context, window->inception,
                                detail::spread_expiration(rrset, *window), scratch);
        if (!rrsig) {
            return tl::unexpected(rrsig.error());
        }
        *soa.rrsigs[i] = std::move(*rrsig);
        ++stats.signatures_new;
    }
    ++stats.rrsets_signed;
    return true;
}

} // namespace robur::dnssec
