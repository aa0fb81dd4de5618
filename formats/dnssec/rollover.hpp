#pragma once

// Key rollovers of a zone, worked out from the keys' timing metadata alone, so that no state
// lives outside the key files:
//
// ZSK pre-publish (RFC 6781 section 4.1.1.1, RFC 7583 section 3.2)
//   step 1  a new ZSK is published, not yet active
//   step 2  from new Publish + DNSKEY TTL + propagation delay: the new ZSK signs and the old
//           one is inactive (still published)
//   step 3  from old Inactive + largest TTL of signed data + propagation delay: the old ZSK
//           is removed
//
// KSK double-DS (RFC 6781 section 4.1.2, RFC 7583 section 3.3.2)
//   step 1  a new KSK is created but not published, and its DS goes to the parent
//   step 2  from DS publication + parent DS TTL + parent propagation delay: the new KSK
//           replaces the old one in the DNSKEY RRset. The DS cannot have been published
//           before the new key's Created time.
//   step 3  from old Delete + DNSKEY TTL + propagation delay: the old DS may leave the parent
//           and the old key's files are deleted

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/dnssec/key_file.hpp"

namespace robur::dnssec {

enum class RolloverKind : std::uint8_t { zsk, ksk };

// The role of a key in its zone. A CSK has the SEP flag, like a KSK, in a zone without a ZSK
// of its algorithm, so it signs every RRset.
enum class KeyRole : std::uint8_t { ksk, zsk, csk };

// Durations that bound each step, in seconds.
struct RolloverTimings {
    std::int64_t dnskey_ttl = 3600;
    std::int64_t max_zone_ttl = 86400; // largest TTL of the zone's signed data
    std::int64_t propagation_delay = 3600;
    std::int64_t parent_ds_ttl = 86400;
    std::int64_t parent_propagation_delay = 3600;
};

// The next step of a rollover and the earliest time it may run.
struct RolloverStep {
    RolloverKind kind = RolloverKind::zsk;
    int step = 1;                       // 1, 2 or 3
    std::size_t old_key = 0;            // index into the keys: the key being replaced
    std::optional<std::size_t> new_key; // index of the successor; unset before step 1
    std::int64_t earliest = 0;          // seconds since the epoch
    std::string rule;                   // why the step waits until earliest, as a sentence
};

// The role of keys[index] among keys.
[[nodiscard]] KeyRole key_role(const std::vector<KeyFiles>& keys, std::size_t index);

// "KSK", "ZSK" or "CSK".
[[nodiscard]] std::string_view key_role_name(KeyRole role);

// "ZSK" or "KSK".
[[nodiscard]] std::string_view rollover_kind_name(RolloverKind kind);

// Works out which step of a rollover of the kind comes next from the keys' timing. ds_published
// is when the parent started to serve the new DS (KSK step 2 only); unset, the new KSK's
// Created time stands for it. Errors: not_found when the zone has no key of the role.
// unsupported for a KSK rollover in a zone whose SEP key is a CSK. validation_failed when
// the keys' timing fits no step, such as three ZSKs without Inactive times. invalid_argument
// when ds_published is before the new KSK was created.
Result<RolloverStep> next_rollover_step(const std::vector<KeyFiles>& keys, RolloverKind kind,
                                        const RolloverTimings& timings, std::int64_t now,
                                        std::optional<std::int64_t> ds_published = std::nullopt);

// Sets the times that step 2 writes at now: the new key's Publish and Activate, the old key's
// Inactive and, for a KSK, Delete. Steps 1 and 3 change no existing key: step 1 adds a key
// with `successor_timing`, and step 3 deletes the old key's files.
void apply_rollover_step(std::vector<KeyFiles>& keys, const RolloverStep& step, std::int64_t now);

// Builds the timing of the key that step 1 creates at now. A new ZSK is published now and
// activates once step 2 may run. A new KSK is created now and is published and activated once
// step 2 could run if the DS reached the parent at once. A server that signs after that time
// uses the new key by itself, which keeps the zone valid even when step 2 runs late.
[[nodiscard]] KeyTiming successor_timing(RolloverKind kind, const RolloverTimings& timings,
                                         std::int64_t now);

// What a step does, as a phrase: "activate ZSK 2345 and retire ZSK 1234".
[[nodiscard]] std::string describe_rollover_step(const std::vector<KeyFiles>& keys,
                                                 const RolloverStep& step);

// Formats seconds since the epoch as "2026-12-05 01:55:27 UTC".
[[nodiscard]] std::string format_utc(std::int64_t seconds);

// Formats a duration in seconds as "1d2h3m4s", "0s" for zero.
[[nodiscard]] std::string format_duration(std::int64_t seconds);

} // namespace robur::dnssec
