// DS records computed from DNSKEYs, checked against RFC examples and BIND's dnssec-dsfromkey.

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "formats/dnssec/ds.hpp"
#include "formats/dnssec/key_file.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {
namespace {

std::string read_text(const std::string& path)
{
    std::ifstream input(path, std::ios::binary);
    EXPECT_TRUE(input) << "cannot open " << path;
    std::ostringstream text;
    text << input.rdbuf();
    return text.str();
}

std::string data_path(std::string_view file)
{
    return std::string(ROBUR_TEST_DATA_DIR) + "/dnssec/" + std::string(file);
}

std::string lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// The DS rdata in presentation format with lower-case hex, as the DS line of dsfromkey shows it
// after "IN DS ".
std::string ds_text(std::string_view dnskey_line, DigestType type)
{
    const auto dnskey = parse_public_key_file(dnskey_line, "test.key");
    EXPECT_TRUE(dnskey) << dnskey.error().to_string();
    const auto ds = ds_record(dnskey.value(), type);
    EXPECT_TRUE(ds) << ds.error().message;
    return lowercase(zone::rdata_to_string(zone::rrtype::ds, ds.value().rdata));
}

// "example.com. IN DS 3022 8 2 HEX" lines of dnssec-dsfromkey, rdata only, lower case.
std::vector<std::string> dsfromkey_rdata()
{
    std::vector<std::string> lines;
    std::istringstream input(read_text(data_path("dsfromkey.out")));
    for (std::string line; std::getline(input, line);) {
        const auto start = line.find("IN DS ");
        EXPECT_NE(start, std::string::npos) << line;
        lines.push_back(lowercase(line.substr(start + 6)));
    }
    return lines;
}

TEST(Ds, MatchesRfc8080Examples)
{
    EXPECT_EQ(ds_text("example.com. 3600 IN DNSKEY 257 3 15 "
                      "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
                      DigestType::sha256),
              "3613 15 2 3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b");
    EXPECT_EQ(ds_text("example.com. 3600 IN DNSKEY 257 3 15 "
                      "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=",
                      DigestType::sha256),
              "35217 15 2 401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c");
}

TEST(Ds, MatchesRfc6605EcdsaExampleWithBothDigests)
{
    constexpr std::string_view dnskey =
        "example.net. 3600 IN DNSKEY 257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQp"
        "F64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==";
    EXPECT_EQ(ds_text(dnskey, DigestType::sha256),
              "55648 13 2 b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17");
    EXPECT_EQ(ds_text(dnskey, DigestType::sha384),
              "55648 13 4 3be4b980b34443e569255f4a347d4c8e8e18de755fb8072d7b355c44c56b50a61e8050ae"
              "636041b9664a04f05aef2680");
}

TEST(Ds, MatchesDnssecDsfromkeyForEachAlgorithm)
{
    const auto expected = dsfromkey_rdata();
    ASSERT_EQ(expected.size(), 6U);
    const std::string_view stems[] = {"Kexample.com.+008+03022", "Kexample.com.+013+26493",
                                      "Kexample.com.+015+45018"};
    for (std::size_t i = 0; i < 3; ++i) {
        const std::string text = read_text(data_path(std::string(stems[i]) + ".key"));
        EXPECT_EQ(ds_text(text, DigestType::sha256), expected[2 * i]) << stems[i];
        EXPECT_EQ(ds_text(text, DigestType::sha384), expected[2 * i + 1]) << stems[i];
    }
}

TEST(Ds, DigestsOwnerNameInLowerCase)
{
    const auto upper = ds_text("EXAMPLE.com. IN DNSKEY 257 3 15 "
                               "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
                               DigestType::sha256);
    EXPECT_EQ(upper, "3613 15 2 3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b");
}

TEST(Ds, KeepsOwnerClassAndTtlOfDnskey)
{
    const auto dnskey = parse_public_key_file(
        "example.com. 7200 IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
        "a.key");
    ASSERT_TRUE(dnskey);
    const auto ds = ds_record(*dnskey, DigestType::sha384);
    ASSERT_TRUE(ds);
    EXPECT_EQ(ds->owner, dnskey->owner);
    EXPECT_EQ(ds->type, zone::rrtype::ds);
    EXPECT_EQ(ds->ttl, 7200U);
    EXPECT_EQ(ds->rdata.size(), 4U + 48U);
}

TEST(Ds, RejectsTruncatedDnskeyRdata)
{
    const auto ds = ds_rdata(zone::Name(), std::vector<std::uint8_t>{1, 1, 3}, DigestType::sha256);
    ASSERT_FALSE(ds);
    EXPECT_EQ(ds.error().code, Errc::invalid_argument);
}

TEST(DigestType, ParsesNamesAndNumbers)
{
    EXPECT_EQ(digest_type_from_string("sha256"), DigestType::sha256);
    EXPECT_EQ(digest_type_from_string("SHA384"), DigestType::sha384);
    EXPECT_EQ(digest_type_from_string("2"), DigestType::sha256);
    EXPECT_EQ(digest_type_from_string("4"), DigestType::sha384);
    EXPECT_FALSE(digest_type_from_string("sha1"));
    EXPECT_FALSE(digest_type_from_string("1"));
    EXPECT_EQ(digest_type_name(DigestType::sha384), "sha384");
}

} // namespace
} // namespace robur::dnssec
