// RRSIG construction, signing and verification (RFC 4034 section 3, RFC 4035 section 5.3).

#include <gtest/gtest.h>

#include "formats/dnssec/rrsig.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

using testing::key;
using testing::name;
using testing::parse;

constexpr std::uint32_t inception = 1700000000;
constexpr std::uint32_t expiration = 1702592000;

RRset rrset_of(std::string_view text)
{
    const auto zone = parse(text);
    return group_rrsets(zone.records).value().at(0);
}

TEST(RrsigLabels, LeavesOutRootAndWildcard)
{
    EXPECT_EQ(rrsig_labels(name("a.example.")), 2);
    EXPECT_EQ(rrsig_labels(name("*.a.example.")), 2);
    EXPECT_EQ(rrsig_labels(name(".")), 0);
}

TEST(SerialBefore, UsesRfc1982Arithmetic)
{
    EXPECT_TRUE(serial_before(1, 2));
    EXPECT_FALSE(serial_before(2, 1));
    EXPECT_FALSE(serial_before(5, 5));
    EXPECT_TRUE(serial_before(0xffffff00U, 0x10));
    EXPECT_FALSE(serial_before(0x10, 0xffffff00U));
}

TEST(RrsigTime, TruncatesToThirtyTwoBits)
{
    EXPECT_EQ(rrsig_time(std::chrono::sys_seconds(std::chrono::seconds(4294967296LL + 7))), 7U);
}

TEST(RrsigRdata, RoundTripsAndLowercasesSigner)
{
    const RrsigFields fields{zone::rrtype::a, 13,        2,    3600,
                             expiration,      inception, 4242, name("EXAMPLE.")};
    const std::vector<std::uint8_t> signature{1, 2, 3};
    const auto rdata = rrsig_rdata(fields, signature);
    const auto parsed = parse_rrsig(rdata).value();
    EXPECT_EQ(parsed.fields.type_covered, zone::rrtype::a);
    EXPECT_EQ(parsed.fields.algorithm, 13);
    EXPECT_EQ(parsed.fields.labels, 2);
    EXPECT_EQ(parsed.fields.original_ttl, 3600U);
    EXPECT_EQ(parsed.fields.expiration, expiration);
    EXPECT_EQ(parsed.fields.inception, inception);
    EXPECT_EQ(parsed.fields.key_tag, 4242);
    EXPECT_EQ(parsed.fields.signer.to_string(), "example.");
    EXPECT_EQ(parsed.signature, signature);
    EXPECT_FALSE(parse_rrsig(std::span(rdata).first(10)));
}

TEST(SignedData, FollowsRfc4034Layout)
{
    const auto rrset = rrset_of("WWW 300 IN A 192.0.2.2\nwww 300 IN A 192.0.2.1\n");
    const RrsigFields fields{zone::rrtype::a, 13,        2, 600,
                             expiration,      inception, 1, name("example.")};
    std::vector<std::uint8_t> data;
    append_signed_data(data, fields, rrset);

    std::vector<std::uint8_t> expected = rrsig_rdata(fields, {});
    for (const std::uint8_t last : {std::uint8_t{1}, std::uint8_t{2}}) {
        const std::vector<std::uint8_t> rdata{192, 0, 2, last};
        // The original TTL, 600, replaces the RRset's TTL.
        append_canonical_rr(expected, name("www.example.").wire(), zone::rrtype::a,
                            zone::rrclass::in, 600, rdata);
    }
    EXPECT_EQ(data, expected);
}

TEST(SignedData, UsesWildcardOwnerForExpandedNames)
{
    auto rrset = rrset_of("x.w 300 IN TXT \"x\"\n");
    const RrsigFields fields{zone::rrtype::txt, 13,        2, 300,
                             expiration,        inception, 1, name("example.")};
    std::vector<std::uint8_t> data;
    append_signed_data(data, fields, rrset);
    const std::string text(data.begin(), data.end());
    EXPECT_NE(text.find(std::string("\x01*\x01w\x07"
                                    "example",
                                    12)),
              std::string::npos);
}

