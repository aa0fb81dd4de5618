// Incremental signing: which RRSIGs sign_zone keeps from an earlier signed version, and the
// spread of new expiration times.

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "formats/dnssec/rrsig.hpp"
#include "formats/dnssec/signer.hpp"
#include "formats/dnssec/verify.hpp"
#include "formats/zone/writer.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

using namespace std::chrono_literals;
using testing::key;
using testing::name;
using testing::parse;
using testing::sample_zone;

constexpr std::int64_t first_time = 1700000000;

std::chrono::sys_seconds at(std::int64_t seconds)
{
    return std::chrono::sys_seconds(std::chrono::seconds(seconds));
}

// ECDSA signatures are randomised, so an equal RRSIG proves that it was kept, not remade.
const KeyPair& ksk()
{
    static const KeyPair pair = key("example.", Algorithm::ecdsap256sha256, dnskey_flags::ksk);
    return pair;
}

const KeyPair& zsk()
{
    static const KeyPair pair = key("example.", Algorithm::ecdsap256sha256, dnskey_flags::zsk);
    return pair;
}

const KeyPair& second_zsk()
{
    static const KeyPair pair =
        generate_key(name("example."), Algorithm::ecdsap256sha256, dnskey_flags::zsk).value();
    return pair;
}

// Options for signing at now with 30 days of validity.
SignOptions options_at(std::int64_t now)
{
    SignOptions options;
    options.now = at(now);
    options.inception = at(now - 3600);
    options.expiration = at(now + 30 * 86400);
    options.threads = 3;
    return options;
}

// The RRSIG records by "owner TYPE covered keytag".
std::map<std::string, zone::Record> rrsigs_by_rrset(const zone::Zone& zone)
{
    std::map<std::string, zone::Record> out;
    for (const auto& record : zone.records) {
        if (record.type == zone::rrtype::rrsig) {
            const auto rrsig = parse_rrsig(record.rdata).value();
            out.emplace(fmt::format("{} {} {}", record.owner.lowercase().to_string(),
                                    zone::type_to_string(rrsig.fields.type_covered),
                                    rrsig.fields.key_tag),
                        record);
        }
    }
    return out;
}

std::size_t count_rrsigs(const zone::Zone& zone)
{
    return static_cast<std::size_t>(std::count_if(
        zone.records.begin(), zone.records.end(),
        [](const zone::Record& record) { return record.type == zone::rrtype::rrsig; }));
}

bool verifies(const zone::Zone& zone, std::int64_t now)
{
    VerifyOptions options;
    options.now = at(now);
    const auto diagnostics = verify_zone(zone, options);
    for (const auto& diagnostic : diagnostics) {
        if (diagnostic.severity == Severity::error) {
            ADD_FAILURE() << diagnostic.to_string();
            return false;
        }
    }
    return true;
}

TEST(SignZoneIncremental, UnchangedZoneKeepsEverySignature)
{
    const auto unsigned_zone = parse(sample_zone);
    SignStats first_stats;
    const auto first =
        sign_zone(unsigned_zone, {ksk(), zsk()}, options_at(first_time), first_stats).value();
    EXPECT_EQ(first_stats.signatures_reused, 0U);
    EXPECT_EQ(first_stats.signatures_new, count_rrsigs(first));

    auto options = options_at(first_time + 86400);
    options.previous = &first;
    SignStats stats;
    const auto second = sign_zone(unsigned_zone, {ksk(), zsk()}, options, stats).value();

    ASSERT_EQ(first.records.size(), second.records.size());
    for (std::size_t i = 0; i < first.records.size(); ++i) {
        EXPECT_TRUE(first.records[i].same_data(second.records[i]))
            << zone::record_to_string(second.records[i]);
    }
    EXPECT_EQ(stats.signatures_new, 0U);
    EXPECT_EQ(stats.signatures_reused, count_rrsigs(first));
    EXPECT_EQ(stats.rrsets_signed, 0U);
    EXPECT_GT(stats.rrsets_kept, 0U);
}

TEST(SignZoneIncremental, SignedZoneAsInputKeepsSignatures)
{
    const auto first = sign_zone(parse(sample_zone), {ksk(), zsk()}, options_at(first_time));
    ASSERT_TRUE(first) << first.error().message;
    auto options = options_at(first_time + 3600);
    options.previous = &*first;
    SignStats stats;
    const auto second = sign_zone(*first, {ksk(), zsk()}, options, stats);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(stats.signatures_new, 0U);
    EXPECT_EQ(rrsigs_by_rrset(*first).size(), rrsigs_by_rrset(*second).size());
}

