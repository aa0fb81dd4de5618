#pragma once

// The RRSIGs of an earlier signed version of a zone, indexed so that sign_zone can keep those
// that still fit instead of signing their RRsets again.

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "formats/dnssec/canonical.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/dnssec/rrsig.hpp"
#include "formats/zone/zone.hpp"

namespace robur::dnssec {

// The conditions for keeping an earlier RRSIG, with times in RRSIG time field form.
struct ReuseRule {
    std::uint32_t now = 0;
    std::uint32_t renew_after = 0; // now + refresh: an RRSIG must expire later than this
    // Verify the signature before keeping it, for an earlier version that may have been
    // edited by hand.
    bool verify = false;
};

// The RRsets and RRSIGs of an earlier signed version. Immutable after build, so signing threads
// may share it.
class PreviousSignatures {
public:
    // Indexes the RRsets, RRSIGs and apex DNSKEYs of previous. Malformed RRSIGs are skipped.
    // Errors: those of group_rrsets.
    static Result<PreviousSignatures> build(const zone::Zone& previous);

    // Finds the RRSIG of previous that key made over rrset, when it may be kept. previous must
    // have the same RRset (owner, type, class, TTL and records). Its DNSKEY RRset must have
    // key's DNSKEY and no other key with the same algorithm and key tag. The RRSIG's fields
    // must match the RRset and key, it must be valid at rule.now, and it must expire after
    // rule.renew_after. Of several such RRSIGs the one expiring last is returned, else null.
    [[nodiscard]] const zone::Record* find(const RRset& rrset, const KeyPair& key,
                                           std::span<const std::uint8_t> key_rdata,
                                           const ReuseRule& rule) const;

private:
    struct Signature {
        Rrsig rrsig;
        const zone::Record* record;
    };
    struct Entry {
        const RRset* rrset = nullptr;
        std::vector<Signature> signatures;
    };

    [[nodiscard]] bool has_unique_key(const KeyPair& key,
                                      std::span<const std::uint8_t> key_rdata) const;

    std::vector<RRset> rrsets_;
    std::unordered_map<std::string, Entry> entries_; // by owner, type and class
    std::vector<std::vector<std::uint8_t>> dnskeys_; // the apex DNSKEY RDATAs
};

// The key of an RRset in the index: its lower-cased owner in wire form, then type and class
// as two octets each in network order.
[[nodiscard]] std::string rrset_index_key(const zone::Name& owner, std::uint16_t type,
                                          std::uint16_t rclass);

} // namespace robur::dnssec
