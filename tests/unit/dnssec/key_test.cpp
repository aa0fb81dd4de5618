// DNSSEC key pairs: key tags, DNSKEY public key encodings, signing and verifying.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "formats/dnssec/key.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/text.hpp"

namespace robur::dnssec {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes base64(std::string_view text)
{
    auto bytes = zone::text::base64_decode(text);
    EXPECT_TRUE(bytes) << text;
    return bytes.value_or(Bytes{});
}

Bytes dnskey_rdata(std::uint16_t flags, std::uint8_t algorithm, std::string_view public_key)
{
    Bytes rdata{static_cast<std::uint8_t>(flags >> 8), static_cast<std::uint8_t>(flags & 0xff), 3,
                algorithm};
    const Bytes field = base64(public_key);
    rdata.insert(rdata.end(), field.begin(), field.end());
    return rdata;
}

zone::Name name(std::string_view text)
{
    return zone::Name::parse(text).value();
}

void append16(Bytes& out, std::uint32_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void append32(Bytes& out, std::uint32_t value)
{
    append16(out, value >> 16);
    append16(out, value & 0xffff);
}

void append_name(Bytes& out, const zone::Name& owner)
{
    const zone::Name lower = owner.lowercase();
    out.insert(out.end(), lower.wire().begin(), lower.wire().end());
}

// The data an RRSIG over "example.com. 3600 IN MX 10 mail.example.com." signs (RFC 4034
// section 3.1.8.1), with the RRSIG fields of the RFC 8080 section 6 examples.
Bytes rfc8080_signed_data(std::uint16_t key_tag)
{
    Bytes data;
    append16(data, 15);         // type covered: MX
    data.push_back(15);         // algorithm: Ed25519
    data.push_back(2);          // labels
    append32(data, 3600);       // original TTL
    append32(data, 1440021600); // expiration
    append32(data, 1438207200); // inception
    append16(data, key_tag);
    append_name(data, name("example.com."));

    Bytes mx;
    append16(mx, 10);
    append_name(mx, name("mail.example.com."));
    append_name(data, name("example.com."));
    append16(data, 15);
    append16(data, 1);
    append32(data, 3600);
    append16(data, static_cast<std::uint32_t>(mx.size()));
    data.insert(data.end(), mx.begin(), mx.end());
    return data;
}

KeyPair ed25519_key(std::string_view private_key_base64)
{
    const Bytes seed = base64(private_key_base64);
    EVP_PKEY* key =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
    EXPECT_NE(key, nullptr);
    return KeyPair{name("example.com."), 257, Algorithm::ed25519,
                   std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free)};
}

const Bytes message{'r', 'o', 'b', 'u', 'r'};

TEST(KeyTag, MatchesRfc5702RsaExample)
{
    const auto rdata = dnskey_rdata(256, 8,
                                    "AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36Bponcw"
                                    "tkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=");
    EXPECT_EQ(key_tag(rdata), 9033);
}

TEST(KeyTag, MatchesRfc6605EcdsaExample)
{
    const auto rdata = dnskey_rdata(257, 13,
                                    "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7w"
                                    "NcP+e+MAnLr+Wi9xMWyQLc8NAA==");
    EXPECT_EQ(key_tag(rdata), 55648);
}

TEST(KeyTag, MatchesRfc8080Ed25519Examples)
{
    EXPECT_EQ(key_tag(dnskey_rdata(257, 15, "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=")), 3613);
    EXPECT_EQ(key_tag(dnskey_rdata(257, 15, "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=")),
              35217);
}

TEST(KeyTag, UsesModulusOctetsForAlgorithm1)
{
    // RFC 4034 appendix B.1: the tag is the second-to-last and third-to-last octets.
    const Bytes rdata{1, 0, 3, 1, 1, 3, 0xaa, 0xbb, 0x12, 0x34, 0x56};
    EXPECT_EQ(key_tag(rdata), 0x1234);
}

TEST(KeyTag, ReturnsZeroForTruncatedRdata)
{
    EXPECT_EQ(key_tag(Bytes{1, 1, 3}), 0);
}

TEST(KeyPair, GeneratesPublicKeysOfEachAlgorithmsSize)
{
    const struct {
        Algorithm algorithm;
        std::size_t size;
    } cases[] = {
        // RSA: one length octet, the exponent 65537 in 3 octets, a 2048-bit modulus.
        {Algorithm::rsasha256, 1 + 3 + 256},
        {Algorithm::ecdsap256sha256, 64},
        {Algorithm::ed25519, 32},
    };
    for (const auto& item : cases) {
        const auto key = generate_key(name("example.com."), item.algorithm, 257);
        ASSERT_TRUE(key) << key.error().message;
        EXPECT_EQ(key->public_key().size(), item.size) << algorithm_name(item.algorithm);
        const auto rdata = key->dnskey_rdata();
        EXPECT_EQ(rdata[0], 1);
        EXPECT_EQ(rdata[1], 1);
        EXPECT_EQ(rdata[2], 3);
        EXPECT_EQ(rdata[3], static_cast<std::uint8_t>(item.algorithm));
        EXPECT_EQ(key->key_tag(), key_tag(rdata));
    }
}

TEST(KeyPair, UsesRsaExponent65537)
{
    const auto key = generate_key(name("example.com."), Algorithm::rsasha256, 256);
    ASSERT_TRUE(key) << key.error().message;
    const Bytes field = key->public_key();
    ASSERT_GE(field.size(), 4U);
    EXPECT_EQ(field[0], 3);
    EXPECT_EQ(Bytes(field.begin() + 1, field.begin() + 4), (Bytes{0x01, 0x00, 0x01}));
}

TEST(KeyPair, RejectsFlagsWithoutZoneKeyBit)
{
    const auto key = generate_key(name("example.com."), Algorithm::ed25519, 1);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, Errc::invalid_argument);
}

