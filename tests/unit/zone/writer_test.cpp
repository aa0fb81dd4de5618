#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "formats/zone/parser.hpp"
#include "formats/zone/writer.hpp"

namespace robur::zone {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

ParseResult parse(std::string_view text, std::string_view origin = "example.com.")
{
    ParseOptions options;
    options.origin = Name::parse(origin).value();
    return parse_zone(text, "test.zone", options);
}

std::string describe(const ParseResult& result)
{
    std::string out;
    for (const auto& diagnostic : result.diagnostics) {
        out += diagnostic.to_string() + "\n";
    }
    return out;
}

// Every tests/data/zone/NAME.in, parsed with origin example.com., must format to NAME.out.
TEST(ZoneWriter, MatchesGoldenFiles)
{
    const fs::path folder = fs::path(ROBUR_TEST_DATA_DIR) / "zone";
    std::size_t cases = 0;
    for (const auto& file : fs::directory_iterator(folder)) {
        if (file.path().extension() != ".in") {
            continue;
        }
        ++cases;
        const auto result = parse(read_file(file.path()));
        ASSERT_TRUE(result.ok()) << file.path() << "\n" << describe(result);
        fs::path expected = file.path();
        expected.replace_extension(".out");
        EXPECT_EQ(format_zone(result.zone), read_file(expected)) << file.path();
    }
    EXPECT_GE(cases, 1U);
}

TEST(ZoneWriter, PutsApexSoaFirst)
{
    const auto result = parse("$TTL 60\n@ A 192.0.2.1\n@ NS ns\n@ SOA ns host 1 2 3 4 5\n");
    ASSERT_TRUE(result.ok()) << describe(result);
    const auto records = canonical_records(result.zone);
    ASSERT_EQ(records.size(), 3U);
    EXPECT_EQ(records[0].type, rrtype::soa);
    EXPECT_EQ(records[1].type, rrtype::a);
    EXPECT_EQ(records[2].type, rrtype::ns);
}

TEST(ZoneWriter, RemovesDuplicateRecords)
{
    const auto result = parse("$TTL 60\nwww A 192.0.2.1\nWWW 30 A 192.0.2.1\nwww A 192.0.2.2\n");
    ASSERT_TRUE(result.ok()) << describe(result);
    const auto records = canonical_records(result.zone);
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[0].ttl, 60U) << "the first of the duplicates is kept";
}

TEST(ZoneWriter, WritesAbsoluteOwnersOneRecordPerLine)
{
    const auto result = parse("$TTL 60\nwww A 192.0.2.1\n");
    ASSERT_TRUE(result.ok()) << describe(result);
    EXPECT_EQ(format_zone(result.zone),
              "$ORIGIN example.com.\nwww.example.com.\t60\tIN\tA\t192.0.2.1\n");
}

TEST(ZoneWriter, SortsOwnersInCanonicalOrder)
{
    const auto result = parse("$TTL 60\nz A 192.0.2.1\nb.a A 192.0.2.1\n@ A 192.0.2.1\n"
                              "a A 192.0.2.1\n*.a A 192.0.2.1\n");
    ASSERT_TRUE(result.ok()) << describe(result);
    std::vector<std::string> owners;
    for (const auto& record : canonical_records(result.zone)) {
        owners.push_back(record.owner.to_string());
    }
    EXPECT_EQ(owners,
              (std::vector<std::string>{"example.com.", "a.example.com.", "*.a.example.com.",
                                        "b.a.example.com.", "z.example.com."}));
}

TEST(ZoneWriter, OutputParsesToTheSameRecords)
{
    const auto result = parse("$TTL 60\n@ SOA ns host 1 2 3 4 5\n"
                              "txt TXT \"tab\\009quote\\\"semi;\" \"\"\n"
                              "odd\\032name A 192.0.2.1\n"
                              "ptr PTR \\\"q\\\"\\;\\(x\\).example.com.\n"
                              "caa CAA 0 issue \"ca.example.net; policy=ev\"\n"
                              "x TYPE65000 \\# 2 beef\n"
                              "loc LOC 60 9 0 N 24 39 0 E 10m 20m 2000m 20m\n");
    ASSERT_TRUE(result.ok()) << describe(result);
    const std::string written = format_zone(result.zone);
    const auto again = parse(written);
    ASSERT_TRUE(again.ok()) << describe(again) << written;
    const auto expected = canonical_records(result.zone);
    const auto actual = canonical_records(again.zone);
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_TRUE(actual[i].same_data(expected[i])) << written;
    }
    EXPECT_EQ(format_zone(again.zone), written);
}

TEST(ZoneWriter, MalformedRdataUsesGenericForm)
{
    // An A record with 3 octets has no presentation form of its own.
    const std::vector<std::uint8_t> rdata = {10, 0, 0};
    EXPECT_EQ(rdata_to_string(rrtype::a, rdata), "\\# 3 0a0000");
    EXPECT_EQ(rdata_to_string(rrtype::txt, {}), "\\# 0");
}

} // namespace
} // namespace robur::zone
