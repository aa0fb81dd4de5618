// Rollover steps worked out from key timing: which step comes next, when it may run, and
// the timing each step writes.

#include <cstdint>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "formats/dnssec/key_state.hpp"
#include "formats/dnssec/rollover.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

constexpr std::int64_t start = 1'800'000'000;
constexpr std::int64_t hour = 3600;
constexpr std::int64_t day = 86400;

RolloverTimings timings()
{
    RolloverTimings result;
    result.dnskey_ttl = hour;
    result.max_zone_ttl = 2 * hour;
    result.propagation_delay = hour;
    result.parent_ds_ttl = day;
    result.parent_propagation_delay = hour;
    return result;
}

KeyTiming active_since(std::int64_t time)
{
    KeyTiming timing;
    timing.created = time;
    timing.publish = time;
    timing.activate = time;
    return timing;
}

KeyFiles key(std::string_view owner, std::uint16_t flags, KeyTiming timing)
{
    return KeyFiles{testing::key(owner, Algorithm::ecdsap256sha256, flags), timing};
}

// A zone with a KSK and a ZSK, both active since start. The second ZSK or KSK of a rollover
// comes from another owner name so that its key differs, which the step logic ignores.
std::vector<KeyFiles> zone_keys()
{
    return {key("example.", dnskey_flags::ksk, active_since(start)),
            key("example.", dnskey_flags::zsk, active_since(start))};
}

TEST(Rollover, NoRolloverStartsAtStepOne)
{
    const auto step = next_rollover_step(zone_keys(), RolloverKind::zsk, timings(), start + day);

    ASSERT_TRUE(step) << step.error().message;
    EXPECT_EQ(step->step, 1);
    EXPECT_EQ(step->old_key, 1U);
    EXPECT_FALSE(step->new_key);
    EXPECT_EQ(step->earliest, start + day);
}

TEST(Rollover, ZskStepTwoWaitsForDnskeyTtl)
{
    auto keys = zone_keys();
    const std::int64_t now = start + day;
    keys.push_back(
        key("a.example.", dnskey_flags::zsk, successor_timing(RolloverKind::zsk, timings(), now)));

    const auto step = next_rollover_step(keys, RolloverKind::zsk, timings(), now);

    ASSERT_TRUE(step) << step.error().message;
    EXPECT_EQ(step->step, 2);
    EXPECT_EQ(step->old_key, 1U);
    EXPECT_EQ(step->new_key, 2U);
    EXPECT_EQ(step->earliest, now + 2 * hour); // DNSKEY TTL + propagation delay
    EXPECT_NE(step->rule.find("DNSKEY TTL (1h)"), std::string::npos) << step->rule;
}

TEST(Rollover, ZskSuccessorIsPublishedNotActive)
{
    const std::int64_t now = start + day;
    const KeyTiming timing = successor_timing(RolloverKind::zsk, timings(), now);

    EXPECT_EQ(key_state(timing, now), KeyState::published);
    EXPECT_EQ(key_state(timing, now + 2 * hour), KeyState::active);
}

TEST(Rollover, ZskStepTwoRetiresOldKey)
{
    auto keys = zone_keys();
    const std::int64_t begun = start + day;
    keys.push_back(key("a.example.", dnskey_flags::zsk,
                       successor_timing(RolloverKind::zsk, timings(), begun)));
    const std::int64_t now = begun + hour; // forced: one hour early
    const auto step = next_rollover_step(keys, RolloverKind::zsk, timings(), now);
    ASSERT_TRUE(step) << step.error().message;

    apply_rollover_step(keys, *step, now);

    EXPECT_EQ(keys[1].timing.inactive, now);
    EXPECT_FALSE(keys[1].timing.remove);
    EXPECT_EQ(keys[2].timing.activate, now);
    EXPECT_EQ(key_state(keys[1].timing, now), KeyState::inactive);
    EXPECT_EQ(key_state(keys[2].timing, now), KeyState::active);
}

TEST(Rollover, ZskStepThreeWaitsForLargestTtl)
{
    auto keys = zone_keys();
    const std::int64_t retired = start + day;
    keys[1].timing.inactive = retired;
    keys.push_back(key("a.example.", dnskey_flags::zsk, active_since(retired)));

    const auto step = next_rollover_step(keys, RolloverKind::zsk, timings(), retired);

    ASSERT_TRUE(step) << step.error().message;
    EXPECT_EQ(step->step, 3);
    EXPECT_EQ(step->old_key, 1U);
    EXPECT_EQ(step->new_key, 2U);
    EXPECT_EQ(step->earliest, retired + 3 * hour); // largest TTL + propagation delay
}

TEST(Rollover, KskStepOneSuccessorIsNotPublished)
{
    const std::int64_t now = start + day;
    const KeyTiming timing = successor_timing(RolloverKind::ksk, timings(), now);

    EXPECT_EQ(timing.created, now);
    EXPECT_EQ(key_state(timing, now), KeyState::generated);
    EXPECT_EQ(timing.publish, now + day + hour);
}

