// Zone signing: which RRsets are signed by which keys, the DNSKEY RRset, re-signing and the
// errors of sign_zone.

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "formats/dnssec/nsec.hpp"
#include "formats/dnssec/rrsig.hpp"
#include "formats/dnssec/signer.hpp"
#include "formats/dnssec/verify.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

using testing::key;
using testing::name;
using testing::parse;
using testing::sample_zone;

const KeyPair& ksk()
{
    static const KeyPair pair = key("example.", Algorithm::ed25519, dnskey_flags::ksk);
    return pair;
}

const KeyPair& zsk()
{
    static const KeyPair pair = key("example.", Algorithm::ed25519, dnskey_flags::zsk);
    return pair;
}

// "owner TYPE keytag" for every RRSIG, in output order.
std::vector<std::string> signatures(const zone::Zone& zone)
{
    std::vector<std::string> out;
    for (const auto& record : zone.records) {
        if (record.type == zone::rrtype::rrsig) {
            const auto rrsig = parse_rrsig(record.rdata).value();
            out.push_back(fmt::format("{} {} {}", record.owner.to_string(),
                                      zone::type_to_string(rrsig.fields.type_covered),
                                      rrsig.fields.key_tag));
        }
    }
    return out;
}

std::size_t count_type(const zone::Zone& zone, std::uint16_t type)
{
    return static_cast<std::size_t>(
        std::count_if(zone.records.begin(), zone.records.end(),
                      [type](const zone::Record& record) { return record.type == type; }));
}

bool signed_by(const std::vector<std::string>& list, std::string_view owner, std::string_view type,
               const KeyPair& signer)
{
    const auto expected = fmt::format("{} {} {}", owner, type, signer.key_tag());
    return std::find(list.begin(), list.end(), expected) != list.end();
}

TEST(SignZone, SignsAuthoritativeDataWithZskAndDnskeyWithKsk)
{
    const auto signed_zone = sign_zone(parse(sample_zone), {ksk(), zsk()}, {}).value();
    const auto list = signatures(signed_zone);
    EXPECT_TRUE(signed_by(list, "example.", "SOA", zsk()));
    EXPECT_TRUE(signed_by(list, "example.", "NS", zsk()));
    EXPECT_TRUE(signed_by(list, "*.wild.example.", "TXT", zsk()));
    EXPECT_TRUE(signed_by(list, "www.example.", "CNAME", zsk()));
    EXPECT_TRUE(signed_by(list, "example.", "DNSKEY", ksk()));
    EXPECT_FALSE(signed_by(list, "example.", "DNSKEY", zsk()));
    EXPECT_FALSE(signed_by(list, "example.", "SOA", ksk()));
    EXPECT_EQ(count_type(signed_zone, zone::rrtype::dnskey), 2U);
}

TEST(SignZone, LeavesDelegationNsAndGlueUnsigned)
{
    const auto list = signatures(sign_zone(parse(sample_zone), {ksk(), zsk()}, {}).value());
    EXPECT_TRUE(signed_by(list, "secure.example.", "DS", zsk()));
    EXPECT_TRUE(signed_by(list, "secure.example.", "NSEC", zsk()));
    EXPECT_TRUE(signed_by(list, "insecure.example.", "NSEC", zsk()));
    EXPECT_FALSE(signed_by(list, "secure.example.", "NS", zsk()));
    EXPECT_FALSE(signed_by(list, "insecure.example.", "NS", zsk()));
    for (const auto& entry : list) {
        EXPECT_EQ(entry.find("ns.secure.example."), std::string::npos) << entry;
        EXPECT_EQ(entry.find("ns.insecure.example."), std::string::npos) << entry;
    }
}