TEST(SignRrset, VerifiesForEachAlgorithm)
{
    const auto rrset = rrset_of("*.a 300 IN MX 10 Mail.Example.\n*.a 300 IN MX 20 b.example.\n");
    for (const auto algorithm :
         {Algorithm::rsasha256, Algorithm::ecdsap256sha256, Algorithm::ed25519}) {
        SCOPED_TRACE(algorithm_name(algorithm));
        const auto signer = key("example.", algorithm, dnskey_flags::zsk);
        auto context = SigningContext::create(signer).value();
        std::vector<std::uint8_t> scratch;
        const auto record = sign_rrset(rrset, context, inception, expiration, scratch).value();
        EXPECT_EQ(record.type, zone::rrtype::rrsig);
        EXPECT_EQ(record.ttl, 300U);
        const auto rrsig = parse_rrsig(record.rdata).value();
        EXPECT_EQ(rrsig.fields.labels, 2);
        EXPECT_EQ(rrsig.fields.key_tag, signer.key_tag());
        EXPECT_EQ(verify_rrsig(rrsig, rrset, signer.dnskey_rdata(), inception + 10),
                  RrsigStatus::valid);
    }
}

TEST(SigningContext, AgreesWithSignDataAndVerifyData)
{
    const std::vector<std::uint8_t> data{'r', 'o', 'b', 'u', 'r'};
    for (const auto algorithm :
         {Algorithm::rsasha256, Algorithm::ecdsap256sha256, Algorithm::ed25519}) {
        SCOPED_TRACE(algorithm_name(algorithm));
        const auto signer = key("example.", algorithm, dnskey_flags::ksk);
        auto context = SigningContext::create(signer).value();
        // Repeated signatures reuse the context.
        for (int round = 0; round < 3; ++round) {
            const auto signature = context.sign(data).value();
            EXPECT_TRUE(verify_data(signer.dnskey_rdata(), data, signature));
            if (algorithm != Algorithm::ecdsap256sha256) {
                // RSA PKCS #1 v1.5 and Ed25519 are deterministic; ECDSA uses a random nonce.
                EXPECT_EQ(signature, sign_data(signer, data).value());
            } else {
                EXPECT_EQ(signature.size(), 64U);
            }
        }
    }
}

// The signing context signs Ed25519 with libsodium and sign_data with OpenSSL. RFC 8032
// signatures are deterministic, so the two must agree on every input, whatever its length.
TEST(SigningContext, Ed25519MatchesOpenSslOnManyInputs)
{
    for (const auto flags : {dnskey_flags::zsk, dnskey_flags::ksk}) {
        const auto signer = key("example.", Algorithm::ed25519, flags);
        auto context = SigningContext::create(signer).value();
        std::vector<std::uint8_t> data;
        std::uint32_t state = 2463534242U;
        for (std::size_t length = 0; length < 600; ++length) {
            SCOPED_TRACE(length);
            const auto signature = context.sign(data).value();
            EXPECT_EQ(signature, sign_data(signer, data).value());
            EXPECT_TRUE(verify_data(signer.dnskey_rdata(), data, signature));
            // xorshift32 gives each length different bytes, reproducibly.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            data.push_back(static_cast<std::uint8_t>(state));
        }
    }
}

TEST(VerifyRrsig, ReportsTamperingTimesAndWrongKey)
{
    const auto rrset = rrset_of("a 300 IN A 192.0.2.1\n");
    const auto signer = key("example.", Algorithm::ed25519, dnskey_flags::zsk);
    const auto other = key("example.", Algorithm::ecdsap256sha256, dnskey_flags::zsk);
    auto context = SigningContext::create(signer).value();
    std::vector<std::uint8_t> scratch;
    const auto record = sign_rrset(rrset, context, inception, expiration, scratch).value();
    auto rrsig = parse_rrsig(record.rdata).value();
    const auto dnskey = signer.dnskey_rdata();

    EXPECT_EQ(verify_rrsig(rrsig, rrset, dnskey, inception - 1), RrsigStatus::not_yet_valid);
    EXPECT_EQ(verify_rrsig(rrsig, rrset, dnskey, expiration + 1), RrsigStatus::expired);
    EXPECT_EQ(verify_rrsig(rrsig, rrset, other.dnskey_rdata(), inception), RrsigStatus::wrong_key);

    auto changed = rrset;
    changed.rdatas[0][3] = 2;
    EXPECT_EQ(verify_rrsig(rrsig, changed, dnskey, inception), RrsigStatus::bad_signature);

    rrsig.signature[0] ^= 0x80;
    EXPECT_EQ(verify_rrsig(rrsig, rrset, dnskey, expiration + 1), RrsigStatus::bad_signature);

    rrsig.fields.labels = 3;
    EXPECT_EQ(verify_rrsig(rrsig, rrset, dnskey, inception), RrsigStatus::wrong_labels);
}

} // namespace
} // namespace robur::dnssec
