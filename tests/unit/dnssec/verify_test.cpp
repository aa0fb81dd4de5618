// Verification of signed zones: signatures, validity periods and the denial chains.

#include <algorithm>

#include <gtest/gtest.h>

#include "formats/dnssec/rrsig.hpp"
#include "formats/dnssec/signer.hpp"
#include "formats/dnssec/verify.hpp"
#include "formats/zone/writer.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

using testing::key;
using testing::name;
using testing::parse;
using testing::sample_zone;

constexpr std::int64_t inception = 1700000000;
constexpr std::int64_t expiration = 1702592000;

std::chrono::sys_seconds at(std::int64_t seconds)
{
    return std::chrono::sys_seconds(std::chrono::seconds(seconds));
}

std::vector<KeyPair> keys()
{
    return {key("example.", Algorithm::ecdsap256sha256, dnskey_flags::ksk),
            key("example.", Algorithm::ecdsap256sha256, dnskey_flags::zsk)};
}

// Signs the sample zone, then parses the signed text again so that records carry lines.
zone::Zone signed_sample(bool nsec3 = false)
{
    SignOptions options;
    options.inception = at(inception);
    options.expiration = at(expiration);
    options.expiration_spread = std::chrono::seconds{0};
    if (nsec3) {
        options.nsec3 = Nsec3Options{};
    }
    const auto signed_zone = sign_zone(parse(sample_zone), keys(), options).value();
    zone::ParseOptions parse_options;
    parse_options.origin = signed_zone.origin;
    return zone::parse_zone(zone::format_zone(signed_zone), "signed.zone", parse_options).zone;
}

VerifyOptions during_validity()
{
    VerifyOptions options;
    options.now = at(inception + 86400);
    return options;
}

std::vector<std::string> messages(const std::vector<Diagnostic>& diagnostics)
{
    std::vector<std::string> out;
    for (const auto& diagnostic : diagnostics) {
        out.push_back(diagnostic.to_string());
    }
    return out;
}

bool mentions(const std::vector<Diagnostic>& diagnostics, std::string_view text)
{
    return std::any_of(diagnostics.begin(), diagnostics.end(), [&](const Diagnostic& diagnostic) {
        return diagnostic.message.find(text) != std::string::npos;
    });
}

zone::Record* find_rrsig(zone::Zone& zone, std::string_view owner, std::uint16_t covered)
{
    for (auto& record : zone.records) {
        if (record.type == zone::rrtype::rrsig && record.owner == name(owner) &&
            parse_rrsig(record.rdata).value().fields.type_covered == covered) {
            return &record;
        }
    }
    return nullptr;
}

TEST(VerifyZone, AcceptsSignedZones)
{
    EXPECT_EQ(messages(verify_zone(signed_sample(false), during_validity())),
              std::vector<std::string>{});
    EXPECT_EQ(messages(verify_zone(signed_sample(true), during_validity())),
              std::vector<std::string>{});
}

TEST(VerifyZone, NamesTamperedRrsigWithLocation)
{
    auto zone = signed_sample();
    zone::Record* rrsig = find_rrsig(zone, "mail.example.", zone::rrtype::aaaa);
    ASSERT_NE(rrsig, nullptr);
    rrsig->rdata.back() ^= 0x01;

    const auto found = verify_zone(zone, during_validity());
    ASSERT_EQ(found.size(), 2U) << ::testing::PrintToString(messages(found));
    const auto tag = parse_rrsig(rrsig->rdata).value().fields.key_tag;
    EXPECT_EQ(found[0].message, fmt::format("invalid RRSIG mail.example. AAAA with key tag {}: the "
                                            "signature does not verify",
                                            tag));
    EXPECT_EQ(found[0].where.path, "signed.zone");
    EXPECT_EQ(found[0].where.line, rrsig->where.line);
    EXPECT_EQ(found[1].message, "mail.example. AAAA has no valid RRSIG by an algorithm 13 key");
}

