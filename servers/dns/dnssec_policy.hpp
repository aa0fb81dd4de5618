#pragma once

// How each zone is signed, from the DNSSEC keys of robur.conf. [dns] sets every zone's policy
// and [zone "example.com"] overrides single keys for that zone only:
//
//   [dns]
//       dnssec = offline              no (the default), offline (`robur zone sign` commits
//                                     signatures) or online (the server signs in memory)
//       nsec3 = yes                   NSEC3 instead of NSEC (default no)
//       nsec3-salt = -                salt in hex, or "-" for none (the default)
//       nsec3-iterations = 0          additional hash iterations (default 0, at most 150)
//       nsec3-opt-out = no            leave insecure delegations out of the NSEC3 chain
//       signature-validity = 30d      lifetime of a new RRSIG
//       signature-refresh = 7d        RRSIGs expiring within this time are signed again
//       dnskey-ttl = 1h               TTL of the DNSKEY RRset (default: the SOA TTL)
//       propagation-delay = 1h        time for a change to reach every secondary and cache
//       parent-ds-ttl = 1d            TTL of the DS RRset in the parent zone
//       parent-propagation-delay = 1h time for a DS change to reach the parent's servers
//
// Durations take BIND's units (w, d, h, m, s) or plain seconds. The nsec3-* keys only count
// when nsec3 = yes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "formats/dnssec/nsec3.hpp"
#include "formats/zone/name.hpp"
#include "store/config.hpp"

namespace robur::dns {

// The signer of a zone: none, `robur zone sign` committing into Git, or the server in memory.
enum class SigningMode : std::uint8_t { none, offline, online };

// The signing policy of one zone, with every duration in seconds.
struct DnssecPolicy {
    SigningMode mode = SigningMode::none;
    std::optional<dnssec::Nsec3Options> nsec3; // set when nsec3 = yes
    std::chrono::seconds validity{std::chrono::days{30}};
    std::chrono::seconds refresh{std::chrono::days{7}};
    std::optional<std::uint32_t> dnskey_ttl; // unset: the SOA TTL
    std::chrono::seconds propagation_delay{std::chrono::hours{1}};
    std::chrono::seconds parent_ds_ttl{std::chrono::days{1}};
    std::chrono::seconds parent_propagation_delay{std::chrono::hours{1}};
};

// The keyword of a mode as robur.conf writes it: "no", "offline" or "online".
[[nodiscard]] std::string_view signing_mode_name(SigningMode mode);

// Reads the policy of zone from [dns] and the zone's own [zone "..."] section (the subsection
// name may be written with or without the trailing dot, in any letter case). Errors:
// invalid_argument naming the file, the key and the value, also when refresh is not below
// validity or the NSEC3 parameters are out of range.
Result<DnssecPolicy> dnssec_policy(const store::Config& config, const zone::Name& zone);

} // namespace robur::dns
