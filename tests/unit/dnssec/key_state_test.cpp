// Key selection by timing metadata: which keys are published, which sign, and when the next
// change happens.

#include <cstdint>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "formats/dnssec/key_state.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

constexpr std::int64_t now = 1'800'000'000;
constexpr std::int64_t hour = 3600;

KeyFiles zsk(KeyTiming timing)
{
    return KeyFiles{testing::key("example.", Algorithm::ecdsap256sha256, dnskey_flags::zsk),
                    timing};
}

KeyFiles ksk(KeyTiming timing)
{
    return KeyFiles{testing::key("example.", Algorithm::ecdsap256sha256, dnskey_flags::ksk),
                    timing};
}

TEST(KeyState, KeyWithoutTimingSigns)
{
    const auto keys = select_keys({zsk({})}, now);

    ASSERT_EQ(keys.signing.size(), 1U);
    EXPECT_EQ(keys.signing[0].flags, dnskey_flags::zsk);
    EXPECT_TRUE(keys.published.empty());
    EXPECT_EQ(key_state({}, now), KeyState::active);
}

TEST(KeyState, PublishInFutureIsNotPublished)
{
    KeyTiming timing;
    timing.publish = now + hour;
    timing.activate = now + 2 * hour;

    const auto keys = select_keys({zsk(timing)}, now);

    EXPECT_TRUE(keys.signing.empty());
    EXPECT_TRUE(keys.published.empty());
    EXPECT_EQ(key_state(timing, now), KeyState::generated);
}

TEST(KeyState, PrePublishedKeyIsPublishedOnly)
{
    KeyTiming timing;
    timing.publish = now - hour;
    timing.activate = now + hour;

    const auto keys = select_keys({zsk(timing)}, now);

    EXPECT_TRUE(keys.signing.empty());
    ASSERT_EQ(keys.published.size(), 1U);
    EXPECT_EQ(keys.published[0].type, zone::rrtype::dnskey);
    EXPECT_EQ(keys.published[0].rdata, zsk(timing).key.dnskey_rdata());
    EXPECT_EQ(key_state(timing, now), KeyState::published);
}

TEST(KeyState, ActivateAtNowSigns)
{
    KeyTiming timing;
    timing.publish = now - hour;
    timing.activate = now;

    const auto keys = select_keys({zsk(timing)}, now);

    EXPECT_EQ(keys.signing.size(), 1U);
    EXPECT_TRUE(keys.published.empty());
}

TEST(KeyState, ActivateWithoutPublishSigns)
{
    KeyTiming timing;
    timing.activate = now - hour;

    EXPECT_EQ(select_keys({zsk(timing)}, now).signing.size(), 1U);
}

TEST(KeyState, RetiringKeyIsPublishedOnly)
{
    KeyTiming timing;
    timing.publish = now - 10 * hour;
    timing.activate = now - 10 * hour;
    timing.inactive = now - hour;
    timing.remove = now + hour;

    const auto keys = select_keys({zsk(timing)}, now);

    EXPECT_TRUE(keys.signing.empty());
    EXPECT_EQ(keys.published.size(), 1U);
    EXPECT_EQ(key_state(timing, now), KeyState::inactive);
}

TEST(KeyState, DeleteAtNowRemovesKey)
{
    KeyTiming timing;
    timing.activate = now - 10 * hour;
    timing.inactive = now - hour;
    timing.remove = now;

    const auto keys = select_keys({zsk(timing)}, now);

    EXPECT_TRUE(keys.signing.empty());
    EXPECT_TRUE(keys.published.empty());
    EXPECT_EQ(key_state(timing, now), KeyState::removed);
}

TEST(KeyState, DeleteRemovesActiveKey)
{
    KeyTiming timing;
    timing.remove = now - 1;

    EXPECT_TRUE(select_keys({zsk(timing)}, now).signing.empty());
}

TEST(KeyState, RevokedKeySignsWithRevokeFlag)
{
    KeyTiming timing;
    timing.activate = now - 10 * hour;
    timing.revoke = now - hour;

    const auto keys = select_keys({ksk(timing)}, now);

    ASSERT_EQ(keys.signing.size(), 1U);
    EXPECT_EQ(keys.signing[0].flags, dnskey_flags::ksk | dnskey_flags::revoke);
    EXPECT_TRUE(keys.published.empty());
    EXPECT_EQ(key_state(timing, now), KeyState::revoked);
}

TEST(KeyState, RevokedKeyAfterDeleteIsGone)
{
    KeyTiming timing;
    timing.revoke = now - 2 * hour;
    timing.remove = now - hour;

    const auto keys = select_keys({ksk(timing)}, now);

    EXPECT_TRUE(keys.signing.empty());
    EXPECT_TRUE(keys.published.empty());
}

TEST(KeyState, RevokeInFutureKeepsSigning)
{
    KeyTiming timing;
    timing.revoke = now + hour;

    const auto keys = select_keys({ksk(timing)}, now);

    ASSERT_EQ(keys.signing.size(), 1U);
    EXPECT_EQ(keys.signing[0].flags, dnskey_flags::ksk);
}

TEST(KeyState, KeepsInputOrder)
{
    KeyTiming retiring;
    retiring.inactive = now - hour;

    const auto keys = select_keys({ksk({}), zsk(retiring), zsk({})}, now);

    ASSERT_EQ(keys.signing.size(), 2U);
    EXPECT_EQ(keys.signing[0].flags, dnskey_flags::ksk);
    EXPECT_EQ(keys.signing[1].flags, dnskey_flags::zsk);
    EXPECT_EQ(keys.published.size(), 1U);
}

TEST(KeyState, NextEventIsEarliestAfterNow)
{
    KeyTiming first;
    first.created = now + 10; // not an event
    first.publish = now - hour;
    first.inactive = now + 3 * hour;
    KeyTiming second;
    second.activate = now + 2 * hour;
    second.remove = now + 5 * hour;

    EXPECT_EQ(next_key_event({zsk(first), zsk(second)}, now), now + 2 * hour);
}

TEST(KeyState, NextEventSkipsTimesAtNow)
{
    KeyTiming timing;
    timing.activate = now;
    timing.revoke = now + 1;

    EXPECT_EQ(next_key_event({ksk(timing)}, now), now + 1);
}

TEST(KeyState, NextEventNoneWithoutFutureTimes)
{
    KeyTiming timing;
    timing.publish = now - hour;

    EXPECT_EQ(next_key_event({zsk(timing), zsk({})}, now), std::nullopt);
    EXPECT_EQ(next_key_event({}, now), std::nullopt);
}

TEST(KeyState, StateNames)
{
    EXPECT_EQ(key_state_name(KeyState::generated), "generated");
    EXPECT_EQ(key_state_name(KeyState::published), "published");
    EXPECT_EQ(key_state_name(KeyState::active), "active");
    EXPECT_EQ(key_state_name(KeyState::inactive), "inactive");
    EXPECT_EQ(key_state_name(KeyState::revoked), "revoked");
    EXPECT_EQ(key_state_name(KeyState::removed), "removed");
}

} // namespace
} // namespace robur::dnssec
