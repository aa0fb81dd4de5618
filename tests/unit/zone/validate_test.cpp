#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "formats/zone/parser.hpp"
#include "formats/zone/validate.hpp"

namespace robur::zone {
namespace {

// Lines 1 to 5; tests append records from line 6 on.
constexpr std::string_view minimal_zone = "$ORIGIN example.com.\n"
                                          "$TTL 3600\n"
                                          "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                          "@ IN NS ns1\n"
                                          "ns1 IN A 192.0.2.1\n";

Zone parse(std::string_view text, std::string_view origin = "example.com.")
{
    ParseOptions options;
    options.origin = *Name::parse(origin);
    auto result = parse_zone(text, "test.zone", options);
    std::string faults;
    for (const auto& diagnostic : result.diagnostics) {
        faults += diagnostic.to_string() + "\n";
    }
    EXPECT_TRUE(result.ok()) << faults;
    return result.zone;
}

std::vector<Diagnostic> check(std::string_view text, const ValidateOptions& options = {})
{
    return validate_zone(parse(text), options);
}

ValidateOptions previous(std::uint32_t serial, std::string source = {})
{
    ValidateOptions options;
    options.previous_serial = serial;
    options.previous_source = std::move(source);
    return options;
}

std::string describe(const std::vector<Diagnostic>& diagnostics)
{
    std::string text;
    for (const auto& diagnostic : diagnostics) {
        text += diagnostic.to_string() + "\n";
    }
    return text.empty() ? std::string("no diagnostics") : text;
}

// True when a diagnostic of this severity sits on line and its message contains every part.
bool has(const std::vector<Diagnostic>& diagnostics, Severity severity, std::uint32_t line,
         std::initializer_list<std::string_view> parts)
{
    return std::any_of(diagnostics.begin(), diagnostics.end(), [&](const Diagnostic& d) {
        return d.severity == severity && d.where.line == line &&
               std::all_of(parts.begin(), parts.end(), [&](std::string_view part) {
                   return d.message.find(part) != std::string::npos;
               });
    });
}

std::size_t count(const std::vector<Diagnostic>& diagnostics, Severity severity)
{
    return static_cast<std::size_t>(
        std::count_if(diagnostics.begin(), diagnostics.end(),
                      [&](const Diagnostic& d) { return d.severity == severity; }));
}

TEST(ZoneValidator, AcceptsMinimalZone)
{
    const auto diagnostics = check(minimal_zone);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
}

TEST(ZoneValidator, RejectsMissingSoa)
{
    const auto diagnostics = check("$ORIGIN example.com.\n$TTL 300\n@ NS ns1\nns1 A 192.0.2.1\n");
    EXPECT_TRUE(has(diagnostics, Severity::error, 0, {"missing SOA", "example.com."}))
        << describe(diagnostics);
    ASSERT_FALSE(diagnostics.empty());
    EXPECT_EQ(diagnostics.front().where.path, "test.zone");
}

TEST(ZoneValidator, RejectsSecondSoa)
{
    std::string text(minimal_zone);
    text += "@ IN SOA ns1 hostmaster 2 3600 600 86400 300\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 6, {"more than one SOA", "line 3"}))
        << describe(diagnostics);
    EXPECT_EQ(count(diagnostics, Severity::error), 1U) << describe(diagnostics);
}

TEST(ZoneValidator, RejectsSoaBelowApex)
{
    std::string text(minimal_zone);
    text += "sub IN SOA ns1 hostmaster 2 3600 600 86400 300\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 6, {"sub.example.com.", "not at the zone apex"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsMissingApexNs)
{
    const auto diagnostics =
        check("$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n");
    EXPECT_TRUE(has(diagnostics, Severity::error, 0, {"no NS records", "example.com."}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsOutOfZoneData)
{
    std::string text(minimal_zone);
    text += "fail. IN TXT \"text\"\n";
    text += "www.example.net. IN A 192.0.2.9\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 6, {"out-of-zone data", "fail."}))
        << describe(diagnostics);
    EXPECT_TRUE(has(diagnostics, Severity::error, 7, {"out-of-zone data", "www.example.net."}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsCnameAfterOtherData)
{
    std::string text(minimal_zone);
    text += "www IN A 192.0.2.80\n";
    text += "www IN CNAME ns1\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 7,
                    {"CNAME and other data", "www.example.com.", "A record", "line 6"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsOtherDataAfterCname)
{
    std::string text(minimal_zone);
    text += "www IN CNAME ns1\n";
    text += "www IN MX 10 ns1\n";
    text += "www IN TXT \"x\"\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 7, {"CNAME and other data", "MX record"}))
        << describe(diagnostics);
    EXPECT_TRUE(has(diagnostics, Severity::error, 8, {"CNAME and other data", "TXT record"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, AllowsNsecBesideCname)
{
    std::string text(minimal_zone);
    text += "www IN CNAME ns1\n";
    text += "www IN NSEC ns1.example.com. CNAME RRSIG NSEC\n";
    const auto diagnostics = check(text);
    EXPECT_EQ(count(diagnostics, Severity::error), 0U) << describe(diagnostics);
}

TEST(ZoneValidator, RejectsMultipleCnames)
{
    std::string text(minimal_zone);
    text += "email IN CNAME mail\n";
    text += "email IN CNAME mail2\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 7,
                    {"multiple CNAME records", "email.example.com.", "line 6"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsMultipleDnames)
{
    std::string text(minimal_zone);
    text += "foo IN DNAME bar.example.net.\n";
    text += "foo IN DNAME baz.example.net.\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(
        has(diagnostics, Severity::error, 7, {"multiple DNAME records", "foo.example.com."}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsNamesBelowDname)
{
    std::string text(minimal_zone);
    text += "foo IN DNAME bar\n";
    text += "bar.foo IN A 192.0.2.1\n";
    text += "a.b.foo IN TXT \"deep\"\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 7,
                    {"bar.foo.example.com.", "below the DNAME", "line 6", "RFC 6672"}))
        << describe(diagnostics);
    EXPECT_TRUE(has(diagnostics, Severity::error, 8, {"a.b.foo.example.com.", "DNAME"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, AllowsDataBesideDname)
{
    std::string text(minimal_zone);
    text += "foo IN DNAME bar.example.net.\n";
    text += "foo IN TXT \"beside, not below\"\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
}

TEST(ZoneValidator, DnameAtDelegationIsOnlyOccluded)
{
    std::string text(minimal_zone);
    text += "deleg IN NS ns.deleg\n";
    text += "deleg IN DNAME example.net.\n";
    text += "ns.deleg IN A 192.0.2.53\n";
    const auto diagnostics = check(text);
    EXPECT_EQ(count(diagnostics, Severity::error), 0U) << describe(diagnostics);
    EXPECT_TRUE(has(diagnostics, Severity::warning, 7, {"occluded", "DNAME"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsMissingGlue)
{
    std::string text(minimal_zone);
    text += "deleg IN NS ns1.deleg\n";
    text += "deleg IN NS ns.example.net.\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 6,
                    {"missing glue", "ns1.deleg.example.com.", "deleg.example.com."}))
        << describe(diagnostics);
    EXPECT_EQ(count(diagnostics, Severity::error), 1U) << describe(diagnostics);
}

TEST(ZoneValidator, RejectsMissingGlueInsideAnotherDelegation)
{
    std::string text(minimal_zone);
    text += "abc IN NS a.ns.abc\n";
    text += "a.ns.abc IN A 192.0.2.7\n";
    text += "other IN NS b.ns.abc\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 8, {"missing glue", "b.ns.abc.example.com."}))
        << describe(diagnostics);
}

TEST(ZoneValidator, AcceptsGlue)
{
    std::string text(minimal_zone);
    text += "deleg IN NS ns1.deleg\n";
    text += "deleg IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n";
    text += "ns1.deleg IN A 192.0.2.53\n";
    text += "ns1.deleg IN AAAA 2001:db8::53\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
}

TEST(ZoneValidator, AcceptsWildcardGlue)
{
    std::string text(minimal_zone);
    text += "abc IN NS a.ns.abc\n";
    text += "deleg IN NS b.ns.abc\n";
    text += "*.ns.abc IN AAAA ::1\n";
    const auto diagnostics = check(text);
    EXPECT_EQ(count(diagnostics, Severity::error), 0U) << describe(diagnostics);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
}

TEST(ZoneValidator, WarnsOnOccludedData)
{
    std::string text(minimal_zone);
    text += "deleg IN NS ns.example.net.\n";
    text += "www.deleg IN A 192.0.2.80\n";
    text += "deleg IN TXT \"at the cut\"\n";
    text += "deleg IN A 192.0.2.81\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(
        has(diagnostics, Severity::warning, 7,
            {"occluded", "www.deleg.example.com.", "below the delegation deleg.example.com."}))
        << describe(diagnostics);
    EXPECT_TRUE(has(diagnostics, Severity::warning, 8, {"occluded", "TXT", "at the delegation"}))
        << describe(diagnostics);
    EXPECT_TRUE(has(diagnostics, Severity::warning, 9, {"occluded", "A"})) << describe(diagnostics);
    EXPECT_EQ(count(diagnostics, Severity::error), 0U) << describe(diagnostics);
}

TEST(ZoneValidator, WarnsOnNestedDelegation)
{
    std::string text(minimal_zone);
    text += "deleg IN NS ns.example.net.\n";
    text += "sub.deleg IN NS ns.example.net.\n";
    text += "sub.deleg IN NS ns.sub.deleg\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::warning, 7, {"occluded", "sub.deleg.example.com."}))
        << describe(diagnostics);
    EXPECT_TRUE(has(diagnostics, Severity::warning, 8, {"occluded", "sub.deleg.example.com."}))
        << describe(diagnostics);
    EXPECT_EQ(count(diagnostics, Severity::error), 0U) << describe(diagnostics);
}

TEST(ZoneValidator, WarnsOnMxTargetCname)
{
    std::string text(minimal_zone);
    text += "@ IN MX 10 mail\n";
    text += "mail IN CNAME ns1\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::warning, 6, {"MX target", "mail.example.com.", "CNAME"}))
        << describe(diagnostics);
    EXPECT_EQ(count(diagnostics, Severity::error), 0U) << describe(diagnostics);
}

TEST(ZoneValidator, WarnsOnNsTargetCname)
{
    std::string text(minimal_zone);
    text += "@ IN NS alias\n";
    text += "alias IN CNAME ns1\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(
        has(diagnostics, Severity::warning, 6, {"NS target", "alias.example.com.", "CNAME"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, WarnsOnMxTargetWildcardCname)
{
    std::string text(minimal_zone);
    text += "@ IN MX 10 smtp\n";
    text += "* IN CNAME ns1\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::warning, 6,
                    {"MX target", "smtp.example.com.", "wildcard *.example.com."}))
        << describe(diagnostics);
}

TEST(ZoneValidator, EmptyNonTerminalHidesWildcard)
{
    std::string text(minimal_zone);
    text += "@ IN MX 10 b\n";
    text += "* IN CNAME ns1\n";
    text += "a.b IN A 192.0.2.9\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
}

TEST(ZoneValidator, WarnsOnRrsetTtlMismatch)
{
    std::string text(minimal_zone);
    text += "www 300 IN A 192.0.2.1\n";
    text += "www 600 IN A 192.0.2.2\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::warning, 7,
                    {"TTL 600", "TTL 300", "www.example.com. A", "line 6", "RFC 2181"}))
        << describe(diagnostics);
    EXPECT_EQ(count(diagnostics, Severity::error), 0U) << describe(diagnostics);
}

TEST(ZoneValidator, DifferentTypesMayHaveDifferentTtls)
{
    std::string text(minimal_zone);
    text += "www 300 IN A 192.0.2.1\n";
    text += "www 600 IN AAAA 2001:db8::1\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
}

TEST(ZoneValidator, WarnsOnDuplicateRecord)
{
    std::string text(minimal_zone);
    text += "www IN A 192.0.2.1\n";
    text += "WWW IN A 192.0.2.1\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::warning, 7, {"duplicate record", "line 6"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsTtlAboveMax)
{
    Zone zone = parse(minimal_zone);
    zone.records.back().ttl = 0x80000000U;
    const auto diagnostics = validate_zone(zone);
    EXPECT_TRUE(has(diagnostics, Severity::error, 5, {"TTL 2147483648", "2147483647", "RFC 2181"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, AcceptsTtlAtMax)
{
    Zone zone = parse(minimal_zone);
    zone.records.back().ttl = 0x7fffffffU;
    const auto diagnostics = validate_zone(zone);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
}

TEST(ZoneValidator, RejectsClassOtherThanSoa)
{
    Zone zone = parse(minimal_zone);
    zone.records.back().rclass = rrclass::ch;
    const auto diagnostics = validate_zone(zone);
    EXPECT_TRUE(has(diagnostics, Severity::error, 5, {"class CH", "ns1.example.com.", "class IN"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsSerialNotIncreased)
{
    const auto diagnostics = check(minimal_zone, previous(1, "HEAD"));
    EXPECT_TRUE(has(diagnostics, Severity::error, 3, {"serial 1", "previous serial 1", "HEAD"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, RejectsSerialDecreased)
{
    const auto diagnostics = check(minimal_zone, previous(7));
    EXPECT_TRUE(has(diagnostics, Severity::error, 3, {"serial 1", "previous serial 7"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, AcceptsSerialIncreased)
{
    const auto diagnostics = check(minimal_zone, previous(0));
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
}

TEST(ZoneValidator, AcceptsSerialWrap)
{
    const auto diagnostics = check(minimal_zone, previous(0xffffffffU));
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
}

TEST(ZoneValidator, RejectsSerialHalfwayAround)
{
    // 1 and 2^31 + 1 are unordered in RFC 1982 arithmetic, so the change is not an increase.
    const auto diagnostics = check(minimal_zone, previous(0x80000001U));
    EXPECT_TRUE(has(diagnostics, Severity::error, 3, {"previous serial 2147483649"}))
        << describe(diagnostics);
}

TEST(ZoneValidator, ReportsEveryFault)
{
    std::string text(minimal_zone);
    text += "www IN A 192.0.2.80\n";
    text += "www IN CNAME ns1\n";
    text += "fail. IN TXT \"outside\"\n";
    text += "deleg IN NS ns1.deleg\n";
    text += "email IN CNAME a\n";
    text += "email IN CNAME b\n";
    const auto diagnostics = check(text);
    EXPECT_TRUE(has(diagnostics, Severity::error, 7, {"CNAME and other data"}));
    EXPECT_TRUE(has(diagnostics, Severity::error, 8, {"out-of-zone"}));
    EXPECT_TRUE(has(diagnostics, Severity::error, 9, {"missing glue"}));
    EXPECT_TRUE(has(diagnostics, Severity::error, 11, {"multiple CNAME"}));
    EXPECT_EQ(count(diagnostics, Severity::error), 4U) << describe(diagnostics);
}

TEST(ZoneValidator, ReportsInLineOrder)
{
    std::string text(minimal_zone);
    text += "email IN CNAME a\n";
    text += "email IN CNAME b\n";
    text += "fail. IN TXT \"outside\"\n";
    const auto diagnostics = check(text);
    ASSERT_EQ(diagnostics.size(), 2U) << describe(diagnostics);
    EXPECT_EQ(diagnostics[0].where.line, 7U);
    EXPECT_EQ(diagnostics[1].where.line, 8U);
}

TEST(ZoneValidator, AcceptsRootZone)
{
    const auto diagnostics =
        validate_zone(parse("$TTL 86400\n"
                            ". IN SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 "
                            "900 604800 86400\n"
                            ". IN NS a.root-servers.net.\n"
                            "com. IN NS a.gtld-servers.net.\n"
                            "net. IN NS a.gtld-servers.net.\n"
                            "a.gtld-servers.net. IN A 192.5.6.30\n"
                            "a.root-servers.net. IN A 198.41.0.4\n",
                            "."));
    EXPECT_EQ(count(diagnostics, Severity::error), 0U) << describe(diagnostics);
}

} // namespace
} // namespace robur::zone