TEST(VerifyZone, ReportsTimes)
{
    const auto zone = signed_sample();
    VerifyOptions options;
    options.now = at(expiration - 86400);
    const auto soon = verify_zone(zone, options);
    EXPECT_FALSE(has_errors(soon));
    EXPECT_TRUE(mentions(soon, "expires in 86400 seconds"));

    options.now = at(expiration + 1);
    EXPECT_TRUE(mentions(verify_zone(zone, options), "the signature has expired"));
    options.now = at(inception - 1);
    EXPECT_TRUE(mentions(verify_zone(zone, options), "the signature is not valid yet"));
}

TEST(VerifyZone, ReportsUnsignedRrset)
{
    auto zone = signed_sample();
    const auto* rrsig = find_rrsig(zone, "multi.example.", zone::rrtype::txt);
    ASSERT_NE(rrsig, nullptr);
    zone.records.erase(zone.records.begin() + (rrsig - zone.records.data()));
    const auto found = verify_zone(zone, during_validity());
    EXPECT_EQ(messages(found),
              std::vector<std::string>{
                  "signed.zone:" + std::to_string(found.at(0).where.line) +
                  ": error: multi.example. TXT has no valid RRSIG by an algorithm 13 key"});
}

TEST(VerifyZone, ReportsSignatureOverGlue)
{
    auto zone = signed_sample();
    const auto glue = group_rrsets(parse("ns.secure 3600 IN A 192.0.2.4\n").records).value().at(0);
    std::vector<std::uint8_t> scratch;
    const auto zsk = keys()[1];
    auto context = SigningContext::create(zsk).value();
    zone.records.push_back(sign_rrset(glue, context, inception, expiration, scratch).value());
    EXPECT_TRUE(
        mentions(verify_zone(zone, during_validity()), "signs a delegation NS RRset or glue"));
}

TEST(VerifyZone, ReportsMissingDnskeyAndChain)
{
    auto zone = signed_sample();
    std::erase_if(zone.records,
                  [](const zone::Record& record) { return record.type == zone::rrtype::dnskey; });
    EXPECT_EQ(messages(verify_zone(zone, during_validity())),
              std::vector<std::string>{
                  "signed.zone: error: the zone example. has no DNSKEY RRset at its apex"});

    auto both = signed_sample(true);
    const auto nsec = signed_sample(false);
    std::copy_if(nsec.records.begin(), nsec.records.end(), std::back_inserter(both.records),
                 [](const zone::Record& record) { return record.type == zone::rrtype::nsec; });
    EXPECT_TRUE(mentions(verify_zone(both, during_validity()), "has both an NSEC record"));

    auto no_chain = signed_sample();
    std::erase_if(no_chain.records,
                  [](const zone::Record& record) { return record.type == zone::rrtype::nsec; });
    EXPECT_TRUE(mentions(verify_zone(no_chain, during_validity()), "has neither an NSEC record"));
}

TEST(VerifyZone, ReportsBrokenNsecAndNsec3Chains)
{
    for (const bool nsec3 : {false, true}) {
        auto zone = signed_sample(nsec3);
        const auto type = nsec3 ? zone::rrtype::nsec3 : zone::rrtype::nsec;
        const auto removed =
            std::find_if(zone.records.begin(), zone.records.end(), [&](const zone::Record& record) {
                return record.type == type && !(record.owner == zone.origin);
            });
        ASSERT_NE(removed, zone.records.end());
        zone.records.erase(removed);
        const auto found = verify_zone(zone, during_validity());
        EXPECT_TRUE(mentions(found, nsec3 ? "has no NSEC3 record" : "has no NSEC record"))
            << ::testing::PrintToString(messages(found));
        // An NSEC chain still links the name; the NSEC3 chain now has a gap in hash order.
        EXPECT_EQ(mentions(found, "points to"), nsec3);
    }
}

TEST(VerifyZone, ReportsTooManyNsec3Iterations)
{
    auto zone = signed_sample(true);
    const auto param =
        std::find_if(zone.records.begin(), zone.records.end(), [](const zone::Record& record) {
            return record.type == zone::rrtype::nsec3param;
        });
    ASSERT_NE(param, zone.records.end());
    param->rdata[2] = 0;
    param->rdata[3] = 151;

    const auto found = verify_zone(zone, during_validity());

    EXPECT_TRUE(mentions(found, "NSEC3PARAM has 151 iterations"))
        << ::testing::PrintToString(messages(found));
}

} // namespace
} // namespace robur::dnssec
