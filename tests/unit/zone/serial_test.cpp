#include <gtest/gtest.h>

#include "formats/zone/serial.hpp"

namespace robur::zone {
namespace {

TEST(Serial, GreaterWithoutWrap)
{
    EXPECT_TRUE(serial_gt(2, 1));
    EXPECT_FALSE(serial_gt(1, 2));
    EXPECT_FALSE(serial_gt(5, 5));
}

TEST(Serial, GreaterAcrossWrap)
{
    // RFC 1982 section 3.2: 0 follows 4294967295, and 100 is greater than 4294967000.
    EXPECT_TRUE(serial_gt(0, 0xffffffffU));
    EXPECT_TRUE(serial_gt(100, 4294967000U));
    EXPECT_FALSE(serial_gt(0xffffffffU, 0));
}

TEST(Serial, LargestStepStillGreater)
{
    EXPECT_TRUE(serial_gt(0x7fffffffU, 0));
    EXPECT_TRUE(serial_gt(0x80000000U + 5, 6));
}

TEST(Serial, HalfwayIsUndefined)
{
    // The RFC leaves s1 and s1 + 2^31 unordered: neither compares greater nor less.
    EXPECT_FALSE(serial_gt(0x80000000U, 0));
    EXPECT_FALSE(serial_gt(0, 0x80000000U));
    EXPECT_FALSE(serial_lt(0x80000000U, 0));
    EXPECT_FALSE(serial_lt(0, 0x80000000U));
}

TEST(Serial, LessMirrorsGreater)
{
    EXPECT_TRUE(serial_lt(1, 2));
    EXPECT_TRUE(serial_lt(0xffffffffU, 0));
    EXPECT_FALSE(serial_lt(2, 1));
    EXPECT_FALSE(serial_lt(7, 7));
}

TEST(Serial, IncrementWraps)
{
    const auto next = serial_increment(0xffffffffU);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(*next, 0U);
    EXPECT_TRUE(serial_gt(*next, 0xffffffffU));
}

TEST(Serial, IncrementByMaximum)
{
    const auto next = serial_increment(10, max_serial_increment);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(*next, 10U + max_serial_increment);
    EXPECT_TRUE(serial_gt(*next, 10));
}

TEST(Serial, IncrementRejectsOutOfRange)
{
    EXPECT_FALSE(serial_increment(1, 0).has_value());
    const auto too_large = serial_increment(1, max_serial_increment + 1);
    ASSERT_FALSE(too_large.has_value());
    EXPECT_EQ(too_large.error().code, Errc::invalid_argument);
    EXPECT_NE(too_large.error().message.find("2147483648"), std::string::npos);
}

TEST(Serial, NextSerialUsesDate)
{
    EXPECT_EQ(next_serial(2024010105, 20240302), 2024030200U);
    EXPECT_EQ(next_serial(2024030205, 20240302), 2024030206U);
    EXPECT_EQ(next_serial(2024030299, 20240302), 2024030300U);
}

TEST(Serial, NextSerialCountsPlainSerials)
{
    EXPECT_EQ(next_serial(41, 20240302), 42U);
    EXPECT_EQ(next_serial(0xffffffffU, 20240302), 0U);
}

} // namespace
} // namespace robur::zone
