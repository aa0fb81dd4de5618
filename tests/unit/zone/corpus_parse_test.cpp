// Parses the shared corpus of real zone files: every file under dns/ok must parse without an
// error and survive a format/parse round trip, and the parse-level faults under dns/bad must
// be reported at the right line.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "formats/zone/parser.hpp"
#include "formats/zone/record.hpp"
#include "formats/zone/writer.hpp"
#include "tests/unit/zone/corpus_support.hpp"

namespace robur::zone {
namespace {

namespace fs = std::filesystem;
using corpus::dns_folder;
using corpus::read_file;
using corpus::read_origins;
using corpus::resolve_include;

ParseResult parse_corpus_file(const std::string& relative_path, const std::string& origin)
{
    return corpus::parse_file(relative_path, origin);
}

std::string describe(const std::vector<Diagnostic>& diagnostics)
{
    std::string out;
    for (const auto& diagnostic : diagnostics) {
        out += diagnostic.to_string() + "\n";
    }
    return out;
}

class CorpusParse : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!fs::is_directory(dns_folder())) {
            GTEST_SKIP() << "corpus not found at " << dns_folder().string() << ", skipping";
        }
    }
};

TEST_F(CorpusParse, EveryOkFileParsesWithoutError)
{
    std::size_t files = 0;
    for (const auto& [path, origin] : read_origins()) {
        if (path.rfind("ok/", 0) != 0) {
            continue;
        }
        ++files;
        const auto result = parse_corpus_file(path, origin);
        EXPECT_TRUE(result.ok()) << path << ":\n" << describe(result.diagnostics);
        EXPECT_FALSE(result.zone.records.empty()) << path;
    }
    EXPECT_GE(files, 12U);
}

TEST_F(CorpusParse, EveryOkFileRoundTripsThroughTheWriter)
{
    for (const auto& [path, origin] : read_origins()) {
        if (path.rfind("ok/", 0) != 0) {
            continue;
        }
        const auto first = parse_corpus_file(path, origin);
        ASSERT_TRUE(first.ok()) << path;
        const std::string written = format_zone(first.zone);

        ParseOptions options;
        options.origin = first.zone.origin;
        const auto second = parse_zone(written, "formatted", options);
        ASSERT_TRUE(second.ok()) << path << ":\n" << describe(second.diagnostics) << written;
        EXPECT_EQ(format_zone(second.zone), written) << path;

        const auto expected = canonical_records(first.zone);
        const auto actual = canonical_records(second.zone);
        ASSERT_EQ(actual.size(), expected.size()) << path;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            EXPECT_TRUE(actual[i].same_data(expected[i])) << path << ": " << written;
            EXPECT_EQ(actual[i].ttl, expected[i].ttl) << path;
        }
    }
}

TEST_F(CorpusParse, IncludeResolverStaysInsideCorpus)
{
    const std::string including = (dns_folder() / "ok" / "example.zone").string();
    EXPECT_FALSE(resolve_include(including, "../../../../../../etc/hostname"));
    EXPECT_FALSE(resolve_include(including, "/etc/hostname"));
    EXPECT_FALSE(resolve_include(including, "missing.inc"));
    EXPECT_TRUE(resolve_include(including, "../origins.txt"));
}

TEST_F(CorpusParse, IncludedRecordsKeepTheirFileAndLine)
{
    const auto result = parse_corpus_file("ok/nsd-include-rel/example.com.zone", "example.com.");
    ASSERT_TRUE(result.ok()) << describe(result.diagnostics);
    ASSERT_EQ(result.zone.files.size(), 3U);
    bool found_stats = false;
    for (const auto& record : result.zone.records) {
        if (record.owner == Name::parse("stats.example.com.").value()) {
            found_stats = true;
            EXPECT_NE(record.where.path.find("stats.cf"), std::string::npos);
            EXPECT_EQ(record.where.line, 1U);
        }
    }
    EXPECT_TRUE(found_stats);
}

struct BadCase {
    std::string path;
    std::string origin;
    std::uint32_t line; // 0: any line
    std::string message_part;
};

TEST_F(CorpusParse, ParseLevelFaultsAreReportedAtTheirLine)
{
    const std::vector<BadCase> cases = {
        {"bad/bind-bad-generate-range.db", "example.", 0, "out of range"},
        {"bad/bind-bad1-nul-byte.db", "example.", 6, "NUL"},
        {"bad/bind-badttl.db", "example.", 1, "$TTL"},
        {"bad/knot-zscanner-unclosed-paren.in", ".", 0, "parentheses"},
        {"bad/nsd-zonec-offbyone-name-too-long.zone", "example.net.", 13, "255 octets"},
        {"bad/rfc1035-5.3-isi.edu-with-include.zone", "ISI.EDU.", 0, "$INCLUDE"},
    };
    for (const auto& bad : cases) {
        const auto result = parse_corpus_file(bad.path, bad.origin);
        EXPECT_FALSE(result.ok()) << bad.path;
        bool matched = false;
        for (const auto& diagnostic : result.diagnostics) {
            const bool line_matches = bad.line == 0 || diagnostic.where.line == bad.line;
            if (line_matches && diagnostic.message.find(bad.message_part) != std::string::npos) {
                matched = true;
            }
        }
        EXPECT_TRUE(matched) << bad.path << ":\n" << describe(result.diagnostics);
    }
}

