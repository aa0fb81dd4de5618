#pragma once

// Offline signing of a whole zone: DNSKEY RRset, RRSIGs and the NSEC or NSEC3 chain.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/error.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/dnssec/nsec3.hpp"
#include "formats/zone/zone.hpp"

namespace robur::dnssec {

struct SignOptions {
    std::optional<Nsec3Options> nsec3;                  // unset: an NSEC chain
    std::optional<std::chrono::sys_seconds> now;        // unset: the system clock
    std::optional<std::chrono::sys_seconds> inception;  // unset: one hour before now
    std::optional<std::chrono::sys_seconds> expiration; // unset: 30 days after now
    std::optional<std::uint32_t> dnskey_ttl;            // unset: the TTL of the apex SOA
    unsigned threads = 2;                               // signing threads; 0 counts as 1
    // DNSKEY records to publish beside the signing keys without signing with them: keys
    // pre-published or retiring in a rollover. Like DNSKEYs in the zone, they are dropped
    // when no signing key has their algorithm, and they get the DNSKEY RRset's TTL.
    std::vector<zone::Record> published_dnskeys;
    // An earlier signed version of the zone that sign_zone produced. An RRSIG of it is reused
    // when its RRset is unchanged (owner, type, class, TTL and records), its key still signs
    // with the same DNSKEY, it is valid now and it expires more than refresh from now. Every
    // other RRset is signed afresh, and so is every RRset when previous cannot be grouped into
    // RRsets. The zone must outlive the call.
    const zone::Zone* previous = nullptr;
    std::chrono::seconds refresh{std::chrono::days{7}};
    // Verify each RRSIG of previous before reusing it, for a version that may have been edited
    // by hand since it was signed.
    bool verify_previous = false;
    // New RRSIGs expire up to this much before expiration, by a hash of owner name and type, so
    // that signatures made together come due for renewal at different times. unset: a quarter
    // of refresh. The spread is capped at half the validity period.
    std::optional<std::chrono::seconds> expiration_spread;
};

// Counts of one signing run.
struct SignStats {
    std::size_t signatures_reused = 0; // RRSIGs taken from SignOptions::previous
    std::size_t signatures_new = 0;
    std::size_t rrsets_signed = 0; // RRsets with at least one new RRSIG
    std::size_t rrsets_kept = 0;   // RRsets whose RRSIGs all came from previous
};

// Signs a zone and returns the signed copy:
// - RRSIG, NSEC, NSEC3 and NSEC3PARAM records already in the zone are dropped first, so a
//   signed zone can be signed again.
// - The apex DNSKEY RRset contains the DNSKEYs of keys plus the DNSKEY records already there
//   whose algorithm one of keys has (pre-published keys, keys of another signer), all with one
//   TTL. DNSKEYs of other algorithms are dropped, because each algorithm in the RRset must sign
//   every RRset (RFC 4035 section 2.2).
// - For each algorithm, keys with the SEP flag (KSKs) sign the DNSKEY RRset, both kinds sign
//   the CDS and CDNSKEY RRsets, and the others (ZSKs) sign every other authoritative RRset.
//   When an algorithm has keys of one kind only, they sign everything. Revoked keys sign the
//   DNSKEY RRset only.
// - Delegation NS RRsets and glue are not signed, but DS RRsets at delegations are.
// - The records of an RRset whose TTLs differ all get the lowest one.
// - The output keeps the input's records in their order, followed by the DNSKEY, NSEC3PARAM,
//   chain and RRSIG records in canonical order.
// Errors: invalid_argument for no keys, a key of another zone, a key without the zone key
// flag or private key, an expiration not after the inception or 68 years or more after it,
// or a missing SOA. It is also returned for data outside the zone or below a DNAME and for
// NSEC3 options that check_nsec3_options rejects. OpenSSL failures while signing return
// internal.
Result<zone::Zone> sign_zone(const zone::Zone& zone, const std::vector<KeyPair>& keys,
                             const SignOptions& options);

// Signs as above and fills stats.
Result<zone::Zone> sign_zone(const zone::Zone& zone, const std::vector<KeyPair>& keys,
                             const SignOptions& options, SignStats& stats);

// Re-signs the apex SOA RRset of signed_zone, which sign_zone returned with keys and options,
// after the caller changed the SOA record there (a raised serial). The RRSIGs over the SOA are
// replaced in place, and stats counts them as new. The result equals what sign_zone returns
// for the changed zone with signed_zone as options.previous. That second signing would sign
// more than the SOA again when new signatures can expire within options.refresh, when their
// inception is after options.now, or when another apex DNSKEY has the algorithm and key tag of
// one of keys. In those cases the function returns false and leaves signed_zone as it was.
// Errors: those of sign_zone's checks and of signing, after which signed_zone may hold some
// new RRSIGs.
Result<bool> resign_apex_soa(zone::Zone& signed_zone, const std::vector<KeyPair>& keys,
                             const SignOptions& options, SignStats& stats);

} // namespace robur::dnssec