TEST(KeyPair, BuildsDnskeyRecordAtOwner)
{
    const auto key = generate_key(name("Example.COM."), Algorithm::ed25519, 256);
    ASSERT_TRUE(key) << key.error().message;
    const auto record = key->dnskey_record(3600);
    EXPECT_EQ(record.owner, name("example.com."));
    EXPECT_EQ(record.type, zone::rrtype::dnskey);
    EXPECT_EQ(record.rclass, zone::rrclass::in);
    EXPECT_EQ(record.ttl, 3600U);
    EXPECT_EQ(record.rdata, key->dnskey_rdata());
}

TEST(PublicKey, RoundTripsThroughDnskeyField)
{
    for (const auto algorithm :
         {Algorithm::rsasha256, Algorithm::ecdsap256sha256, Algorithm::ed25519}) {
        const auto key = generate_key(name("example.com."), algorithm, 256);
        ASSERT_TRUE(key) << key.error().message;
        const Bytes field = key->public_key();
        const auto imported = public_key_from_dnskey(algorithm, field);
        ASSERT_TRUE(imported) << imported.error().message;
        const KeyPair public_only{key->owner, key->flags, algorithm, *imported};
        EXPECT_EQ(public_only.public_key(), field) << algorithm_name(algorithm);
    }
}

TEST(PublicKey, DerivesRfc8080PublicKeyFromPrivateKey)
{
    const KeyPair key = ed25519_key("ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=");
    EXPECT_EQ(key.public_key(), base64("l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="));
    EXPECT_EQ(key.key_tag(), 3613);
}

TEST(PublicKey, AcceptsRsaThreeOctetExponentLength)
{
    // RFC 3110 section 2: a zero octet, then the exponent length in two octets.
    const auto key = generate_key(name("example.com."), Algorithm::rsasha256, 256);
    ASSERT_TRUE(key) << key.error().message;
    const Bytes short_form = key->public_key();
    Bytes long_form{0, 0, 3};
    long_form.insert(long_form.end(), short_form.begin() + 1, short_form.end());

    const auto imported = public_key_from_dnskey(Algorithm::rsasha256, long_form);
    ASSERT_TRUE(imported) << imported.error().message;
    const KeyPair public_only{key->owner, 256, Algorithm::rsasha256, *imported};
    EXPECT_EQ(public_only.public_key(), short_form);
}

TEST(PublicKey, RejectsMalformedFields)
{
    EXPECT_FALSE(public_key_from_dnskey(Algorithm::rsasha256, Bytes{}));
    EXPECT_FALSE(public_key_from_dnskey(Algorithm::rsasha256, Bytes{3, 1, 0, 1}));
    EXPECT_FALSE(public_key_from_dnskey(Algorithm::rsasha256, Bytes{0, 1}));
    EXPECT_FALSE(public_key_from_dnskey(Algorithm::ecdsap256sha256, Bytes(63, 1)));
    EXPECT_FALSE(public_key_from_dnskey(Algorithm::ecdsap256sha256, Bytes(64, 0)));
    EXPECT_FALSE(public_key_from_dnskey(Algorithm::ed25519, Bytes(31, 1)));
}

