// Validates the shared corpus of real zone files. Every file under dns/ok must parse and
// validate without an error, although warnings are allowed. Every file under dns/bad must be
// rejected with an error at the line of the fault that the corpus README states, naming it.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "formats/zone/parser.hpp"
#include "formats/zone/validate.hpp"
#include "tests/unit/zone/corpus_support.hpp"

namespace robur::zone {
namespace {

namespace fs = std::filesystem;
using corpus::dns_folder;
using corpus::read_file;
using corpus::read_origins;
using corpus::resolve_include;

// Parses and validates one corpus file; parse diagnostics come first.
std::vector<Diagnostic> check_corpus_file(const std::string& relative_path,
                                          const std::string& origin)
{
    auto result = corpus::parse_file(relative_path, origin);
    auto diagnostics = result.diagnostics;
    const auto findings = validate_zone(result.zone);
    diagnostics.insert(diagnostics.end(), findings.begin(), findings.end());
    return diagnostics;
}

std::string describe(const std::vector<Diagnostic>& diagnostics)
{
    std::string text;
    for (const auto& diagnostic : diagnostics) {
        text += diagnostic.to_string() + "\n";
    }
    return text.empty() ? std::string("no diagnostics") : text;
}

std::string lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// True when an error sits on line and its message contains every part, ignoring case.
bool has_error(const std::vector<Diagnostic>& diagnostics, std::uint32_t line,
               const std::vector<std::string>& parts)
{
    return std::any_of(diagnostics.begin(), diagnostics.end(), [&](const Diagnostic& d) {
        const std::string message = lowercase(d.message);
        return d.severity == Severity::error && d.where.line == line &&
               std::all_of(parts.begin(), parts.end(), [&](const std::string& part) {
                   return message.find(lowercase(part)) != std::string::npos;
               });
    });
}

TEST(CorpusValidate, OkFilesHaveNoErrors)
{
    if (!corpus::present()) {
        GTEST_SKIP() << "corpus not found at " << dns_folder().string() << ", skipping";
    }
    std::size_t checked = 0;
    for (const auto& [path, origin] : read_origins()) {
        if (path.rfind("ok/", 0) != 0) {
            continue;
        }
        SCOPED_TRACE(path);
        const auto diagnostics = check_corpus_file(path, origin);
        EXPECT_FALSE(has_errors(diagnostics)) << describe(diagnostics);
        ++checked;
    }
    EXPECT_GE(checked, 12U);
}

// The fault each dns/bad file must be rejected for: the line of the error (0 for a zone-wide
// fault) and words its message must contain.
struct BadFile {
    std::string path;
    std::uint32_t line;
    std::vector<std::string> parts;
};

const std::vector<BadFile>& bad_files()
{
    static const std::vector<BadFile> files = {
        {"bad/bind-bad-cname-and-a.db", 6, {"CNAME and other data", "bad.example."}},
        {"bad/bind-bad-generate-range.db", 7, {"$GENERATE", "range"}},
        {"bad/bind-bad1-nul-byte.db", 6, {"NUL"}},
        {"bad/bind-badttl.db", 1, {"$TTL"}},
        {"bad/knot-cname-multiple.zone", 15, {"multiple CNAME", "email.example.com."}},
        {"bad/knot-dname-children.zone", 16, {"bar.foo.example.com.", "below the DNAME"}},
        {"bad/knot-glue-deleg.missing", 15, {"missing glue", "ns1.deleg.example.com."}},
        {"bad/knot-ns-apex.missing", 0, {"no NS records", "example.com."}},
        {"bad/knot-out-of-zone.zone", 18, {"out-of-zone data", "fail."}},
        {"bad/knot-soa.missing", 0, {"missing SOA", "example.com."}},
        {"bad/knot-soa.multiple", 5, {"more than one SOA"}},
        {"bad/knot-zscanner-unclosed-paren.in", 5, {"parenthes"}},
        {"bad/ldns-14-read-zone.db", 22, {"CNAME and other data", "www.miek.nl.", "line 17"}},
        {"bad/nsd-zonec-offbyone-name-too-long.zone", 13, {"255"}},
        {"bad/rfc1035-5.3-isi.edu-with-include.zone",
         23,
         {"<SUBSYS>ISI-MAILBOXES.TXT", "not found"}},
    };
    return files;
}

TEST(CorpusValidate, BadFilesAreRejectedAtTheFault)
{
    if (!corpus::present()) {
        GTEST_SKIP() << "corpus not found at " << dns_folder().string() << ", skipping";
    }
    const auto origins = read_origins();
    for (const auto& bad : bad_files()) {
        SCOPED_TRACE(bad.path);
        const auto origin = origins.find(bad.path);
        ASSERT_NE(origin, origins.end()) << "no origin listed for " << bad.path;
        const auto diagnostics = check_corpus_file(bad.path, origin->second);
        EXPECT_TRUE(has_error(diagnostics, bad.line, bad.parts)) << describe(diagnostics);
    }
}

TEST(CorpusValidate, EveryBadFileHasAnExpectation)
{
    if (!corpus::present()) {
        GTEST_SKIP() << "corpus not found at " << dns_folder().string() << ", skipping";
    }
    for (const auto& entry : fs::directory_iterator(dns_folder() / "bad")) {
        const std::string path = "bad/" + entry.path().filename().string();
        const bool listed = std::any_of(bad_files().begin(), bad_files().end(),
                                        [&](const BadFile& bad) { return bad.path == path; });
        EXPECT_TRUE(listed) << path << " has no expected fault in this test";
    }
}

TEST(CorpusValidate, RrsetTtlMismatchWarnsAtTheLine)
{
    if (!corpus::present()) {
        GTEST_SKIP() << "corpus not found at " << dns_folder().string() << ", skipping";
    }
    const auto diagnostics = check_corpus_file("faults/rrset-ttl-mismatch.zone", "example.com.");
    EXPECT_FALSE(has_errors(diagnostics)) << describe(diagnostics);
    const bool warned =
        std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
            return d.severity == Severity::warning && d.where.line == 3 &&
                   d.message.find("TTL 10800") != std::string::npos &&
                   d.message.find("TTL 3600") != std::string::npos &&
                   d.message.find("line 2") != std::string::npos;
        });
    EXPECT_TRUE(warned) << describe(diagnostics);
}

