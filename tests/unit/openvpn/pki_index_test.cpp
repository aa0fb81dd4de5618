#include <string>

#include <gtest/gtest.h>

#include "formats/openvpn/easyrsa_index.hpp"

namespace robur::openvpn {
namespace {

// Lines in the shape easyrsa 3.1 and OpenSSL `ca` write them.
constexpr std::string_view index_text =
    "V\t290309054109Z\t\t791406FF5C4C0E29E10122C50DE53702\tunknown\t/CN=server\n"
    "R\t270104054100Z\t261205054101Z,keyCompromise\t7BE4BCA4E264820FD3C4AAB174543467\tunknown"
    "\t/CN=alice\n"
    "E\t200101000000Z\t\t0A\tunknown\t/CN=old/emailAddress=old@example.com\n";

TEST(PkiIndex, ParsesEveryStatus)
{
    const auto outcome = parse_index(index_text, "index.txt");
    ASSERT_TRUE(outcome.diagnostics.empty()) << outcome.diagnostics.front().to_string();
    ASSERT_EQ(outcome.entries.size(), 3U);
    EXPECT_EQ(outcome.entries[0].status, IndexStatus::valid);
    EXPECT_EQ(outcome.entries[0].common_name(), "server");
    EXPECT_EQ(outcome.entries[1].status, IndexStatus::revoked);
    EXPECT_EQ(outcome.entries[1].revocation_reason, "keyCompromise");
    EXPECT_EQ(outcome.entries[1].revoked_at, *parse_index_time("261205054101Z"));
    EXPECT_EQ(outcome.entries[2].status, IndexStatus::expired);
    EXPECT_EQ(outcome.entries[2].common_name(), "old");
}

TEST(PkiIndex, WritesInputBack)
{
    const auto outcome = parse_index(index_text, "index.txt");
    EXPECT_EQ(write_index(outcome.entries), index_text);
}

TEST(PkiIndex, ReportsBadLinesAndKeepsOthers)
{
    const std::string text = std::string(index_text) + "X\tjunk\n" +
                             "V\t290309054109Z\t\tNOTHEX\tunknown\t/CN=bad\n";
    const auto outcome = parse_index(text, "index.txt");
    ASSERT_EQ(outcome.diagnostics.size(), 2U);
    EXPECT_EQ(outcome.diagnostics[0].where.line, 4U);
    EXPECT_EQ(outcome.diagnostics[1].where.line, 5U);
    EXPECT_NE(outcome.diagnostics[1].message.find("NOTHEX"), std::string::npos);
    EXPECT_EQ(outcome.entries.size(), 3U);
}

TEST(PkiIndex, FormatsTimesAroundTwentyFifty)
{
    EXPECT_EQ(format_index_time(0), "700101000000Z");
    EXPECT_EQ(format_index_time(2524608000), "20500101000000Z"); // 2050-01-01
    EXPECT_EQ(parse_index_time("20500101000000Z"), 2524608000);
    EXPECT_EQ(parse_index_time("491231235959Z"), 2524607999);
    EXPECT_FALSE(parse_index_time("2901").has_value());
    EXPECT_FALSE(parse_index_time("291301000000Z").has_value());
}

} // namespace
} // namespace robur::openvpn
