// resign_apex_soa: re-signing only the SOA RRset after a serial change must give the zone that
// a second full signing gives, or decline.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "formats/dnssec/rrsig.hpp"
#include "formats/dnssec/signer.hpp"
#include "formats/zone/writer.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

using testing::key;
using testing::name;
using testing::parse;
using testing::sample_zone;

constexpr std::int64_t now = 1700000000;
constexpr std::uint32_t raised_serial = 2024010102;

std::chrono::sys_seconds at(std::int64_t seconds)
{
    return std::chrono::sys_seconds(std::chrono::seconds(seconds));
}

SignOptions options_at(std::int64_t time)
{
    SignOptions options;
    options.now = at(time);
    options.inception = at(time - 3600);
    options.expiration = at(time + 30 * 86400);
    return options;
}

// Ed25519 signatures are deterministic, so a re-signed RRset has the same bytes either way.
// The second ZSK comes from the key cache under another owner, then joins the zone.
std::vector<KeyPair> zone_keys()
{
    std::vector<KeyPair> keys{key("example.", Algorithm::ed25519, dnskey_flags::ksk),
                              key("example.", Algorithm::ed25519, dnskey_flags::zsk),
                              key("second.example.", Algorithm::ed25519, dnskey_flags::zsk)};
    keys[2].owner = name("example.");
    return keys;
}

// Sets the serial of every apex SOA. SERIAL is the fifth-last 32-bit field of the rdata.
void set_serial(zone::Zone& zone, std::uint32_t serial)
{
    for (auto& record : zone.records) {
        if (record.type == zone::rrtype::soa && record.owner == zone.origin) {
            auto* field = record.rdata.data() + record.rdata.size() - 20;
            for (int i = 0; i < 4; ++i) {
                field[i] = static_cast<std::uint8_t>(serial >> (24 - 8 * i));
            }
        }
    }
}

std::vector<std::string> lines(const zone::Zone& zone)
{
    std::vector<std::string> out;
    for (const auto& record : zone.records) {
        out.push_back(zone::record_to_string(record));
    }
    return out;
}

// Signs sample_zone, then checks that raising the serial and calling resign_apex_soa gives
// what a second sign_zone with the first result as the previous version gives.
void expect_same_as_second_signing(const SignOptions& options, const std::vector<KeyPair>& keys)
{
    const auto unsigned_zone = parse(sample_zone);
    const auto first = sign_zone(unsigned_zone, keys, options).value();

    auto raised = unsigned_zone;
    set_serial(raised, raised_serial);
    auto second_options = options;
    second_options.previous = &first;
    SignStats full_stats;
    const auto full = sign_zone(raised, keys, second_options, full_stats).value();

    auto patched = first;
    set_serial(patched, raised_serial);
    SignStats patch_stats;
    ASSERT_TRUE(resign_apex_soa(patched, keys, options, patch_stats).value());
    EXPECT_EQ(lines(patched), lines(full));
    EXPECT_EQ(patch_stats.signatures_new, full_stats.signatures_new);
    EXPECT_EQ(patch_stats.rrsets_signed, full_stats.rrsets_signed);
    EXPECT_NE(lines(patched), lines(first));
}

TEST(ResignApexSoa, EqualsSecondSigningWithNsec)
{
    expect_same_as_second_signing(options_at(now), zone_keys());
}

TEST(ResignApexSoa, EqualsSecondSigningWithNsec3)
{
    auto options = options_at(now);
    options.nsec3 = Nsec3Options{};
    expect_same_as_second_signing(options, zone_keys());
}

TEST(ResignApexSoa, EqualsSecondSigningWithOneKey)
{
    const std::vector<KeyPair> keys{key("example.", Algorithm::ed25519, dnskey_flags::ksk)};
    expect_same_as_second_signing(options_at(now), keys);
}

TEST(ResignApexSoa, DeclinesWhenNewSignaturesFallDue)
{
    // A refresh of 29 days with 30 days of validity renews the early-expiring RRSIGs of the
    // spread at once, so a second signing would make more than the SOA's.
    auto options = options_at(now);
    options.refresh = std::chrono::days{29};
    const auto first = sign_zone(parse(sample_zone), zone_keys(), options).value();
    auto patched = first;
    SignStats stats;
    EXPECT_FALSE(resign_apex_soa(patched, zone_keys(), options, stats).value());
    EXPECT_EQ(lines(patched), lines(first));
    EXPECT_EQ(stats.signatures_new, 0U);
}

TEST(ResignApexSoa, DeclinesInceptionAfterNow)
{
    auto options = options_at(now);
    options.inception = at(now + 3600);
    const auto first = sign_zone(parse(sample_zone), zone_keys(), options).value();
    auto patched = first;
    SignStats stats;
    EXPECT_FALSE(resign_apex_soa(patched, zone_keys(), options, stats).value());
    EXPECT_EQ(lines(patched), lines(first));
}

TEST(ResignApexSoa, DeclinesDnskeyWithSameKeyTag)
{
    // Swapping two octets at even offsets keeps the key tag's sum (RFC 4034 appendix B). The
    // public key starts at offset 4.
    const auto keys = zone_keys();
    auto rdata = keys[1].dnskey_rdata();
    for (std::size_t offset = 6; offset < rdata.size(); offset += 2) {
        if (rdata[offset] != rdata[4]) {
            std::swap(rdata[4], rdata[offset]);
            break;
        }
    }
    ASSERT_EQ(key_tag(rdata), keys[1].key_tag());
    ASSERT_NE(rdata, keys[1].dnskey_rdata());

    auto options = options_at(now);
    options.published_dnskeys.push_back(
        {name("example."), zone::rrtype::dnskey, zone::rrclass::in, 3600, rdata, {}});
    const auto first = sign_zone(parse(sample_zone), keys, options).value();
    auto patched = first;
    SignStats stats;
    EXPECT_FALSE(resign_apex_soa(patched, keys, options, stats).value());
    EXPECT_EQ(lines(patched), lines(first));
}

TEST(ResignApexSoa, DeclinesOtherZoneSigningKeys)
{
    // Both ZSKs signed the SOA RRset, but only one of them is in the key list now.
    const auto keys = zone_keys();
    const auto options = options_at(now);
    const auto first = sign_zone(parse(sample_zone), keys, options).value();
    const std::vector<KeyPair> other{keys[0], keys[2]};
    auto patched = first;
    SignStats stats;
    EXPECT_FALSE(resign_apex_soa(patched, other, options, stats).value());
    EXPECT_EQ(lines(patched), lines(first));
}

} // namespace
} // namespace robur::dnssec
