// append_record_text must write exactly what rdata_to_string and ldns write, and fast_rdata_from_text
// must read back what rdata_from_text reads. The checks run on signed zones (every record type
// a signer produces), on hand-made rdata that the fast writer must hand back to
// rdata_to_string, and on every record of the shared corpus. They live with the DNSSEC tests
// because signed zones need the signer.

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "../zone/corpus_support.hpp"
#include "formats/dnssec/signer.hpp"
#include "formats/zone/rdata.hpp"
#include "formats/zone/rdata_fast.hpp"
#include "formats/zone/record_text.hpp"
#include "formats/zone/writer.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

using testing::key;
using testing::name;
using testing::parse;
using testing::sample_zone;

// The text of a record through rdata_to_string alone, which prints with ldns.
std::string reference_text(const zone::Record& record)
{
    return fmt::format("{}\t{}\t{}\t{}\t{}", record.owner.to_string(), record.ttl,
                       zone::class_to_string(record.rclass), zone::type_to_string(record.type),
                       zone::rdata_to_string(record.type, record.rdata));
}

// Expects the fast text of every record to equal reference_text; reports the first few.
void expect_same_text(const std::vector<zone::Record>& records)
{
    int mismatches = 0;
    for (const auto& record : records) {
        std::string fast;
        zone::append_record_text(fast, record);
        const std::string reference = reference_text(record);
        if (fast != reference && ++mismatches <= 5) {
            ADD_FAILURE() << "fast:      " << fast << "\nreference: " << reference;
        }
    }
    EXPECT_EQ(mismatches, 0);
}

// Expects the fast reader to read the text of every record it takes as rdata_from_text does,
// and to take the rdata of every type it handles when that text comes from robur's writer.
void expect_same_rdata(const std::vector<zone::Record>& records)
{
    int mismatches = 0;
    for (const auto& record : records) {
        const std::string text = zone::rdata_to_string(record.type, record.rdata);
        const auto tokens = zone::tokenize_rdata(text);
        ASSERT_TRUE(tokens) << text;
        const auto fast = zone::fast_rdata_from_text(record.type, *tokens, zone::Name());
        const auto reference = zone::rdata_from_text(record.type, *tokens, zone::Name());
        ASSERT_TRUE(reference) << text << ": " << reference.error().message;
        const bool handled = record.type != zone::rrtype::txt;
        if ((handled && !fast) || (fast && *fast != *reference)) {
            if (++mismatches <= 5) {
                ADD_FAILURE() << zone::type_to_string(record.type) << " " << text;
            }
        }
    }
    EXPECT_EQ(mismatches, 0);
}

zone::Record record(std::string_view owner, std::uint16_t type, std::vector<std::uint8_t> rdata)
{
    return zone::Record{name(owner), type, zone::rrclass::in, 300, std::move(rdata), {}};
}

std::vector<KeyPair> keys(Algorithm algorithm)
{
    return {key("example.", algorithm, dnskey_flags::zone_key | dnskey_flags::secure_entry_point),
            key("example.", algorithm, dnskey_flags::zone_key)};
}

TEST(ZoneRecordText, MatchesLdnsTextWithNsec)
{
    for (const Algorithm algorithm : {Algorithm::ecdsap256sha256, Algorithm::ed25519}) {
        const auto signed_zone = sign_zone(parse(sample_zone), keys(algorithm), {});
        ASSERT_TRUE(signed_zone) << signed_zone.error().message;
        expect_same_text(signed_zone->records);
    }
}

TEST(ZoneRecordText, MatchesLdnsTextWithNsec3)
{
    SignOptions plain;
    plain.nsec3 = Nsec3Options{};
    SignOptions salted;
    salted.nsec3 = Nsec3Options{{0xab, 0xcd, 0x01}, 5, true};
    for (const auto& options : {plain, salted}) {
        const auto signed_zone = sign_zone(parse(sample_zone), keys(Algorithm::ed25519), options);
        ASSERT_TRUE(signed_zone) << signed_zone.error().message;
        expect_same_text(signed_zone->records);
    }
}

