// Canonical form and order of RRs (RFC 4034 section 6).

#include <gtest/gtest.h>

#include "formats/dnssec/canonical.hpp"
#include "formats/zone/writer.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

using testing::name;
using testing::parse;

std::vector<std::uint8_t> bytes(std::string_view text)
{
    return {text.begin(), text.end()};
}

TEST(CanonicalOrder, SortsNamesAsRfc4034Example)
{
    // The example list of RFC 4034 section 6.1, already in canonical order.
    const std::vector<zone::Name> names{
        name("example."),         name("a.example."),      name("yljkjljk.a.example."),
        name("Z.a.example."),     name("zABC.a.EXAMPLE."), name("z.example."),
        name("\\001.z.example."), name("*.z.example."),    name("\\200.z.example."),
    };
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
        EXPECT_LT(names[i], names[i + 1])
            << names[i].to_string() << " vs " << names[i + 1].to_string();
    }
}

TEST(CanonicalRdata, LowercasesNamesOfListedTypes)
{
    const auto zone = parse(R"(@ 300 IN SOA NS1.Example. Host.EXAMPLE. 1 2 3 4 5
@ 300 IN MX 10 Mail.EXAMPLE.
@ 300 IN SRV 1 2 3 Target.Example.
@ 300 IN RP Mbox.Example. Txt.Example.
)");
    for (const auto& record : zone.records) {
        const auto canonical = canonical_rdata(record.type, record.rdata);
        ASSERT_TRUE(canonical) << canonical.error().message;
        const std::string text(canonical->begin(), canonical->end());
        EXPECT_EQ(text.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), std::string::npos)
            << zone::record_to_string(record);
    }
}

TEST(CanonicalRdata, LowercasesOnlyTheNameOfNaptr)
{
    const auto zone = parse("@ 300 IN NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _Sip._Udp.Example.\n");
    constexpr std::uint16_t naptr = 35;
    const auto canonical = canonical_rdata(naptr, zone.records.at(0).rdata).value();
    const std::string text(canonical.begin(), canonical.end());
    EXPECT_NE(text.find("SIP+D2U"), std::string::npos);
    EXPECT_NE(text.find("\x04_sip\x04_udp\x07"
                        "example"),
              std::string::npos);
}

TEST(CanonicalRdata, KeepsCaseOfNsecAndRrsigNames)
{
    // RFC 6840 section 5.1 removed NSEC and RRSIG from the list of RFC 4034 section 6.2.
    EXPECT_FALSE(lowercases_rdata_names(zone::rrtype::nsec));
    EXPECT_FALSE(lowercases_rdata_names(zone::rrtype::rrsig));
    EXPECT_FALSE(lowercases_rdata_names(zone::rrtype::svcb));
    EXPECT_TRUE(lowercases_rdata_names(zone::rrtype::dname));

    const std::vector<std::uint8_t> nsec{1, 'A', 0, 0, 1, 0x40};
    EXPECT_EQ(canonical_rdata(zone::rrtype::nsec, nsec).value(), nsec);
}

TEST(CanonicalRdata, KeepsTextOfTypesWithoutNames)
{
    const auto zone = parse("@ 300 IN TXT \"MiXeD\"\n@ 300 IN HINFO \"PC\" \"Linux\"\n");
    for (const auto& record : zone.records) {
        EXPECT_EQ(canonical_rdata(record.type, record.rdata).value(), record.rdata);
    }
}

TEST(CanonicalRdata, RejectsTruncatedName)
{
    const std::vector<std::uint8_t> mx{0, 10, 4, 'm', 'a'};
    EXPECT_FALSE(canonical_rdata(zone::rrtype::mx, mx));
    const std::vector<std::uint8_t> short_mx{0};
    EXPECT_FALSE(canonical_rdata(zone::rrtype::mx, short_mx));
}

TEST(GroupRrsets, SortsRdataAndDropsDuplicates)
{
    const auto zone = parse(R"(@ 300 IN TXT "b"
WWW 300 IN A 192.0.2.2
www 200 IN A 192.0.2.1
www 300 IN A 192.0.2.2
@ 300 IN TXT "a"
)");
    const auto rrsets = group_rrsets(zone.records).value();
    ASSERT_EQ(rrsets.size(), 2U);
    EXPECT_EQ(rrsets[0].owner, name("example."));
    EXPECT_EQ(rrsets[0].rdatas, (std::vector{bytes("\x01"
                                                   "a"),
                                             bytes("\x01"
                                                   "b")}));

    const RRset& a = rrsets[1];
    EXPECT_EQ(a.owner.to_string(), "www.example.");
    EXPECT_EQ(a.ttl, 200U);
    ASSERT_EQ(a.rdatas.size(), 2U);
    EXPECT_EQ(a.rdatas[0], (std::vector<std::uint8_t>{192, 0, 2, 1}));
    EXPECT_EQ(a.where.line, 2U);
}

TEST(CanonicalRr, WritesWireFormWithGivenTtl)
{
    std::vector<std::uint8_t> out;
    const auto owner = name("a.example.");
    const std::vector<std::uint8_t> rdata{192, 0, 2, 1};
    append_canonical_rr(out, owner.wire(), zone::rrtype::a, zone::rrclass::in, 3600, rdata);
    const std::vector<std::uint8_t> expected{1,    'a', 7, 'e', 'x', 'a', 'm', 'p', 'l',
                                             'e',  0,   0, 1,   0,   1,   0,   0,   0x0e,
                                             0x10, 0,   4, 192, 0,   2,   1};
    EXPECT_EQ(out, expected);
}

TEST(WireName, MeasuresNamesAndRejectsMalformedOnes)
{
    const std::vector<std::uint8_t> name_and_more{1, 'a', 0, 9, 9};
    EXPECT_EQ(wire_name_length(name_and_more), 3U);
    const std::vector<std::uint8_t> pointer{0xc0, 0x0c};
    EXPECT_FALSE(wire_name_length(pointer));
    const std::vector<std::uint8_t> truncated{3, 'a', 'b'};
    EXPECT_FALSE(wire_name_length(truncated));
}

} // namespace
} // namespace robur::dnssec
