#include "formats/dnssec/key_state.hpp"

#include <array>

namespace robur::dnssec {

namespace {

bool reached(const std::optional<std::int64_t>& time, std::int64_t now)
{
    return time && *time <= now;
}

} // namespace

bool is_published(const KeyTiming& timing, std::int64_t now)
{
    const bool publish_reached = !timing.publish || *timing.publish <= now;
    return publish_reached && !reached(timing.remove, now);
}

bool is_revoked(const KeyTiming& timing, std::int64_t now)
{
    return reached(timing.revoke, now);
}

bool is_active(const KeyTiming& timing, std::int64_t now)
{
    const bool activate_reached = !timing.activate || *timing.activate <= now;
    return is_published(timing, now) && !is_revoked(timing, now) && activate_reached &&
           !reached(timing.inactive, now);
}

KeyState key_state(const KeyTiming& timing, std::int64_t now)
{
    if (reached(timing.remove, now)) {
        return KeyState::removed;
    }
    if (!is_published(timing, now)) {
        return KeyState::generated;
    }
    if (is_revoked(timing, now)) {
        return KeyState::revoked;
    }
    if (is_active(timing, now)) {
        return KeyState::active;
    }
    return reached(timing.inactive, now) ? KeyState::inactive : KeyState::published;
}

std::string_view key_state_name(KeyState state)
{
    switch (state) {
    case KeyState::generated:
        return "generated";
    case KeyState::published:
        return "published";
    case KeyState::active:
        return "active";
    case KeyState::inactive:
        return "inactive";
    case KeyState::revoked:
        return "revoked";
    case KeyState::removed:
        return "removed";
    }
    return "unknown";
}

ZoneKeys select_keys(const std::vector<KeyFiles>& keys, std::int64_t now)
{
    ZoneKeys selected;
    for (const auto& files : keys) {
        if (!is_published(files.timing, now)) {
            continue;
        }

        if (is_revoked(files.timing, now)) {
            KeyPair revoked = files.key;
            revoked.flags = static_cast<std::uint16_t>(revoked.flags | dnskey_flags::revoke);
            selected.signing.push_back(std::move(revoked));
        } else if (is_active(files.timing, now)) {
            selected.signing.push_back(files.key);
        } else {
            selected.published.push_back(files.key.dnskey_record(0));
        }
    }
    return selected;
}

std::optional<std::int64_t> next_key_event(const std::vector<KeyFiles>& keys, std::int64_t now)
{
    std::optional<std::int64_t> next;
    for (const auto& files : keys) {
        const KeyTiming& timing = files.timing;
        const std::array events{timing.publish, timing.activate, timing.inactive, timing.revoke,
                                timing.remove};
        for (const auto& event : events) {
            if (event && *event > now && (!next || *event < *next)) {
                next = *event;
            }
        }
    }
    return next;
}

} // namespace robur::dnssec
