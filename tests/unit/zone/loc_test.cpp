#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "formats/zone/parser.hpp"
#include "formats/zone/record.hpp"

namespace robur::zone {
namespace {

// Parses one LOC record at loc.example.com. and returns its rdata, or fails the test.
std::vector<std::uint8_t> loc_rdata(const std::string& rdata)
{
    ParseOptions options;
    options.origin = Name::parse("example.com.").value();
    options.default_ttl = 3600;
    const auto result = parse_zone("loc LOC " + rdata + "\n", "zones/a.zone", options);
    EXPECT_TRUE(result.ok()) << (result.diagnostics.empty() ? "" : result.diagnostics[0].to_string());
    if (result.zone.records.size() != 1) {
        ADD_FAILURE() << "expected one record from: " << rdata;
        return {};
    }
    return result.zone.records[0].rdata;
}

std::uint32_t field(const std::vector<std::uint8_t>& rdata, std::size_t offset)
{
    return (std::uint32_t{rdata[offset]} << 24) | (std::uint32_t{rdata[offset + 1]} << 16) |
           (std::uint32_t{rdata[offset + 2]} << 8) | std::uint32_t{rdata[offset + 3]};
}

constexpr std::uint32_t equator = 1U << 31;

TEST(LocRecord, LongitudeWithMinutesWithoutSeconds)
{
    // 24 degrees 39 minutes east: (24 * 3600 + 39 * 60) * 1000 ms east of the meridian.
    const auto rdata = loc_rdata("0 9 1 N 24 39 E 10 90000000 2000 20");
    ASSERT_EQ(rdata.size(), 16U);
    EXPECT_EQ(field(rdata, 4), equator + (9 * 60 + 1) * 1000U);
    EXPECT_EQ(field(rdata, 8), equator + (24 * 3600 + 39 * 60) * 1000U);
    EXPECT_EQ(field(rdata, 12), 10'000'000U + 1000U);
}

TEST(LocRecord, EncodesPrecisionsAsMantissaAndExponent)
{
    const auto rdata = loc_rdata("0 9 1 N 24 39 E 10 90000000 2000 20");
    ASSERT_EQ(rdata.size(), 16U);
    EXPECT_EQ(rdata[0], 0);    // version
    EXPECT_EQ(rdata[1], 0x99); // 90000000 m = 9e9 cm
    EXPECT_EQ(rdata[2], 0x25); // 2000 m = 2e5 cm
    EXPECT_EQ(rdata[3], 0x23); // 20 m = 2e3 cm
}

TEST(LocRecord, DefaultsSizeAndPrecisions)
{
    const auto rdata = loc_rdata("42 21 54 N 71 06 18 W -24m");
    ASSERT_EQ(rdata.size(), 16U);
    EXPECT_EQ(rdata[1], 0x12); // 1 m
    EXPECT_EQ(rdata[2], 0x16); // 10,000 m
    EXPECT_EQ(rdata[3], 0x13); // 10 m
    EXPECT_EQ(field(rdata, 8), equator - (71 * 3600 + 6 * 60 + 18) * 1000U);
    EXPECT_EQ(field(rdata, 12), 10'000'000U - 2400U);
}

TEST(LocRecord, SouthAndFractionalSeconds)
{
    const auto rdata = loc_rdata("33 51 35.125 S 151 12 40.5 E 0.00m 1m 10000m 10m");
    ASSERT_EQ(rdata.size(), 16U);
    EXPECT_EQ(field(rdata, 4), equator - ((33 * 3600 + 51 * 60 + 35) * 1000U + 125U));
    EXPECT_EQ(field(rdata, 8), equator + ((151 * 3600 + 12 * 60 + 40) * 1000U + 500U));
}

TEST(LocRecord, RejectsOutOfRangeValues)
{
    const std::vector<std::string> bad{
        "91 0 0 N 0 0 0 E 0",     "0 60 0 N 0 0 0 E 0",       "0 0 60 N 0 0 0 E 0",
        "0 0 0 N 181 0 0 E 0",    "0 0 0 X 0 0 0 E 0",        "0 0 0 N 0 0 0 E",
        "0 0 0 N 0 0 0 E 0 1e3",  "0 0 0 N 0 0 0 E 0 1 1 1 1", "0 0 0 N 0 0 0 E -100001m",
        "90 1 0 N 0 0 0 E 0",
    };
    for (const auto& rdata : bad) {
        ParseOptions options;
        options.origin = Name::parse("example.com.").value();
        options.default_ttl = 3600;
        const auto result = parse_zone("loc LOC " + rdata + "\n", "zones/a.zone", options);
        EXPECT_FALSE(result.ok()) << "accepted: " << rdata;
    }
}

TEST(LocRecord, PresentationRoundTrips)
{
    const auto rdata = loc_rdata("0 9 1 N 24 39 E 10 90000000 2000 20");
    const std::string text = rdata_to_string(29, rdata);
    EXPECT_EQ(loc_rdata(text), rdata) << text;
}

} // namespace
} // namespace robur::zone
