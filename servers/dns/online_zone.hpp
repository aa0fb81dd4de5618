#pragma once

// The inputs of a zone that the server signs itself (`dnssec = online`): the unsigned zone of
// the commit, the zone's policy from robur.conf and its keys from keys/dnssec/<zone>/.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/dnssec/key_file.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/dnssec_policy.hpp"
#include "servers/dns/online_signing.hpp"
#include "store/snapshot.hpp"

namespace robur::dns {

struct OnlineZone {
    std::shared_ptr<const zone::Zone> unsigned_zone;
    DnssecPolicy policy;
    std::vector<dnssec::KeyFiles> keys; // every key file pair of the zone, whatever its state
    SignedVersion version;              // the version served; its zone is null before signing
};

// Returns a text that differs whenever a setting of the policy differs, so that a commit that
// changes the zone's policy signs the zone again.
[[nodiscard]] std::string policy_fingerprint(const DnssecPolicy& policy);

// Returns the paths and blob ids of the key files in keys/dnssec/<zone>/ as one text, so that
// a commit that adds, removes or changes a key signs the zone again. Empty when the folder
// does not exist.
[[nodiscard]] std::string key_file_ids(const store::Snapshot& snapshot, const zone::Name& origin);

// Signs zone.unsigned_zone at now (seconds since 1970) with the keys that sign at now and the
// DNSKEY records of the keys published at now. The RRSIGs of the served version zone.version,
// when there is one, are reused as far as the signer allows.
// Errors: invalid_argument when no key signs at now, and those of sign_online.
Result<OnlineSignResult> sign_online_zone(const OnlineZone& zone, std::int64_t now);

} // namespace robur::dns