TEST(ZoneRecordText, MatchesLdnsTextOnOddRdata)
{
    const std::vector<std::uint8_t> bitmap_a_ns = {0, 1, 0x60};
    std::vector<zone::Record> records = {
        record("a.example.", zone::rrtype::a, {192, 0, 2}),                 // short
        record("a.example.", zone::rrtype::aaaa, std::vector<std::uint8_t>(15, 1)), // short
        record("a.example.", zone::rrtype::aaaa, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192,
                                                  0, 2, 1}),               // IPv4-mapped
        record("a.example.", zone::rrtype::ns, {3, 'N', 's', '1', 0, 9}),   // trailing octet
        record("a.example.", zone::rrtype::cname, {3, 'a', '.', 'b', 0}),   // dot in a label
        record("a.example.", zone::rrtype::cname, {2, '\0', ' ', 0}),       // escaped octets
        record("a.example.", zone::rrtype::mx, {0, 10}),                    // no exchange
        record("a.example.", zone::rrtype::ds, {0, 1, 13, 2}),              // no digest
        record("a.example.", zone::rrtype::dnskey, {1, 0, 3, 13}),          // no key
        record("a.example.", zone::rrtype::nsec, {0}),                      // no bitmap
        record("a.example.", zone::rrtype::nsec, {0, 0, 2, 0x60, 0}),       // trailing zero
        record("a.example.", zone::rrtype::nsec, {0, 1, 1, 0x40, 0, 1, 0x60}), // windows reversed
        record("a.example.", zone::rrtype::nsec, {0, 0, 1, 0x40, 4, 1, 0x80}), // TYPE1024
        record("a.example.", zone::rrtype::nsec, {0, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0x1f}),          // 251 to 255
        record("a.example.", zone::rrtype::nsec3, {1, 0, 0, 0, 0}),         // no hash
        record("a.example.", zone::rrtype::nsec3, {1, 1, 0, 10, 0, 1, 0xff}), // 1-octet hash
        record("a.example.", zone::rrtype::nsec3, {1, 1, 0, 10, 0, 5, 1, 2, 3, 4, 5, 0, 1, 4}),
        record("a.example.", zone::rrtype::nsec3param, {1, 0, 0, 0, 2, 0xab}), // short salt
        record("a.example.", zone::rrtype::soa, {0, 0, 0, 0, 0, 1}),        // short numbers
        record("a.example.", zone::rrtype::rrsig, std::vector<std::uint8_t>(19, 0)),
    };
    records.push_back(record("a.example.", zone::rrtype::nsec, {0}));
    records.back().rdata.insert(records.back().rdata.end(), bitmap_a_ns.begin(),
                                bitmap_a_ns.end());
    records.push_back(record("a.example.", zone::rrtype::nsec3, {1, 0, 0, 0, 0, 20}));
    records.back().rdata.resize(records.back().rdata.size() + 20, 0xa5); // no bitmap
    records.push_back(record("a.example.", 65280, {1, 2, 3}));
    records.back().rclass = zone::rrclass::ch;
    expect_same_text(records);
}

TEST(ZoneRecordText, MatchesLdnsTextOnCorpus)
{
    if (!zone::corpus::present()) {
        GTEST_SKIP() << "corpus not found at " << zone::corpus::dns_folder() << ", skipping";
    }
    for (const auto& [path, origin] : zone::corpus::read_origins()) {
        SCOPED_TRACE(path);
        const auto parsed = zone::corpus::parse_file(path, origin);
        expect_same_text(parsed.zone.records);
    }
}

TEST(ZoneFastRdata, MatchesRdataFromTextOnSignedZones)
{
    SignOptions salted;
    salted.nsec3 = Nsec3Options{{0xab, 0xcd}, 1, false};
    for (const auto& options : {SignOptions{}, salted}) {
        const auto signed_zone = sign_zone(parse(sample_zone), keys(Algorithm::ed25519), options);
        ASSERT_TRUE(signed_zone) << signed_zone.error().message;
        expect_same_rdata(signed_zone->records);
    }
}

TEST(ZoneCanonicalNameKey, OrdersAsNameComparison)
{
    std::vector<zone::Name> names;
    for (const std::string_view text :
         {"example.", "a.example.", "Z.a.example.", "zABC.a.EXAMPLE.", "*.z.example.",
          "\\001.z.example.", "z.example.", "\\200.z.example.", "yljkjljk.a.example.",
          "\\000.a.example.", "\\000\\000.a.example.", "\\001\\000.a.example.", "-.example.",
          "a-b.example.", "ab.example.", "A.", "."}) {
        names.push_back(name(text));
    }
    std::mt19937 random(7);
    std::shuffle(names.begin(), names.end(), random);

    auto by_key = names;
    std::sort(by_key.begin(), by_key.end(), [](const zone::Name& left, const zone::Name& right) {
        return zone::canonical_name_key(left) < zone::canonical_name_key(right);
    });
    auto by_name = names;
    std::sort(by_name.begin(), by_name.end());
    for (std::size_t i = 0; i < names.size(); ++i) {
        EXPECT_EQ(by_key[i], by_name[i]) << i << ": " << by_key[i].to_string() << " vs "
                                         << by_name[i].to_string();
    }
    EXPECT_EQ(zone::canonical_name_key(name("WWW.Example.")),
              zone::canonical_name_key(name("www.example.")));
}

} // namespace
} // namespace robur::dnssec
