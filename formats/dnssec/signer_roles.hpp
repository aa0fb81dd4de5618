#pragma once

// Pieces of whole-zone signing that sign_zone and resign_apex_soa share: which key signs which
// RRset, and the validity times of new RRSIGs. Not part of the library's interface.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "formats/dnssec/canonical.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/dnssec/signature_reuse.hpp"
#include "formats/dnssec/signer.hpp"

namespace robur::dnssec::detail {

// A key by its position in the key list, so that each thread finds its own context for it.
struct SigningKey {
    std::size_t index = 0;
};

// The keys that sign the DNSKEY RRset, those that sign everything else, and both together for
// the CDS and CDNSKEY RRsets.
struct Roles {
    std::vector<SigningKey> key_signing;
    std::vector<SigningKey> zone_signing;
    std::vector<SigningKey> all;
};

// Assigns the keys of each algorithm to roles: every algorithm of the DNSKEY RRset must sign
// every RRset (RFC 4035 section 2.2), so the fallback to one kind works per algorithm. Errors:
// invalid_argument when every key of an algorithm is revoked.
Result<Roles> assign_roles(const std::vector<KeyPair>& keys);

// The times of new RRSIGs, in RRSIG time field form.
struct Window {
    std::uint32_t inception;
    std::uint32_t expiration;
    std::uint32_t spread; // new RRSIGs expire up to this many seconds before expiration
};

// The signing time: options.now, else the system clock.
std::chrono::sys_seconds signing_time(const SignOptions& options);

// The inception, expiration and spread of new RRSIGs. Errors: invalid_argument for an
// expiration not after the inception or 68 years or more after it.
Result<Window> signature_window(const SignOptions& options);

// The expiration of a new RRSIG over rrset: up to window.spread seconds early, by an FNV-1a
// hash of the owner name and type, so the same RRset gets the same offset in every run.
std::uint32_t spread_expiration(const RRset& rrset, const Window& window);

// The conditions under which options.previous's RRSIGs are kept.
ReuseRule reuse_rule(const SignOptions& options);

} // namespace robur::dnssec::detail
