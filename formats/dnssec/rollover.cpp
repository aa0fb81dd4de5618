#include "formats/dnssec/rollover.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include <fmt/format.h>

#include "formats/dnssec/key_state.hpp"

namespace robur::dnssec {

namespace {

bool has_sep(const KeyFiles& files)
{
    return (files.key.flags & dnskey_flags::secure_entry_point) != 0;
}

// Keys of the kind that take part in a rollover: revoked keys never do.
std::vector<std::size_t> candidates(const std::vector<KeyFiles>& keys, RolloverKind kind)
{
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const bool sep = has_sep(keys[i]);
        if (keys[i].timing.revoke || sep != (kind == RolloverKind::ksk)) {
            continue;
        }
        found.push_back(i);
    }
    return found;
}

// When a key entered the zone's life: its Publish time, else Created, else Activate.
std::int64_t start_time(const KeyTiming& timing)
{
    return timing.publish.value_or(timing.created.value_or(timing.activate.value_or(0)));
}

// The successor of two keys is the one that started later; on a tie, the later in the list.
std::pair<std::size_t, std::size_t> old_and_new(const std::vector<KeyFiles>& keys,
                                                std::size_t first, std::size_t second)
{
    if (start_time(keys[first].timing) > start_time(keys[second].timing)) {
        return {second, first};
    }
    return {first, second};
}

std::string key_label(const std::vector<KeyFiles>& keys, std::size_t index)
{
    return fmt::format("{} {}", key_role_name(key_role(keys, index)), keys[index].key.key_tag());
}

RolloverStep zsk_step_two(const std::vector<KeyFiles>& keys, std::size_t old_key,
                          std::size_t new_key, const RolloverTimings& timings)
{
    const std::int64_t published = start_time(keys[new_key].timing);
    RolloverStep step{RolloverKind::zsk, 2, old_key, new_key, 0, {}};
    step.earliest = published + timings.dnskey_ttl + timings.propagation_delay;
    step.rule = fmt::format(
        "the new ZSK {} was published at {}, and caches may hold the DNSKEY RRset without it "
        "for the DNSKEY TTL ({}) plus the propagation delay ({})",
        keys[new_key].key.key_tag(), format_utc(published), format_duration(timings.dnskey_ttl),
        format_duration(timings.propagation_delay));
    return step;
}

RolloverStep zsk_step_three(const std::vector<KeyFiles>& keys, std::size_t old_key,
                            std::size_t new_key, const RolloverTimings& timings)
{
    const std::int64_t retired = *keys[old_key].timing.inactive;
    RolloverStep step{RolloverKind::zsk, 3, old_key, new_key, 0, {}};
    step.earliest = retired + timings.max_zone_ttl + timings.propagation_delay;
    step.rule = fmt::format(
        "the old ZSK {} stopped signing at {}, and caches may hold its signatures for the "
        "largest TTL of the zone ({}) plus the propagation delay ({})",
        keys[old_key].key.key_tag(), format_utc(retired), format_duration(timings.max_zone_ttl),
        format_duration(timings.propagation_delay));
    return step;
}

Result<RolloverStep> zsk_step(const std::vector<KeyFiles>& keys, const RolloverTimings& timings,
                              std::int64_t now)
{
    std::vector<std::size_t> current;
    std::vector<std::size_t> retiring;
    for (const std::size_t i : candidates(keys, RolloverKind::zsk)) {
        (keys[i].timing.inactive ? retiring : current).push_back(i);
    }

    if (current.empty() && retiring.empty()) {
        return make_error(Errc::not_found, "the zone has no ZSK: create one with robur key "
                                           "dnssec new ZONE --zsk");
    }
    if (retiring.empty() && current.size() == 1) {
        return RolloverStep{RolloverKind::zsk, 1,   current[0],
                            std::nullopt,      now, "no ZSK rollover is in progress"};
    }
    if (retiring.empty() && current.size() == 2) {
        const auto [old_key, new_key] = old_and_new(keys, current[0], current[1]);
        return zsk_step_two(keys, old_key, new_key, timings);
    }
    if (retiring.size() == 1 && current.size() == 1) {
        return zsk_step_three(keys, retiring[0], current[0], timings);
    }
    return make_error(Errc::validation_failed,
                      fmt::format("the zone has {} ZSKs without and {} with an Inactive time, "
                                  "which fits no step of a ZSK rollover: set the times with "
                                  "dnssec-settime or remove keys",
                                  current.size(), retiring.size()));
}

Result<RolloverStep> ksk_step_two(const std::vector<KeyFiles>& keys, std::size_t old_key,
                                  std::size_t new_key, const RolloverTimings& timings,
                                  std::optional<std::int64_t> ds_published)
{
    const KeyTiming& timing = keys[new_key].timing;
    const std::int64_t generated = timing.created.value_or(start_time(timing));
    if (ds_published && *ds_published < generated) {
        return make_error(Errc::invalid_argument,
                          fmt::format("the DS publication time {} is before KSK {} was created "
                                      "at {}",
                                      format_utc(*ds_published), keys[new_key].key.key_tag(),
                                      format_utc(generated)));
    }

    const std::int64_t ds_time = ds_published.value_or(generated);
    RolloverStep step{RolloverKind::ksk, 2, old_key, new_key, 0, {}};
    step.earliest = ds_time + timings.parent_ds_ttl + timings.parent_propagation_delay;
    step.rule = fmt::format(
        "the DS of the new KSK {} reached the parent at {} at the earliest{}, and resolvers "
        "may hold the parent's DS RRset without it for the parent DS TTL ({}) plus the parent "
        "propagation delay ({})",
        keys[new_key].key.key_tag(), format_utc(ds_time),
        ds_published ? " (--ds-published-at)" : " (when the key was created)",
        format_duration(timings.parent_ds_ttl), format_duration(timings.parent_propagation_delay));
    return step;
}

RolloverStep ksk_step_three(const std::vector<KeyFiles>& keys, std::size_t old_key,
                            std::size_t new_key, const RolloverTimings& timings)
{
    const std::int64_t removed = *keys[old_key].timing.remove;
    RolloverStep step{RolloverKind::ksk, 3, old_key, new_key, 0, {}};
    step.earliest = removed + timings.dnskey_ttl + timings.propagation_delay;
    step.rule = fmt::format(
        "the old KSK {} left the DNSKEY RRset at {}, and caches may hold the RRset with it for "
        "the DNSKEY TTL ({}) plus the propagation delay ({})",
        keys[old_key].key.key_tag(), format_utc(removed), format_duration(timings.dnskey_ttl),
        format_duration(timings.propagation_delay));
    return step;
}

Result<RolloverStep> ksk_step(const std::vector<KeyFiles>& keys, const RolloverTimings& timings,
                              std::int64_t now, std::optional<std::int64_t> ds_published)
{
    std::vector<std::size_t> current;
    std::vector<std::size_t> leaving;
    for (const std::size_t i : candidates(keys, RolloverKind::ksk)) {
        (keys[i].timing.remove ? leaving : current).push_back(i);
    }

    if (current.empty() && leaving.empty()) {
        return make_error(Errc::not_found, "the zone has no KSK: create one with robur key "
                                           "dnssec new ZONE --ksk");
    }
    const std::size_t first = current.empty() ? leaving[0] : current[0];
    if (key_role(keys, first) == KeyRole::csk) {
        return make_error(Errc::unsupported,
                          fmt::format("{} is a CSK because the zone has no ZSK of its algorithm; "
                                      "a double-DS rollover needs a ZSK: add one with robur key "
                                      "dnssec new ZONE --zsk",
                                      key_label(keys, first)));
    }
    if (leaving.empty() && current.size() == 1) {
        return RolloverStep{RolloverKind::ksk, 1,   current[0],
                            std::nullopt,      now, "no KSK rollover is in progress"};
    }
    if (leaving.empty() && current.size() == 2) {
        const auto [old_key, new_key] = old_and_new(keys, current[0], current[1]);
        return ksk_step_two(keys, old_key, new_key, timings, ds_published);
    }
    if (leaving.size() == 1 && current.size() == 1) {
        return ksk_step_three(keys, leaving[0], current[0], timings);
    }
    return make_error(Errc::validation_failed,
                      fmt::format("the zone has {} KSKs without and {} with a Delete time, "
                                  "which fits no step of a KSK rollover: set the times with "
                                  "dnssec-settime or remove keys",
                                  current.size(), leaving.size()));
}

// Sets a time to now unless it is already set to now or earlier.
void set_no_later_than(std::optional<std::int64_t>& time, std::int64_t now)
{
    if (!time || *time > now) {
        time = now;
    }
}

} // namespace

