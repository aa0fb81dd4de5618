#pragma once

// Verification of a signed zone: signatures, their validity period and the NSEC or NSEC3
// chain, the checks ldns-verify-zone and kzonecheck -d on make.

#include <chrono>
#include <optional>
#include <vector>

#include "core/diagnostic.hpp"
#include "formats/zone/zone.hpp"

namespace robur::dnssec {

struct VerifyOptions {
    std::optional<std::chrono::sys_seconds> now; // unset: the current time
    // Valid signatures that expire sooner than this after now produce a warning.
    std::chrono::seconds warn_within = std::chrono::days(7);
};

// Verifies the DNSSEC records of a signed zone against the DNSKEY RRset at its apex and
// returns every finding. Errors are reported for:
// - a missing DNSKEY RRset;
// - an RRSIG that is malformed, covers no RRset, names another signer or an unknown key, has
//   not started, has expired or does not verify. The message names its owner, type and key
//   tag, and the location is the RRSIG's file and line when known;
// - an RRSIG over a delegation NS RRset or glue;
// - an authoritative RRset without a valid RRSIG by each DNSKEY algorithm;
// - an NSEC or NSEC3 chain with a missing, extra or wrongly linked record or a wrong bitmap.
// Warnings are reported for signatures that expire within options.warn_within and for an
// original TTL that differs from the RRset's TTL.
[[nodiscard]] std::vector<Diagnostic> verify_zone(const zone::Zone& zone,
                                                  const VerifyOptions& options = {});

} // namespace robur::dnssec
