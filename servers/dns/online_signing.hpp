#pragma once

// Signing in the server (`dnssec = online` in robur.conf): the unsigned zone of a commit is
// signed in memory, and signed again without a commit when its signatures come within the
// refresh window of expiry or a key timing event passes.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/error.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/dnssec/nsec3.hpp"
#include "formats/zone/record.hpp"
#include "formats/zone/zone.hpp"

namespace robur::dns {

// The signed version of a zone that the server serves.
struct SignedVersion {
    std::shared_ptr<const zone::Zone> zone; // signed, with the served serial in its SOA
    std::uint32_t committed_serial = 0;     // serial of the unsigned zone it was signed from
    std::uint32_t serial = 0;               // served serial
    // Seconds since 1970 when the zone must be signed again: the earliest RRSIG expiration
    // minus the refresh window, or an earlier key timing event.
    std::int64_t resign_at = 0;
};

struct OnlineSignOptions {
    std::optional<dnssec::Nsec3Options> nsec3; // unset: an NSEC chain
    std::chrono::seconds validity{std::chrono::days{30}};
    std::chrono::seconds refresh{std::chrono::days{7}};
    std::optional<std::uint32_t> dnskey_ttl;     // unset: the TTL of the apex SOA
    std::vector<dnssec::KeyPair> keys;           // keys that sign now
    std::vector<zone::Record> published_dnskeys; // keys published without signing
    std::optional<std::int64_t> next_key_event;  // seconds since 1970
    unsigned threads = 2;
};

// The outcome of sign_online.
struct OnlineSignResult {
    SignedVersion version;
    bool changed = false;       // the signed records differ from the previous version's
    bool serial_raised = false; // the served serial is above the committed one
};

// Signs unsigned_zone at now (seconds since 1970). Signatures get the inception one hour
// before now and the expiration validity after now, less a spread of at most a quarter of
// refresh and at most half of validity minus refresh, by a hash of owner and type. previous is the
// version served now, or null. Its RRSIGs are reused where the signer allows it, so only changed
// RRsets are signed.
//
// The served serial is the committed serial when that is greater (RFC 1982) than the previous
// served serial. Otherwise it stays the previous served serial while the signed records stay
// the same, and becomes that serial plus one when they change. Secondaries thus see a new
// serial for every change of the signed content (RFC 1034 section 4.3.5).
// Errors: those of dnssec::sign_zone, and invalid_argument when the zone has no apex SOA.
Result<OnlineSignResult> sign_online(const zone::Zone& unsigned_zone,
                                     const OnlineSignOptions& options,
                                     const SignedVersion* previous, std::int64_t now);

// Returns the earliest expiration of the zone's RRSIG records, in seconds since 1970 (RFC 4034
// section 3.1.5 serial arithmetic is not needed before 2106), or nullopt when it has none.
[[nodiscard]] std::optional<std::int64_t> earliest_expiration(const zone::Zone& zone);

// True when both zones list the same records in the same order, TTLs included.
[[nodiscard]] bool same_signed_records(const zone::Zone& left, const zone::Zone& right);

} // namespace robur::dns
