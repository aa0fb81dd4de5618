#include "formats/icalendar/values.hpp"
#include "formats/icalendar/windows_zones.hpp"
#include "formats/icalendar/timezones.hpp"

#include <gtest/gtest.h>

namespace robur::icalendar {
namespace {

TEST(CalendarValues, ParsesDateAndDateTime)
{
    auto date = parse_date_time("20240229");
    ASSERT_TRUE(date.has_value());
    EXPECT_TRUE(date->is_date);
    auto utc = parse_date_time("20240101T235960Z");
    ASSERT_TRUE(utc.has_value());
    EXPECT_TRUE(utc->utc);
    EXPECT_EQ(utc->second, 60);
    EXPECT_FALSE(parse_date_time("20230229").has_value());
    EXPECT_FALSE(parse_date_time("20241301").has_value());
    EXPECT_FALSE(parse_date_time("20240101T240000").has_value());
    EXPECT_FALSE(parse_date_time("20240101 120000").has_value());
    EXPECT_FALSE(parse_date_time("20240101T120000X").has_value());
}

TEST(CalendarValues, ParsesDurations)
{
    EXPECT_EQ(parse_duration("PT15M"), 900);
    EXPECT_EQ(parse_duration("-PT15M"), -900);
    EXPECT_EQ(parse_duration("P1W"), 7 * 86400);
    EXPECT_EQ(parse_duration("P1DT2H3M4S"), 86400 + 7200 + 180 + 4);
    EXPECT_EQ(parse_duration("+P0D"), 0);
    EXPECT_FALSE(parse_duration("P").has_value());
    EXPECT_FALSE(parse_duration("PT").has_value());
    EXPECT_FALSE(parse_duration("P1H").has_value());
    EXPECT_FALSE(parse_duration("PT1D").has_value());
    EXPECT_FALSE(parse_duration("P1W2D").has_value());
    EXPECT_FALSE(parse_duration("PT1S2M").has_value());
}

TEST(CalendarValues, RejectsOverflowingDuration)
{
    EXPECT_FALSE(parse_duration("P99999999999D").has_value());
    EXPECT_FALSE(parse_duration("P30000D").has_value()); // 82 years of seconds exceed 32 bits
    EXPECT_TRUE(parse_duration("P24000D").has_value());
}

TEST(CalendarValues, ParsesUtcOffsets)
{
    EXPECT_EQ(parse_utc_offset("+0100"), 3600);
    EXPECT_EQ(parse_utc_offset("-0530"), -(5 * 3600 + 30 * 60));
    EXPECT_EQ(parse_utc_offset("+005328"), 53 * 60 + 28);
    EXPECT_FALSE(parse_utc_offset("+5328").has_value());
    EXPECT_FALSE(parse_utc_offset("+0160").has_value());
    EXPECT_FALSE(parse_utc_offset("-0000").has_value());
    EXPECT_FALSE(parse_utc_offset("0100").has_value());
}

TEST(CalendarValues, ParsesRecurParts)
{
    auto parts = parse_recur_parts("FREQ=WEEKLY;byday=MO,TU;COUNT=3");
    ASSERT_TRUE(parts.has_value());
    EXPECT_EQ(parts->at("FREQ"), "WEEKLY");
    EXPECT_EQ(parts->at("BYDAY"), "MO,TU");
    EXPECT_FALSE(parse_recur_parts("FREQ=DAILY;FREQ=WEEKLY").has_value());
    EXPECT_FALSE(parse_recur_parts("FREQ").has_value());
}

TEST(WindowsZones, MatchesTolerantly)
{
    EXPECT_EQ(iana_zone_for_windows_name("W. Europe Standard Time"), "Europe/Berlin");
    EXPECT_EQ(iana_zone_for_windows_name("\"w. europe  standard time\""), "Europe/Berlin");
    EXPECT_EQ(iana_zone_for_windows_name(" Eastern Standard Time "), "America/New_York");
    EXPECT_FALSE(iana_zone_for_windows_name("Mars Standard Time").has_value());
}

TEST(TimeZones, ResolvesInOrder)
{
    EXPECT_EQ(resolve_tzid("Custom", {"Custom"}), ZoneSource::embedded);
    EXPECT_EQ(resolve_tzid("Europe/Paris", {}), ZoneSource::iana);
    EXPECT_EQ(resolve_tzid("/mozilla.org/20050126_1/Europe/Paris", {}), ZoneSource::iana);
    EXPECT_EQ(resolve_tzid("Romance Standard Time", {}), ZoneSource::windows);
    EXPECT_EQ(resolve_tzid("local;VALUE=DATE-TIME", {"local"}), ZoneSource::unknown);
    EXPECT_EQ(iana_name_for_tzid("Tokyo Standard Time"), "Asia/Tokyo");
}

} // namespace
} // namespace robur::icalendar