TEST(SignZoneIncremental, ChangedRrsetGetsNewSignature)
{
    const auto first = sign_zone(parse(sample_zone), {ksk(), zsk()}, options_at(first_time)).value();
    std::string edited(sample_zone);
    edited.replace(edited.find("\"three\""), 7, "\"drei\"");
    auto options = options_at(first_time + 86400);
    options.previous = &first;
    SignStats stats;
    const auto second = sign_zone(parse(edited), {ksk(), zsk()}, options, stats).value();

    // The TXT RRset changed, but the NSEC at multi still lists the same types.
    EXPECT_EQ(stats.rrsets_signed, 1U);
    EXPECT_EQ(stats.signatures_new, 1U);
    const auto before = rrsigs_by_rrset(first);
    const auto after = rrsigs_by_rrset(second);
    ASSERT_EQ(before.size(), after.size());
    for (const auto& [rrset, rrsig] : after) {
        const bool same = before.at(rrset).same_data(rrsig);
        EXPECT_EQ(same, rrset.rfind("multi.example. TXT ", 0) != 0) << rrset;
    }
    EXPECT_TRUE(verifies(second, first_time + 86400));
}

TEST(SignZoneIncremental, NewNameResignsNeighbouringNsec)
{
    const auto first = sign_zone(parse(sample_zone), {ksk(), zsk()}, options_at(first_time)).value();
    std::string edited(sample_zone);
    edited += "new IN A 192.0.2.99\n";
    auto options = options_at(first_time + 86400);
    options.previous = &first;
    SignStats stats;
    const auto second = sign_zone(parse(edited), {ksk(), zsk()}, options, stats).value();
    // The new A RRset, its NSEC and the NSEC of the name before it.
    EXPECT_EQ(stats.rrsets_signed, 3U);
    EXPECT_TRUE(verifies(second, first_time + 86400));
}

TEST(SignZoneIncremental, RenewsSignaturesInRefreshWindow)
{
    const auto first = sign_zone(parse(sample_zone), {ksk(), zsk()}, options_at(first_time)).value();
    // 24 days later every signature expires within the 7-day refresh window.
    const std::int64_t later = first_time + 24 * 86400;
    auto options = options_at(later);
    options.previous = &first;
    SignStats stats;
    const auto second = sign_zone(parse(sample_zone), {ksk(), zsk()}, options, stats).value();
    EXPECT_EQ(stats.signatures_reused, 0U);
    for (const auto& [rrset, rrsig] : rrsigs_by_rrset(second)) {
        EXPECT_GT(parse_rrsig(rrsig.rdata).value().fields.expiration,
                  static_cast<std::uint32_t>(later + 7 * 86400))
            << rrset;
    }
    EXPECT_TRUE(verifies(second, later));
}

TEST(SignZoneIncremental, KeepsSignaturesOutsideRefreshWindow)
{
    auto short_lived = options_at(first_time);
    short_lived.expiration = at(first_time + 5 * 86400);
    short_lived.expiration_spread = 0s;
    const auto first = sign_zone(parse(sample_zone), {ksk(), zsk()}, short_lived).value();

    // With one day of refresh, signatures expiring in four days stay.
    auto options = options_at(first_time + 86400);
    options.previous = &first;
    options.refresh = std::chrono::days{1};
    SignStats stats;
    ASSERT_TRUE(sign_zone(parse(sample_zone), {ksk(), zsk()}, options, stats));
    EXPECT_EQ(stats.signatures_new, 0U);

    // With seven days, every one is renewed.
    options.refresh = std::chrono::days{7};
    SignStats renewed;
    ASSERT_TRUE(sign_zone(parse(sample_zone), {ksk(), zsk()}, options, renewed));
    EXPECT_EQ(renewed.signatures_reused, 0U);
}

TEST(SignZoneIncremental, ReplacesSignaturesOfRemovedKey)
{
    const auto first = sign_zone(parse(sample_zone), {ksk(), zsk()}, options_at(first_time)).value();
    auto options = options_at(first_time + 86400);
    options.previous = &first;
    SignStats stats;
    const auto second = sign_zone(parse(sample_zone), {ksk(), second_zsk()}, options, stats).value();

    const auto old_tag = zsk().key_tag();
    for (const auto& [rrset, rrsig] : rrsigs_by_rrset(second)) {
        EXPECT_NE(parse_rrsig(rrsig.rdata).value().fields.key_tag, old_tag) << rrset;
    }
    // Only the KSK's signature over the DNSKEY RRset could stay, and the RRset changed.
    EXPECT_EQ(stats.signatures_reused, 0U);
    EXPECT_TRUE(verifies(second, first_time + 86400));
}

