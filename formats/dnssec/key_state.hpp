#pragma once

// Which keys of a zone are published and which sign at a given time, from BIND's timing
// metadata (Publish, Activate, Inactive, Revoke, Delete), with BIND's meaning of each field.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "formats/dnssec/key.hpp"
#include "formats/dnssec/key_file.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {

// The keys of a zone at one time, in the order of the input.
struct ZoneKeys {
    // Keys that are published and active, plus published keys whose revoke time has passed.
    // A revoked key carries the REVOKE flag in its flags, so sign_zone publishes it with that
    // flag and signs only the DNSKEY RRset with it (RFC 5011).
    std::vector<KeyPair> signing;
    // DNSKEY records of keys that are published but do not sign: pre-published keys and
    // retiring keys. Their TTL is 0 because sign_zone gives the whole DNSKEY RRset one TTL.
    std::vector<zone::Record> published;
};

// The lifecycle state of one key at a time, in the order a key passes through them.
enum class KeyState : std::uint8_t {
    generated, // not yet published
    published, // in the DNSKEY RRset, not signing
    active,    // published and signing
    inactive,  // published, no longer signing
    revoked,   // published with the REVOKE flag
    removed,   // past its Delete time
};

// A key is published when publish is unset or <= now, and remove is unset or > now. It signs
// when it is published, activate is unset or <= now, and inactive is unset or > now. A key whose
// revoke time has passed is published with the REVOKE flag and signs only the DNSKEY RRset.
// Keys without any timing field are published and active. now is in seconds since the epoch.
[[nodiscard]] ZoneKeys select_keys(const std::vector<KeyFiles>& keys, std::int64_t now);

// Returns the earliest Publish, Activate, Inactive, Revoke or Delete time after now, when a
// server has to sign again, or nullopt when no key has a later event.
[[nodiscard]] std::optional<std::int64_t> next_key_event(const std::vector<KeyFiles>& keys,
                                                         std::int64_t now);

// Whether the key is in the DNSKEY RRset at now.
[[nodiscard]] bool is_published(const KeyTiming& timing, std::int64_t now);

// Whether the key signs every RRset it would sign at now. A revoked key signs the DNSKEY
// RRset only, so it counts as not active here.
[[nodiscard]] bool is_active(const KeyTiming& timing, std::int64_t now);

// Whether the key's revoke time has passed at now.
[[nodiscard]] bool is_revoked(const KeyTiming& timing, std::int64_t now);

// The state of a key at now, as `robur key dnssec list` prints it.
[[nodiscard]] KeyState key_state(const KeyTiming& timing, std::int64_t now);

// The lower-case name of a state: "generated", "published", "active", "inactive", "revoked",
// "removed".
[[nodiscard]] std::string_view key_state_name(KeyState state);

} // namespace robur::dnssec
