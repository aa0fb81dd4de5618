// fast_rdata_from_text must return what rdata_from_text returns, or nothing. These cases are
// plain forms it reads and odd forms it must leave to rdata_from_text. The DNSSEC test
// ZoneFastRdata.MatchesRdataFromTextOnSignedZones checks signed zones.

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "formats/zone/rdata.hpp"
#include "formats/zone/rdata_fast.hpp"
#include "formats/zone/record.hpp"

namespace robur::zone {
namespace {

struct Case {
    std::uint16_t type;
    std::string text;
    bool fast; // whether the fast reader must take it
};

// Checks one case: the fast result, when there is one, equals rdata_from_text's.
void check(const Case& item)
{
    SCOPED_TRACE(type_to_string(item.type) + " " + item.text);
    const Name origin = Name::parse("example.").value();
    const auto tokens = tokenize_rdata(item.text);
    ASSERT_TRUE(tokens);
    const auto fast = fast_rdata_from_text(item.type, *tokens, origin);
    EXPECT_EQ(fast.has_value(), item.fast);
    if (!fast) {
        return;
    }
    const auto reference = rdata_from_text(item.type, *tokens, origin);
    ASSERT_TRUE(reference) << reference.error().message;
    EXPECT_EQ(*fast, *reference);
}

TEST(ZoneFastRdata, ReadsPlainForms)
{
    const std::vector<Case> cases = {
        {rrtype::a, "192.0.2.1", true},
        {rrtype::a, "0.0.0.0", true},
        {rrtype::a, "255.255.255.255", true},
        {rrtype::aaaa, "2001:db8::1", true},
        {rrtype::aaaa, "2001:DB8:0:0:0:0:0:FFFF", true},
        {rrtype::aaaa, "::", true},
        {rrtype::ns, "ns1", true},
        {rrtype::ns, "ns1.example.net.", true},
        {rrtype::cname, "@", true},
        {rrtype::cname, "*.Mixed.Case", true},
        {rrtype::soa, "ns1 hostmaster 2024010101 7200 1800 1209600 300", true},
        {rrtype::mx, "10 mail", true},
        {rrtype::mx, "0 .", true},
        {rrtype::ds, "12345 13 2 0123456789ABCDEFabcdef0123456789abcdef0123456789abcdef01234567",
         true},
        {rrtype::dnskey, "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+"
                         "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
         true},
        {rrtype::rrsig, "A 13 2 3600 20270104015840 20261205005840 16085 example. "
                        "/uf+rnb9h2QmTsjQ5NjmqUJ+wElzvMyrG7f6obTGUQSG5fr8UF2ZknZBRSy2hp6hvrZ2"
                        "DWw+khSF1zZy8mNgCA==",
         true},
        {rrtype::rrsig, "TYPE1234 15 3 0 20240229235959 19700101000000 1 example. AAAA", true},
        {rrtype::nsec, "host0.example. NS SOA MX RRSIG NSEC DNSKEY", true},
        {rrtype::nsec, "a.example. A TYPE1234 TYPE65534", true},
        {rrtype::nsec3, "1 0 0 - 00102v255nn7fajfeeu3kburmn9qha85 CNAME RRSIG", true},
        {rrtype::nsec3, "1 1 12 aabbCC 00102v255nn7fajfeeu3kburmn9qha85", true},
        {rrtype::nsec3param, "1 0 0 -", true},
        {rrtype::nsec3param, "1 0 10 ABCDEF", true},
    };
    for (const auto& item : cases) {
        check(item);
    }
}

TEST(ZoneFastRdata, LeavesOtherFormsToRdataFromText)
{
    const std::vector<Case> cases = {
        {rrtype::a, "192.0.2.01", false},                          // leading zero
        {rrtype::a, "192.0.2", false},                             // three parts
        {rrtype::a, "192.0.2.256", false},                         // out of range
        {rrtype::a, "192.0.2.1.5", false},                         // five parts
        {rrtype::aaaa, "::ffff:192.0.2.1", false},                 // embedded IPv4
        {rrtype::aaaa, "2001:db8::1::2", false},                   // two "::"
        {rrtype::ns, "a\\.b", false},                              // escape
        {rrtype::ns, "\"quoted\"", false},                         // quoted
        {rrtype::soa, "ns1 hostmaster 1 1h 30m 2w 5m", false},     // units
        {rrtype::soa, "ns1 hostmaster 1 2 3 4", false},            // missing field
        {rrtype::mx, "010 mail", false},                           // leading zero
        {rrtype::mx, "65536 mail", false},                         // out of range
        {rrtype::ds, "1 ECDSAP256SHA256 2 ABCD", false},           // algorithm mnemonic
        {rrtype::ds, "1 13 2 ABC", false},                         // odd hex
        {rrtype::ds, "1 13 2 AB CD", false},                       // digest split
        {rrtype::dnskey, "256 3 13 AAAA BBBB", false},             // key split
        {rrtype::dnskey, "256 3 13 A===", false},                  // bad base64
        {rrtype::rrsig, "A 13 2 3600 1700000000 1690000000 1 example. AAAA", false},
        {rrtype::rrsig, "A 13 2 3600 20230230000000 20230101000000 1 example. AAAA", false},
        {rrtype::rrsig, "A 13 2 3600 19691231235959 20230101000000 1 example. AAAA", false},
        {rrtype::rrsig, "a 13 2 3600 20240101000000 20230101000000 1 example. AAAA", false},
        {rrtype::nsec, "a.example. NS A", false},                  // not ascending
        {rrtype::nsec, "a.example. A A", false},                   // repeated
        {rrtype::nsec, "a.example. ANY", false},                   // meta type
        {rrtype::nsec, "a.example.", false},                       // no types
        {rrtype::nsec3, "1 0 0 - 00102V255NN7FAJFEEU3KBURMN9QHA85", false}, // upper case
        {rrtype::nsec3, "1 0 0 - vs A", false},                    // short hash
        {rrtype::nsec3, "1 0 0 abc 00102v255nn7fajfeeu3kburmn9qha85", false}, // odd salt
        {rrtype::nsec3param, "1 0 0 - extra", false},
        {rrtype::txt, "\"text\"", false},                          // type not handled
    };
    for (const auto& item : cases) {
        check(item);
    }
}

} // namespace
} // namespace robur::zone