TEST(SignData, RoundTripsForEachAlgorithm)
{
    for (const auto algorithm :
         {Algorithm::rsasha256, Algorithm::ecdsap256sha256, Algorithm::ed25519}) {
        const auto key = generate_key(name("example.com."), algorithm, 257);
        ASSERT_TRUE(key) << key.error().message;
        const auto signature = sign_data(*key, message);
        ASSERT_TRUE(signature) << signature.error().message;
        EXPECT_TRUE(verify_data(key->dnskey_rdata(), message, *signature))
            << algorithm_name(algorithm);
    }
}

TEST(SignData, WritesSignaturesOfEachAlgorithmsSize)
{
    const struct {
        Algorithm algorithm;
        std::size_t size;
    } cases[] = {
        {Algorithm::rsasha256, 256}, {Algorithm::ecdsap256sha256, 64}, {Algorithm::ed25519, 64}};
    for (const auto& item : cases) {
        const auto key = generate_key(name("example.com."), item.algorithm, 256);
        ASSERT_TRUE(key) << key.error().message;
        const auto signature = sign_data(*key, message);
        ASSERT_TRUE(signature) << signature.error().message;
        EXPECT_EQ(signature->size(), item.size) << algorithm_name(item.algorithm);
    }
}

TEST(SignData, MatchesRfc8080Ed25519Signatures)
{
    const KeyPair first = ed25519_key("ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=");
    const auto first_signature = sign_data(first, rfc8080_signed_data(3613));
    ASSERT_TRUE(first_signature) << first_signature.error().message;
    EXPECT_EQ(*first_signature, base64("oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QL"
                                       "s3fx8A4M3e23mRZ9VrbpMngwcrqNAg=="));

    const KeyPair second = ed25519_key("DSSF3o0s0f+ElWzj9E/Osxw8hLpk55chkmx0LYN5WiY=");
    EXPECT_EQ(second.public_key(), base64("zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs="));
    const auto second_signature = sign_data(second, rfc8080_signed_data(35217));
    ASSERT_TRUE(second_signature) << second_signature.error().message;
    EXPECT_EQ(*second_signature, base64("zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJS"
                                        "nzQoSm5poJ7gD7AQR0O7KuI5k2pcBg=="));
}

TEST(SignData, RejectsKeyOfAnotherAlgorithm)
{
    auto key = generate_key(name("example.com."), Algorithm::ed25519, 256);
    ASSERT_TRUE(key) << key.error().message;
    key->algorithm = Algorithm::ecdsap256sha256;
    EXPECT_FALSE(sign_data(*key, message));
}

TEST(VerifyData, RejectsTamperedDataAndSignatures)
{
    for (const auto algorithm :
         {Algorithm::rsasha256, Algorithm::ecdsap256sha256, Algorithm::ed25519}) {
        const auto key = generate_key(name("example.com."), algorithm, 256);
        ASSERT_TRUE(key) << key.error().message;
        auto signature = sign_data(*key, message).value();

        Bytes other_message = message;
        other_message[0] ^= 1;
        EXPECT_FALSE(verify_data(key->dnskey_rdata(), other_message, signature));

        signature[signature.size() / 2] ^= 1;
        EXPECT_FALSE(verify_data(key->dnskey_rdata(), message, signature));
        EXPECT_FALSE(verify_data(key->dnskey_rdata(), message, Bytes{}));
    }
}

TEST(VerifyData, RejectsOtherAlgorithmsAndProtocols)
{
    const auto key = generate_key(name("example.com."), Algorithm::ed25519, 256);
    ASSERT_TRUE(key) << key.error().message;
    const auto signature = sign_data(*key, message).value();

    Bytes other_algorithm = key->dnskey_rdata();
    other_algorithm[3] = 16; // Ed448
    EXPECT_FALSE(verify_data(other_algorithm, message, signature));

    Bytes other_protocol = key->dnskey_rdata();
    other_protocol[2] = 2;
    EXPECT_FALSE(verify_data(other_protocol, message, signature));
    EXPECT_FALSE(verify_data(Bytes{1, 0, 3}, message, signature));
}

TEST(CheckKeyMatches, RejectsPublicKeyOfAnotherKey)
{
    const auto key = generate_key(name("example.com."), Algorithm::ecdsap256sha256, 257);
    const auto other = generate_key(name("example.com."), Algorithm::ecdsap256sha256, 257);
    ASSERT_TRUE(key && other);
    EXPECT_TRUE(check_key_matches(*key, key->public_key()));
    EXPECT_FALSE(check_key_matches(*key, other->public_key()));
}

} // namespace
} // namespace robur::dnssec