TEST_F(CorpusParse, UnclosedParenthesisIsReportedWhereItOpens)
{
    const auto result = parse_corpus_file("bad/knot-zscanner-unclosed-paren.in", ".");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.diagnostics.front().where.line, 5U) << describe(result.diagnostics);
}

const Record* find(const ParseResult& result, std::string_view owner, std::uint16_t type)
{
    const Name expected_owner = Name::parse(owner).value();
    for (const auto& record : result.zone.records) {
        if (record.owner == expected_owner && record.type == type) {
            return &record;
        }
    }
    return nullptr;
}

TEST_F(CorpusParse, FaultDefaultTtlAfterExplicitTtl)
{
    const auto result =
        parse_corpus_file("faults/default-ttl-after-explicit-ttl.zone", "example.com.");
    ASSERT_TRUE(result.ok()) << describe(result.diagnostics);
    EXPECT_EQ(find(result, "example.com.", rrtype::ns)->ttl, 86400U);
    EXPECT_EQ(find(result, "ns.example.com.", rrtype::a)->ttl, 300U);
    EXPECT_EQ(find(result, "www.example.com.", rrtype::a)->ttl, 300U);
}

TEST_F(CorpusParse, FaultQuotedTokenIsNotDirective)
{
    const auto result = parse_corpus_file("faults/quoted-token-is-not-directive.zone", "example.");
    ASSERT_EQ(result.diagnostics.size(), 2U) << describe(result.diagnostics);
    // Line 1 is a record owned by "$TTL" with no type; line 2 has an empty quoted owner.
    EXPECT_EQ(result.diagnostics[0].where.line, 1U);
    EXPECT_NE(result.diagnostics[0].message.find("missing type"), std::string::npos);
    EXPECT_EQ(result.diagnostics[1].where.line, 2U);
    EXPECT_NE(result.diagnostics[1].message.find("empty owner name"), std::string::npos);
}

TEST_F(CorpusParse, FaultIncludeRecordsKept)
{
    const auto result =
        parse_corpus_file("faults/include-records-kept/example.com.zone", "example.com.");
    ASSERT_TRUE(result.ok()) << describe(result.diagnostics);
    EXPECT_NE(find(result, "www.example.com.", rrtype::a), nullptr);
    EXPECT_NE(find(result, "mail.example.com.", rrtype::a), nullptr);
    EXPECT_EQ(result.zone.records.size(), 5U);
    EXPECT_EQ(result.zone.files.size(), 2U);
    EXPECT_NE(format_zone(result.zone).find("mail.example.com."), std::string::npos);
}

TEST_F(CorpusParse, FaultLongTxtSplitNoDiff)
{
    const auto split =
        parse_corpus_file("faults/long-txt-split-no-diff/example.com.zone", "example.com.");
    ASSERT_TRUE(split.ok()) << describe(split.diagnostics);
    const Record* written_split = find(split, "sel1._domainkey.example.com.", rrtype::txt);
    ASSERT_NE(written_split, nullptr);

    // The same data as one long string.
    std::string joined;
    for (std::size_t offset = 0; offset < written_split->rdata.size();) {
        const std::size_t length = written_split->rdata[offset];
        joined.append(reinterpret_cast<const char*>(&written_split->rdata[offset + 1]), length);
        offset += 1 + length;
    }
    ASSERT_GT(joined.size(), 255U);
    ParseOptions options;
    options.origin = Name::parse("example.com.").value();
    const auto one =
        parse_zone("$TTL 300\nsel1._domainkey IN TXT \"" + joined + "\"\n", "one.zone", options);
    ASSERT_TRUE(one.ok()) << describe(one.diagnostics);
    EXPECT_TRUE(one.zone.records[0].same_data(*written_split));
}

TEST_F(CorpusParse, FaultUnknownTypeKeptThroughFormat)
{
    const auto result =
        parse_corpus_file("faults/unknown-type-kept-on-sign/example.org.zone", "example.org.");
    ASSERT_TRUE(result.ok()) << describe(result.diagnostics);
    const Record* unknown = find(result, "example.org.", 262);
    ASSERT_NE(unknown, nullptr);
    EXPECT_EQ(unknown->rdata.size(), 10U);

    const std::string written = format_zone(result.zone);
    EXPECT_NE(written.find("TYPE262\t\\# 10 03425443053078303031"), std::string::npos) << written;
    ParseOptions options;
    options.origin = result.zone.origin;
    const auto again = parse_zone(written, "formatted", options);
    ASSERT_TRUE(again.ok()) << describe(again.diagnostics);
    const Record* reread = find(again, "example.org.", 262);
    ASSERT_NE(reread, nullptr);
    EXPECT_EQ(reread->rdata, unknown->rdata);
}

} // namespace
} // namespace robur::zone