TEST(CorpusValidate, IncludedRecordsAreKept)
{
    if (!corpus::present()) {
        GTEST_SKIP() << "corpus not found at " << dns_folder().string() << ", skipping";
    }
    ParseOptions options;
    options.origin = Name::parse("example.com.").value();
    options.include = resolve_include;
    const fs::path path = dns_folder() / "faults/include-records-kept/example.com.zone";
    const auto result = parse_zone(read_file(path), path.string(), options);
    ASSERT_TRUE(result.ok()) << describe(result.diagnostics);
    const auto diagnostics = validate_zone(result.zone);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);

    const std::string included =
        (dns_folder() / "faults/include-records-kept/hosts.inc").lexically_normal().string();
    for (const auto& [owner, line] :
         {std::pair("www.example.com.", 1U), {"mail.example.com.", 2U}}) {
        const auto record =
            std::find_if(result.zone.records.begin(), result.zone.records.end(),
                         [&](const Record& r) { return r.owner == Name::parse(owner).value(); });
        ASSERT_NE(record, result.zone.records.end()) << owner << " was dropped";
        EXPECT_EQ(record->type, rrtype::a);
        EXPECT_EQ(record->where.path, included);
        EXPECT_EQ(record->where.line, line);
    }
}

TEST(CorpusValidate, FaultInIncludedFileNamesThatFile)
{
    ParseOptions options;
    options.origin = Name::parse("example.com.").value();
    options.include = [](std::string_view, std::string_view target) -> Result<IncludedFile> {
        return IncludedFile{std::string(target), "www IN A 192.0.2.80\nwww IN CNAME ns1\n"};
    };
    const auto result = parse_zone("$TTL 300\n"
                                   "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                   "@ IN NS ns1\n"
                                   "ns1 IN A 192.0.2.1\n"
                                   "$INCLUDE hosts.inc\n",
                                   "example.com.zone", options);
    ASSERT_TRUE(result.ok()) << describe(result.diagnostics);
    const auto diagnostics = validate_zone(result.zone);
    ASSERT_EQ(diagnostics.size(), 1U) << describe(diagnostics);
    EXPECT_EQ(diagnostics[0].where.path, "hosts.inc");
    EXPECT_EQ(diagnostics[0].where.line, 2U);
    EXPECT_NE(diagnostics[0].message.find("CNAME and other data"), std::string::npos);
}

} // namespace
} // namespace robur::zone
