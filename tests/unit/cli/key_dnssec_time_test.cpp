// The time options of `robur key dnssec`: absolute times, offsets from the clock and errors.

#include <chrono>
#include <cstdint>

#include <gtest/gtest.h>

#include "cli/key_dnssec_common.hpp"

namespace robur::cli {
namespace {

std::int64_t clock_seconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST(KeyDnssecTime, ReadsKeyFileTime)
{
    const auto time = parse_time_option("--now", "20270101000000");

    ASSERT_TRUE(time) << time.error().message;
    EXPECT_EQ(*time, 1798761600);
}

TEST(KeyDnssecTime, ReadsOffsetsFromClock)
{
    const std::int64_t before = clock_seconds();
    const auto later = parse_time_option("--now", "+1d2h");
    const auto earlier = parse_time_option("--now", "-30m");
    const auto now = parse_time_option("--now", "now");
    const auto empty = parse_time_option("--now", "");
    const std::int64_t after = clock_seconds();

    ASSERT_TRUE(later) << later.error().message;
    ASSERT_TRUE(earlier) << earlier.error().message;
    ASSERT_TRUE(now) << now.error().message;
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_GE(*later, before + 93600);
    EXPECT_LE(*later, after + 93600);
    EXPECT_GE(*earlier, before - 1800);
    EXPECT_LE(*earlier, after - 1800);
    EXPECT_GE(*now, before);
    EXPECT_LE(*empty, after);
}

TEST(KeyDnssecTime, RejectsMalformedTimes)
{
    for (const auto* text : {"tomorrow", "2027010100", "20271301000000", "+", "+1x", "-d"}) {
        const auto time = parse_time_option("--ds-published-at", text);
        ASSERT_FALSE(time) << text;
        EXPECT_EQ(time.error().code, Errc::usage) << text;
        EXPECT_NE(time.error().message.find("--ds-published-at"), std::string::npos) << text;
    }
}

} // namespace
} // namespace robur::cli