TEST(SignZoneIncremental, PublishedKeyAppearsAndSignsNothing)
{
    const auto first = sign_zone(parse(sample_zone), {ksk(), zsk()}, options_at(first_time)).value();
    auto options = options_at(first_time + 86400);
    options.previous = &first;
    options.published_dnskeys = {second_zsk().dnskey_record(0)};
    SignStats stats;
    const auto second = sign_zone(parse(sample_zone), {ksk(), zsk()}, options, stats).value();

    std::size_t dnskeys = 0;
    for (const auto& record : second.records) {
        if (record.type == zone::rrtype::dnskey) {
            ++dnskeys;
            EXPECT_EQ(record.ttl, 3600U);
        }
    }
    EXPECT_EQ(dnskeys, 3U);
    const auto new_tag = second_zsk().key_tag();
    for (const auto& [rrset, rrsig] : rrsigs_by_rrset(second)) {
        EXPECT_NE(parse_rrsig(rrsig.rdata).value().fields.key_tag, new_tag) << rrset;
    }
    // The DNSKEY RRset changed, so the KSK signs it again; everything else stays.
    EXPECT_EQ(stats.rrsets_signed, 1U);
    EXPECT_EQ(stats.signatures_new, 1U);
    EXPECT_TRUE(verifies(second, first_time + 86400));
}

TEST(SignZoneIncremental, VerifyPreviousReplacesTamperedSignature)
{
    auto first = sign_zone(parse(sample_zone), {ksk(), zsk()}, options_at(first_time)).value();
    const auto tampered = std::find_if(first.records.begin(), first.records.end(),
                                       [](const zone::Record& record) {
                                           return record.type == zone::rrtype::rrsig &&
                                                  record.owner == name("mail.example.");
                                       });
    ASSERT_NE(tampered, first.records.end());
    tampered->rdata.back() ^= 0x01;

    auto options = options_at(first_time + 86400);
    options.previous = &first;
    SignStats trusting;
    ASSERT_TRUE(sign_zone(parse(sample_zone), {ksk(), zsk()}, options, trusting));
    EXPECT_EQ(trusting.signatures_new, 0U);

    options.verify_previous = true;
    SignStats checking;
    const auto second = sign_zone(parse(sample_zone), {ksk(), zsk()}, options, checking).value();
    EXPECT_EQ(checking.signatures_new, 1U);
    EXPECT_TRUE(verifies(second, first_time + 86400));
}

TEST(SignZoneIncremental, SpreadsExpirationTimes)
{
    auto options = options_at(first_time);
    options.refresh = std::chrono::days{8};
    const auto signed_zone = sign_zone(parse(sample_zone), {ksk(), zsk()}, options).value();
    const auto latest = static_cast<std::uint32_t>(first_time + 30 * 86400);
    std::set<std::uint32_t> expirations;
    for (const auto& [rrset, rrsig] : rrsigs_by_rrset(signed_zone)) {
        const auto expiration = parse_rrsig(rrsig.rdata).value().fields.expiration;
        EXPECT_LE(expiration, latest) << rrset;
        EXPECT_GT(expiration, latest - 2 * 86400) << rrset;
        expirations.insert(expiration);
    }
    EXPECT_GT(expirations.size(), 5U);

    // The same RRset gets the same expiration in another run.
    const auto again = sign_zone(parse(sample_zone), {ksk(), zsk()}, options).value();
    const auto first_rrsigs = rrsigs_by_rrset(signed_zone);
    for (const auto& [rrset, rrsig] : rrsigs_by_rrset(again)) {
        EXPECT_EQ(parse_rrsig(rrsig.rdata).value().fields.expiration,
                  parse_rrsig(first_rrsigs.at(rrset).rdata).value().fields.expiration)
            << rrset;
    }
}

TEST(SignZoneIncremental, Nsec3ChainKeepsSignatures)
{
    auto options = options_at(first_time);
    options.nsec3 = Nsec3Options{{0xab, 0xcd}, 2, false};
    const auto first = sign_zone(parse(sample_zone), {ksk(), zsk()}, options).value();
    std::string edited(sample_zone);
    edited.replace(edited.find("\"three\""), 7, "\"drei\"");
    options.now = at(first_time + 86400);
    options.previous = &first;
    SignStats stats;
    const auto second = sign_zone(parse(edited), {ksk(), zsk()}, options, stats).value();
    EXPECT_EQ(stats.rrsets_signed, 1U);
    EXPECT_TRUE(verifies(second, first_time + 86400));

    // Other NSEC3 parameters make a new chain, whose RRsets are all new.
    options.nsec3 = Nsec3Options{{}, 0, false};
    SignStats rechained;
    ASSERT_TRUE(sign_zone(parse(edited), {ksk(), zsk()}, options, rechained));
    EXPECT_GT(rechained.rrsets_signed, 10U);
}

} // namespace
} // namespace robur::dnssec
