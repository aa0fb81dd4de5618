#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/zone/diff.hpp"
#include "formats/zone/parser.hpp"

namespace robur::zone {
namespace {

constexpr std::string_view head = "$ORIGIN example.com.\n"
                                  "$TTL 300\n"
                                  "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                  "@ IN NS ns1\n";

Zone parse(std::string_view text)
{
    ParseOptions options;
    options.origin = *Name::parse("example.com.");
    auto result = parse_zone(text, "test.zone", options);
    std::string faults;
    for (const auto& diagnostic : result.diagnostics) {
        faults += diagnostic.to_string() + "\n";
    }
    EXPECT_TRUE(result.ok()) << faults;
    return result.zone;
}

Zone zone_with(std::string_view records, std::string_view soa_serial = "1")
{
    std::string text(head);
    text.replace(text.find(" 1 3600"), 2, fmt::format(" {}", soa_serial));
    text += records;
    return parse(text);
}

std::string lines_of(const ZoneDiff& diff)
{
    std::string text;
    for (const auto& line : diff.lines) {
        text += line.kind == DiffLine::Kind::removed ? '-' : '+';
        text += record_to_string(line.record) + "\n";
    }
    return text;
}

TEST(ZoneDiff, IdenticalZonesHaveNoDifference)
{
    const auto diff = diff_zones(zone_with("www A 192.0.2.1\n"), zone_with("www A 192.0.2.1\n"));
    EXPECT_TRUE(diff.empty()) << lines_of(diff);
    EXPECT_EQ(format_diff_text(diff, "a", "b"), "");
}

TEST(ZoneDiff, OrderOfRecordsDoesNotMatter)
{
    const auto diff = diff_zones(zone_with("www A 192.0.2.1\nmail A 192.0.2.2\n"),
                                 zone_with("mail A 192.0.2.2\nwww A 192.0.2.1\n"));
    EXPECT_TRUE(diff.empty()) << lines_of(diff);
}

TEST(ZoneDiff, OwnerCaseDoesNotMatter)
{
    const auto diff = diff_zones(zone_with("www A 192.0.2.1\n"), zone_with("WWW A 192.0.2.1\n"));
    EXPECT_TRUE(diff.empty()) << lines_of(diff);
}

TEST(ZoneDiff, ReportsRemovedAndAdded)
{
    const auto diff =
        diff_zones(zone_with("www A 192.0.2.1\n"), zone_with("www A 192.0.2.2\n", "2"));
    ASSERT_EQ(diff.lines.size(), 4U) << lines_of(diff);
    EXPECT_EQ(diff.before_serial, 1U);
    EXPECT_EQ(diff.after_serial, 2U);
    EXPECT_EQ(lines_of(diff),
              "-example.com.\t300\tIN\tSOA\tns1.example.com. hostmaster.example.com. 1 3600 600 "
              "86400 300\n"
              "+example.com.\t300\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2 3600 600 "
              "86400 300\n"
              "-www.example.com.\t300\tIN\tA\t192.0.2.1\n"
              "+www.example.com.\t300\tIN\tA\t192.0.2.2\n");
}

TEST(ZoneDiff, TtlChangeIsRemovedAndAdded)
{
    const auto diff =
        diff_zones(zone_with("www A 192.0.2.1\n"), zone_with("www 600 A 192.0.2.1\n"));
    ASSERT_EQ(diff.lines.size(), 2U) << lines_of(diff);
    EXPECT_EQ(diff.lines[0].kind, DiffLine::Kind::removed);
    EXPECT_EQ(diff.lines[0].record.ttl, 300U);
    EXPECT_EQ(diff.lines[1].kind, DiffLine::Kind::added);
    EXPECT_EQ(diff.lines[1].record.ttl, 600U);
}

TEST(ZoneDiff, SortsCanonically)
{
    const auto diff = diff_zones(zone_with(""), zone_with("z A 192.0.2.3\n"
                                                          "a.b A 192.0.2.2\n"
                                                          "b A 192.0.2.1\n"
                                                          "@ MX 10 ns1\n"));
    EXPECT_EQ(lines_of(diff), "+example.com.\t300\tIN\tMX\t10 ns1.example.com.\n"
                              "+b.example.com.\t300\tIN\tA\t192.0.2.1\n"
                              "+a.b.example.com.\t300\tIN\tA\t192.0.2.2\n"
                              "+z.example.com.\t300\tIN\tA\t192.0.2.3\n");
}

TEST(ZoneDiff, RepeatedRecordCountsOnce)
{
    const auto diff =
        diff_zones(zone_with("www A 192.0.2.1\n"), zone_with("www A 192.0.2.1\nwww A 192.0.2.1\n"));
    EXPECT_TRUE(diff.empty()) << lines_of(diff);
}

TEST(ZoneDiff, NewZoneIsAllAdded)
{
    Zone empty;
    empty.origin = *Name::parse("example.com.");
    const Zone zone = zone_with("www A 192.0.2.1\n");
    const auto diff = diff_zones(empty, zone);
    EXPECT_EQ(diff.lines.size(), zone.records.size());
    EXPECT_FALSE(diff.before_serial.has_value());
    for (const auto& line : diff.lines) {
        EXPECT_EQ(line.kind, DiffLine::Kind::added);
    }
}

TEST(ZoneDiff, LongTxtEqualsSplitTxt)
{
    const std::string long_string(300, 'x');
    const std::string one_string = fmt::format("txt TXT \"{}\"\n", long_string);
    const std::string split =
        fmt::format("txt TXT \"{}\" \"{}\"\n", long_string.substr(0, 255), long_string.substr(255));
    const auto diff = diff_zones(zone_with(one_string), zone_with(split));
    EXPECT_TRUE(diff.empty()) << lines_of(diff);
}

TEST(ZoneDiff, DifferentTxtSplitIsAChange)
{
    // "ab" "c" and "a" "bc" are different rdata: only the parser's 255-octet split is neutral.
    const auto diff =
        diff_zones(zone_with("txt TXT \"ab\" \"c\"\n"), zone_with("txt TXT \"a\" \"bc\"\n"));
    EXPECT_EQ(diff.lines.size(), 2U) << lines_of(diff);
}

TEST(ZoneDiff, CorpusLongTxtSplitHasNoDifference)
{
    const std::filesystem::path file = std::filesystem::path(ROBUR_CORPUS_DIR) /
                                       "dns/faults/long-txt-split-no-diff/example.com.zone";
    if (!std::filesystem::exists(file)) {
        GTEST_SKIP() << "corpus not found at " << ROBUR_CORPUS_DIR << ", skipping";
    }
    std::ifstream stream(file);
    std::stringstream content;
    content << stream.rdbuf();
    const std::string split = content.str();

    // The same zone with the TXT strings joined into one long string.
    std::string joined = split;
    const auto seam = joined.find("\" \"");
    ASSERT_NE(seam, std::string::npos);
    joined.erase(seam, 3);

    ParseOptions options;
    options.origin = *Name::parse("example.com.");
    const auto before = parse_zone(split, file.string(), options);
    const auto after = parse_zone(joined, "joined.zone", options);
    ASSERT_TRUE(before.ok());
    ASSERT_TRUE(after.ok());
    const auto diff = diff_zones(before.zone, after.zone);
    EXPECT_TRUE(diff.empty()) << lines_of(diff);
}

TEST(ZoneDiff, FormatsText)
{
    const auto diff =
        diff_zones(zone_with("www A 192.0.2.1\n"), zone_with("www A 192.0.2.2\n", "2"));
    const std::string text =
        format_diff_text(diff, "HEAD:zones/example.com.zone", "work tree:zones/example.com.zone");
    EXPECT_EQ(text.substr(0, text.find('\n', text.find('\n') + 1) + 1),
              "--- HEAD:zones/example.com.zone (serial 1)\n"
              "+++ work tree:zones/example.com.zone (serial 2)\n");
    EXPECT_NE(text.find("\n-www.example.com.\t300\tIN\tA\t192.0.2.1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\n+www.example.com.\t300\tIN\tA\t192.0.2.2\n"), std::string::npos) << text;
}

TEST(ZoneDiff, FormatsJson)
{
    const auto diff = diff_zones(zone_with("t TXT \"a\\\"b\"\n"), zone_with("", "2"));
    const std::string json = format_diff_json(diff, "HEAD", "work tree");
    EXPECT_NE(json.find(R"("zone": "example.com.")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("before_serial": 1, "after_serial": 2)"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("owner": "t.example.com.", "ttl": 300, "class": "IN", "type": "TXT")"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find(R"("rdata": "\"a\\\"b\"")"), std::string::npos) << json;
}

TEST(ZoneDiff, JsonNullSerialForMissingZone)
{
    Zone empty;
    empty.origin = *Name::parse("example.com.");
    const std::string json =
        format_diff_json(diff_zones(zone_with(""), empty), "HEAD", "/dev/null");
    EXPECT_NE(json.find(R"("after_serial": null)"), std::string::npos) << json;
}

TEST(JsonQuote, EscapesSpecialCharacters)
{
    EXPECT_EQ(json_quote("plain"), "\"plain\"");
    EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_quote("line\nnext\t"), "\"line\\nnext\\t\"");
    EXPECT_EQ(json_quote(std::string_view("\x01\x7f", 2)), "\"\\u0001\\u007f\"");
}

} // namespace
} // namespace robur::zone
