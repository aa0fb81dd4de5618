#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/signed_zone_file.hpp"

namespace robur::cli {
namespace {

constexpr std::string_view user_text = "$TTL 300\n"
                                       "; my zone\n"
                                       "@ IN SOA ns1 hostmaster 5 3600 600 86400 300\n";
constexpr std::string_view block = "example.com.\t300\tIN\tNSEC\texample.com. SOA RRSIG NSEC\n";

TEST(SignedZoneFile, SplitsAtMarkerLine)
{
    const std::string digest = signed_file_digest(user_text, {}, block);
    const std::string text = join_signed_file(user_text, 5, digest, block);
    const auto parts = split_signed_file(text);
    EXPECT_EQ(parts.user_text, user_text);
    ASSERT_TRUE(parts.block);
    EXPECT_EQ(*parts.block, block);
    EXPECT_EQ(parts.marker_line, 4U);
    EXPECT_EQ(parts.serial, 5U);
    EXPECT_EQ(parts.digest, digest);
    EXPECT_EQ(digest.size(), 64U);
}

TEST(SignedZoneFile, FileWithoutMarkerIsAllUserText)
{
    const auto parts = split_signed_file(user_text);
    EXPECT_EQ(parts.user_text, user_text);
    EXPECT_FALSE(parts.block);
    EXPECT_EQ(parts.marker_line, 0U);
    EXPECT_FALSE(parts.serial);
    EXPECT_TRUE(parts.digest.empty());
}

TEST(SignedZoneFile, JoinAddsMissingFinalNewline)
{
    const std::string text = join_signed_file("@ IN A 192.0.2.1", 1, "00", "");
    EXPECT_EQ(text.find("@ IN A 192.0.2.1\n;; robur zone sign: "), 0U) << text;
}

TEST(SignedZoneFile, MalformedMarkerFieldsStayUnset)
{
    const auto parts =
        split_signed_file("@ IN A 192.0.2.1\n;; robur zone sign: (serial x, sha256 12)\nrest\n");
    ASSERT_TRUE(parts.block);
    EXPECT_EQ(*parts.block, "rest\n");
    EXPECT_FALSE(parts.serial);
    EXPECT_TRUE(parts.digest.empty());
}

TEST(SignedZoneFile, DigestCoversEveryPart)
{
    const std::string base = signed_file_digest(user_text, {"a IN A 192.0.2.1\n"}, block);
    EXPECT_EQ(base, signed_file_digest(user_text, {"a IN A 192.0.2.1\n"}, block));
    EXPECT_NE(base, signed_file_digest("; edited\n", {"a IN A 192.0.2.1\n"}, block));
    EXPECT_NE(base, signed_file_digest(user_text, {"a IN A 192.0.2.2\n"}, block));
    EXPECT_NE(base, signed_file_digest(user_text, {"a IN A 192.0.2.1\n"}, "edited\n"));
    // Text moved from one part to the next changes the digest too.
    EXPECT_NE(signed_file_digest("ab", {}, "c"), signed_file_digest("a", {}, "bc"));
}

} // namespace
} // namespace robur::cli