TEST(Rollover, KskStepTwoWaitsForParentDs)
{
    auto keys = zone_keys();
    const std::int64_t begun = start + day;
    keys.push_back(key("a.example.", dnskey_flags::ksk,
                       successor_timing(RolloverKind::ksk, timings(), begun)));

    const auto step = next_rollover_step(keys, RolloverKind::ksk, timings(), begun);

    ASSERT_TRUE(step) << step.error().message;
    EXPECT_EQ(step->step, 2);
    EXPECT_EQ(step->old_key, 0U);
    EXPECT_EQ(step->new_key, 2U);
    EXPECT_EQ(step->earliest, begun + day + hour);
}

TEST(Rollover, KskStepTwoCountsFromDsPublication)
{
    auto keys = zone_keys();
    const std::int64_t begun = start + day;
    keys.push_back(key("a.example.", dnskey_flags::ksk,
                       successor_timing(RolloverKind::ksk, timings(), begun)));

    const auto step =
        next_rollover_step(keys, RolloverKind::ksk, timings(), begun, begun + 5 * hour);

    ASSERT_TRUE(step) << step.error().message;
    EXPECT_EQ(step->earliest, begun + 5 * hour + day + hour);
}

TEST(Rollover, KskRejectsDsBeforeKeyCreated)
{
    auto keys = zone_keys();
    const std::int64_t begun = start + day;
    keys.push_back(key("a.example.", dnskey_flags::ksk,
                       successor_timing(RolloverKind::ksk, timings(), begun)));

    const auto step = next_rollover_step(keys, RolloverKind::ksk, timings(), begun, begun - 1);

    ASSERT_FALSE(step);
    EXPECT_EQ(step.error().code, Errc::invalid_argument);
}

TEST(Rollover, KskStepTwoSwapsKeys)
{
    auto keys = zone_keys();
    const std::int64_t begun = start + day;
    keys.push_back(key("a.example.", dnskey_flags::ksk,
                       successor_timing(RolloverKind::ksk, timings(), begun)));
    const std::int64_t now = begun + 2 * day;
    const auto step = next_rollover_step(keys, RolloverKind::ksk, timings(), now);
    ASSERT_TRUE(step) << step.error().message;

    apply_rollover_step(keys, *step, now);

    EXPECT_EQ(key_state(keys[0].timing, now), KeyState::removed);
    EXPECT_EQ(keys[2].timing.publish, begun + day + hour); // already past, so kept
    EXPECT_EQ(key_state(keys[2].timing, now), KeyState::active);
}

TEST(Rollover, KskStepThreeWaitsForDnskeyTtl)
{
    auto keys = zone_keys();
    const std::int64_t swapped = start + day;
    keys[0].timing.inactive = swapped;
    keys[0].timing.remove = swapped;
    keys.push_back(key("a.example.", dnskey_flags::ksk, active_since(swapped)));

    const auto step = next_rollover_step(keys, RolloverKind::ksk, timings(), swapped);

    ASSERT_TRUE(step) << step.error().message;
    EXPECT_EQ(step->step, 3);
    EXPECT_EQ(step->old_key, 0U);
    EXPECT_EQ(step->earliest, swapped + 2 * hour);
}

TEST(Rollover, KskOfCskZoneIsUnsupported)
{
    const std::vector<KeyFiles> keys{key("example.", dnskey_flags::ksk, active_since(start))};

    const auto step = next_rollover_step(keys, RolloverKind::ksk, timings(), start);

    ASSERT_FALSE(step);
    EXPECT_EQ(step.error().code, Errc::unsupported);
}

TEST(Rollover, ZskMissingIsNotFound)
{
    const std::vector<KeyFiles> keys{key("example.", dnskey_flags::ksk, active_since(start))};

    const auto step = next_rollover_step(keys, RolloverKind::zsk, timings(), start);

    ASSERT_FALSE(step);
    EXPECT_EQ(step.error().code, Errc::not_found);
}

TEST(Rollover, ThreeCurrentZsksFitNoStep)
{
    auto keys = zone_keys();
    keys.push_back(key("a.example.", dnskey_flags::zsk, active_since(start)));
    keys.push_back(key("b.example.", dnskey_flags::zsk, active_since(start)));

    const auto step = next_rollover_step(keys, RolloverKind::zsk, timings(), start);

    ASSERT_FALSE(step);
    EXPECT_EQ(step.error().code, Errc::validation_failed);
}

TEST(Rollover, RevokedKeysTakeNoPart)
{
    auto keys = zone_keys();
    keys.push_back(key("a.example.", dnskey_flags::ksk, active_since(start)));
    keys.back().timing.revoke = start;

    const auto step = next_rollover_step(keys, RolloverKind::ksk, timings(), start);

    ASSERT_TRUE(step) << step.error().message;
    EXPECT_EQ(step->step, 1);
}

TEST(Rollover, KeyRoles)
{
    const auto keys = zone_keys();
    const std::vector<KeyFiles> csk_only{keys[0]};

    EXPECT_EQ(key_role(keys, 0), KeyRole::ksk);
    EXPECT_EQ(key_role(keys, 1), KeyRole::zsk);
    EXPECT_EQ(key_role(csk_only, 0), KeyRole::csk);
}

TEST(Rollover, FormatsDurationsAndTimes)
{
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(day + 2 * hour + 3 * 60 + 4), "1d2h3m4s");
    EXPECT_EQ(format_duration(hour), "1h");
    EXPECT_EQ(format_utc(0), "1970-01-01 00:00:00 UTC");
}

} // namespace
} // namespace robur::dnssec