KeyRole key_role(const std::vector<KeyFiles>& keys, std::size_t index)
{
    const KeyFiles& key = keys[index];
    if (!has_sep(key)) {
        return KeyRole::zsk;
    }
    const bool zsk_of_algorithm = std::any_of(keys.begin(), keys.end(), [&](const KeyFiles& other) {
        return !has_sep(other) && other.key.algorithm == key.key.algorithm;
    });
    return zsk_of_algorithm ? KeyRole::ksk : KeyRole::csk;
}

std::string_view key_role_name(KeyRole role)
{
    switch (role) {
    case KeyRole::ksk:
        return "KSK";
    case KeyRole::zsk:
        return "ZSK";
    case KeyRole::csk:
        return "CSK";
    }
    return "unknown";
}

std::string_view rollover_kind_name(RolloverKind kind)
{
    return kind == RolloverKind::zsk ? "ZSK" : "KSK";
}

Result<RolloverStep> next_rollover_step(const std::vector<KeyFiles>& keys, RolloverKind kind,
                                        const RolloverTimings& timings, std::int64_t now,
                                        std::optional<std::int64_t> ds_published)
{
    if (kind == RolloverKind::zsk) {
        return zsk_step(keys, timings, now);
    }
    return ksk_step(keys, timings, now, ds_published);
}