TEST(SignZone, SignsCdsWithBothKinds)
{
    auto zone = parse(sample_zone);
    const auto extra = parse("@ 3600 IN CDS 12345 15 2 "
                             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
    zone.records.push_back(extra.records.at(0));
    const auto list = signatures(sign_zone(zone, {ksk(), zsk()}, {}).value());
    EXPECT_TRUE(signed_by(list, "example.", "CDS", ksk()));
    EXPECT_TRUE(signed_by(list, "example.", "CDS", zsk()));
}

TEST(SignZone, CskSignsEverything)
{
    const auto list = signatures(sign_zone(parse(sample_zone), {ksk()}, {}).value());
    EXPECT_TRUE(signed_by(list, "example.", "DNSKEY", ksk()));
    EXPECT_TRUE(signed_by(list, "example.", "SOA", ksk()));
    EXPECT_TRUE(signed_by(list, "mail.example.", "A", ksk()));
}

TEST(SignZone, RevokedKeySignsOnlyDnskey)
{
    KeyPair revoked = key("example.", Algorithm::ed25519, dnskey_flags::ksk);
    revoked.flags = dnskey_flags::ksk | dnskey_flags::revoke;
    const auto list = signatures(sign_zone(parse(sample_zone), {revoked, zsk()}, {}).value());
    EXPECT_TRUE(signed_by(list, "example.", "DNSKEY", revoked));
    EXPECT_FALSE(signed_by(list, "example.", "SOA", revoked));
    // Without another KSK, the ZSK signs the DNSKEY RRset too.
    EXPECT_TRUE(signed_by(list, "example.", "DNSKEY", zsk()));

    EXPECT_FALSE(sign_zone(parse(sample_zone), {revoked}, {}));
}

TEST(SignZone, SignsWithEveryAlgorithm)
{
    const auto ecdsa = key("example.", Algorithm::ecdsap256sha256, dnskey_flags::zsk);
    const auto signed_zone = sign_zone(parse(sample_zone), {ksk(), zsk(), ecdsa}, {}).value();
    const auto list = signatures(signed_zone);
    EXPECT_TRUE(signed_by(list, "mail.example.", "A", zsk()));
    EXPECT_TRUE(signed_by(list, "mail.example.", "A", ecdsa));
    // The ECDSA key is alone in its algorithm, so it signs the DNSKEY RRset as well.
    EXPECT_TRUE(signed_by(list, "example.", "DNSKEY", ecdsa));
    EXPECT_TRUE(verify_zone(signed_zone).empty());
}

TEST(SignZone, ResigningReplacesOldRecords)
{
    const auto once = sign_zone(parse(sample_zone), {ksk(), zsk()}, {}).value();
    SignOptions nsec3;
    nsec3.nsec3 = Nsec3Options{};
    const auto twice = sign_zone(once, {ksk(), zsk()}, nsec3).value();
    EXPECT_EQ(count_type(twice, zone::rrtype::nsec), 0U);
    EXPECT_EQ(count_type(twice, zone::rrtype::nsec3param), 1U);
    EXPECT_EQ(count_type(twice, zone::rrtype::dnskey), 2U);
    const auto thrice = sign_zone(once, {ksk(), zsk()}, {}).value();
    EXPECT_EQ(signatures(thrice), signatures(once));
    EXPECT_TRUE(verify_zone(twice).empty());
}

TEST(SignZone, DropsDnskeysOfOtherAlgorithms)
{
    const auto rsa = key("example.", Algorithm::rsasha256, dnskey_flags::ksk);
    auto zone = parse(sample_zone);
    zone.records.push_back(rsa.dnskey_record(60));
    zone.records.push_back(
        key("example.", Algorithm::ed25519, dnskey_flags::ksk | 0x80).dnskey_record(60));
    const auto signed_zone = sign_zone(zone, {ksk(), zsk()}, {}).value();
    // The RSA key goes, the pre-published Ed25519 key stays, with the SOA's TTL.
    EXPECT_EQ(count_type(signed_zone, zone::rrtype::dnskey), 3U);
    for (const auto& record : signed_zone.records) {
        if (record.type == zone::rrtype::dnskey) {
            EXPECT_EQ(record.ttl, 3600U);
            EXPECT_NE(record.rdata[3], static_cast<std::uint8_t>(Algorithm::rsasha256));
        }
    }
}

TEST(SignZone, OutputDoesNotDependOnThreadCount)
{
    SignOptions options;
    options.inception = std::chrono::sys_seconds(std::chrono::seconds(1700000000));
    options.expiration = std::chrono::sys_seconds(std::chrono::seconds(1702592000));
    options.threads = 1;
    const auto one = sign_zone(parse(sample_zone), {ksk(), zsk()}, options).value();
    options.threads = 7;
    const auto seven = sign_zone(parse(sample_zone), {ksk(), zsk()}, options).value();
    ASSERT_EQ(one.records.size(), seven.records.size());
    // Ed25519 signatures are deterministic (RFC 8032), so the records are equal octet for octet.
    for (std::size_t i = 0; i < one.records.size(); ++i) {
        EXPECT_TRUE(one.records[i].same_data(seven.records[i]))
            << zone::record_to_string(one.records[i]);
    }
}

TEST(SignZone, UsesGivenTimesAndTtls)
{
    SignOptions options;
    options.inception = std::chrono::sys_seconds(std::chrono::seconds(1700000000));
    options.expiration = std::chrono::sys_seconds(std::chrono::seconds(1702592000));
    options.expiration_spread = std::chrono::seconds{0};
    options.dnskey_ttl = 86400;
    auto zone = parse(sample_zone);
    zone.records.push_back(parse("multi 60 IN TXT \"four\"\n").records.at(0));
    const auto signed_zone = sign_zone(zone, {ksk(), zsk()}, options).value();
    for (const auto& record : signed_zone.records) {
        if (record.type == zone::rrtype::rrsig) {
            const auto rrsig = parse_rrsig(record.rdata).value();
            EXPECT_EQ(rrsig.fields.inception, 1700000000U);
            EXPECT_EQ(rrsig.fields.expiration, 1702592000U);
            EXPECT_EQ(rrsig.fields.original_ttl, record.ttl);
        }
        if (record.type == zone::rrtype::dnskey) {
            EXPECT_EQ(record.ttl, 86400U);
        }
        if (record.owner == name("multi.example.") && record.type == zone::rrtype::txt) {
            EXPECT_EQ(record.ttl, 60U) << zone::record_to_string(record);
        }
        if (record.type == zone::rrtype::nsec) {
            EXPECT_EQ(record.ttl, 300U);
        }
    }
}

TEST(SignZone, RejectsUnusableKeysAndOptions)
{
    const auto zone = parse(sample_zone);
    EXPECT_FALSE(sign_zone(zone, {}, {}));
    EXPECT_FALSE(sign_zone(zone, {key("example.net.", Algorithm::ed25519, dnskey_flags::zsk)}, {}));
    KeyPair no_zone_flag = zsk();
    no_zone_flag.flags = 0;
    EXPECT_FALSE(sign_zone(zone, {no_zone_flag}, {}));

    SignOptions backwards;
    backwards.inception = std::chrono::sys_seconds(std::chrono::seconds(1702592000));
    backwards.expiration = std::chrono::sys_seconds(std::chrono::seconds(1700000000));
    EXPECT_FALSE(sign_zone(zone, {zsk()}, backwards));

    SignOptions costly;
    costly.nsec3 = Nsec3Options{{}, 500, false};
    const auto rejected = sign_zone(zone, {zsk()}, costly);
    ASSERT_FALSE(rejected);
    EXPECT_NE(rejected.error().message.find("500 NSEC3 iterations"), std::string::npos);
}

TEST(SignZone, RejectsZonesItCannotSign)
{
    EXPECT_FALSE(sign_zone(parse("www 300 IN A 192.0.2.1\n"), {zsk()}, {}));

    const auto below_dname = sign_zone(parse(R"(@ 300 IN SOA ns. host. 1 2 3 4 5
old 300 IN DNAME new.example.
x.old 300 IN A 192.0.2.1
)"),
                                       {zsk()}, {});
    ASSERT_FALSE(below_dname);
    EXPECT_EQ(below_dname.error().where->line, 3U);

    auto outside = parse("@ 300 IN SOA ns. host. 1 2 3 4 5\n");
    outside.records.push_back(
        {name("example.net."), zone::rrtype::a, zone::rrclass::in, 300, {192, 0, 2, 1}, {}});
    EXPECT_FALSE(sign_zone(outside, {zsk()}, {}));
}

} // namespace
} // namespace robur::dnssec