void apply_rollover_step(std::vector<KeyFiles>& keys, const RolloverStep& step, std::int64_t now)
{
    if (step.step != 2 || !step.new_key) {
        return;
    }

    KeyTiming& old_timing = keys[step.old_key].timing;
    KeyTiming& new_timing = keys[*step.new_key].timing;
    set_no_later_than(new_timing.publish, now);
    set_no_later_than(new_timing.activate, now);
    set_no_later_than(old_timing.inactive, now);
    // A double-DS rollover swaps the KSKs in the DNSKEY RRset at once (RFC 7583 section 3.3.2).
    if (step.kind == RolloverKind::ksk) {
        set_no_later_than(old_timing.remove, now);
    }
}

KeyTiming successor_timing(RolloverKind kind, const RolloverTimings& timings, std::int64_t now)
{
    KeyTiming timing;
    timing.created = now;
    if (kind == RolloverKind::zsk) {
        timing.publish = now;
        timing.activate = now + timings.dnskey_ttl + timings.propagation_delay;
        return timing;
    }

    const std::int64_t ready = now + timings.parent_ds_ttl + timings.parent_propagation_delay;
    timing.publish = ready;
    timing.activate = ready;
    return timing;
}

std::string describe_rollover_step(const std::vector<KeyFiles>& keys, const RolloverStep& step)
{
    const std::uint16_t old_tag = keys[step.old_key].key.key_tag();
    const std::uint16_t new_tag = step.new_key ? keys[*step.new_key].key.key_tag() : 0;
    if (step.kind == RolloverKind::zsk) {
        switch (step.step) {
        case 1:
            return fmt::format("pre-publish a new ZSK to replace ZSK {}", old_tag);
        case 2:
            return fmt::format("activate ZSK {} and retire ZSK {}", new_tag, old_tag);
        default:
            return fmt::format("remove ZSK {}", old_tag);
        }
    }
    switch (step.step) {
    case 1:
        return fmt::format("create a new KSK to replace KSK {} and submit its DS to the parent",
                           old_tag);
    case 2:
        return fmt::format("replace KSK {} with KSK {} in the DNSKEY RRset", old_tag, new_tag);
    default:
        return fmt::format("delete KSK {} and remove its DS from the parent", old_tag);
    }
}

std::string format_utc(std::int64_t seconds)
{
    const auto time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    gmtime_r(&time, &parts);
    std::array<char, 32> text{};
    const std::size_t length =
        std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S UTC", &parts);
    return std::string(text.data(), length);
}

std::string format_duration(std::int64_t seconds)
{
    if (seconds <= 0) {
        return "0s";
    }
    constexpr std::array<std::pair<std::int64_t, char>, 4> units{
        {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}};
    std::string text;
    for (const auto& [size, unit] : units) {
        if (seconds >= size) {
            text += fmt::format("{}{}", seconds / size, unit);
            seconds %= size;
        }
    }
    return text;
}

} // namespace robur::dnssec
