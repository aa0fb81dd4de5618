#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dns_test_support.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {
namespace {

using test::wire;
namespace rrtype = zone::rrtype;

std::vector<std::uint8_t> lower_wire(std::string_view text)
{
    auto bytes = wire(text);
    lowercase_name(bytes);
    return bytes;
}

TEST(ZoneIndex, RejectsZoneWithoutApexSoa)
{
    zone::Zone zone;
    zone.origin = test::name("example.");
    zone.records.push_back(zone::Record{.owner = test::name("www.example."),
                                        .type = rrtype::a,
                                        .rclass = zone::rrclass::in,
                                        .ttl = 60,
                                        .rdata = {192, 0, 2, 1},
                                        .where = {}});
    auto compiled = compile_zone(zone);
    ASSERT_FALSE(compiled);
    EXPECT_EQ(compiled.error().code, Errc::validation_failed);
    EXPECT_EQ(compiled.error().message, "zone example. has no SOA record at the apex");
}

TEST(ZoneIndex, FindsNodesIgnoringCase)
{
    test::ZoneBuilder builder("Example.");
    builder.a("WWW", "192.0.2.1");
    auto zone = builder.compile();
    EXPECT_EQ(zone->serial(), 2026120401u);
    EXPECT_EQ(zone->origin().to_string(), "Example.");

    const auto www = zone->find_node(lower_wire("www.example."));
    ASSERT_NE(www, no_index);
    const auto& node = zone->node(www);
    EXPECT_EQ(node.label_count, 2);
    ASSERT_NE(zone->find_rrset(node, rrtype::a), nullptr);
    EXPECT_EQ(zone->find_rrset(node, rrtype::aaaa), nullptr);
    EXPECT_EQ(zone->find_node(lower_wire("nothere.example.")), no_index);
    EXPECT_TRUE(zone->contains(lower_wire("a.b.example.")));
    EXPECT_FALSE(zone->contains(lower_wire("example.net.")));
    EXPECT_FALSE(zone->contains(lower_wire("xexample.")));
}

TEST(ZoneIndex, CreatesEmptyNonTerminals)
{
    test::ZoneBuilder builder("example.");
    builder.a("a.b.c", "192.0.2.1");
    auto zone = builder.compile();
    for (const char* name : {"c.example.", "b.c.example."}) {
        const auto index = zone->find_node(lower_wire(name));
        ASSERT_NE(index, no_index) << name;
        EXPECT_TRUE(zone->rrsets(zone->node(index)).empty()) << name;
    }
}

TEST(ZoneIndex, GroupsRecordsIntoSortedRRsets)
{
    test::ZoneBuilder builder("example.");
    builder.txt("host", "one").a("host", "192.0.2.1").txt("host", "two").a("host", "192.0.2.2");
    auto zone = builder.compile();
    const auto& node = zone->node(zone->find_node(lower_wire("host.example.")));
    const auto rrsets = zone->rrsets(node);
    ASSERT_EQ(rrsets.size(), 2u);
    EXPECT_EQ(rrsets[0].type, rrtype::a);
    EXPECT_EQ(rrsets[0].record_count, 2);
    EXPECT_EQ(rrsets[1].type, rrtype::txt);
    EXPECT_EQ(rrsets[1].record_count, 2);
    // Records keep the order of the zone file inside their RRset.
    EXPECT_EQ(zone->record(rrsets[1].first_record).rdata[1], 'o');
}

TEST(ZoneIndex, DropsDuplicateRecords)
{
    test::ZoneBuilder builder("example.");
    builder.a("host", "192.0.2.1").a("host", "192.0.2.1", 60);
    auto zone = builder.compile();
    const auto& node = zone->node(zone->find_node(lower_wire("host.example.")));
    EXPECT_EQ(zone->find_rrset(node, rrtype::a)->record_count, 1);
}

TEST(ZoneIndex, DropsMalformedAliasRecords)
{
    test::ZoneBuilder builder("example.");
    builder.add("bad", rrtype::cname, {3, 'w', 'w'}).add("worse", rrtype::dname, {0, 0});
    auto zone = builder.compile();
    const auto& bad = zone->node(zone->find_node(lower_wire("bad.example.")));
    EXPECT_TRUE(zone->rrsets(bad).empty());
    EXPECT_FALSE(bad.has_cname);
    const auto& worse = zone->node(zone->find_node(lower_wire("worse.example.")));
    EXPECT_FALSE(worse.has_dname);
}

TEST(ZoneIndex, DropsRecordsOutsideZoneAndClass)
{
    test::ZoneBuilder builder("example.");
    builder.a("www.example.net.", "192.0.2.1")
        .add("chaos", rrtype::txt, {1, 'x'}, 60, zone::rrclass::ch);
    auto zone = builder.compile();
    EXPECT_EQ(zone->find_node(lower_wire("www.example.net.")), no_index);
    EXPECT_EQ(zone->find_node(lower_wire("chaos.example.")), no_index);
}

TEST(ZoneIndex, EncodesRecordsInWireForm)
{
    test::ZoneBuilder builder("example.");
    builder.a("host", "192.0.2.7", 1234);
    auto zone = builder.compile();
    const auto& node = zone->node(zone->find_node(lower_wire("host.example.")));
    const auto* rrset = zone->find_rrset(node, rrtype::a);
    const RecordView record = zone->record(rrset->first_record);
    ASSERT_EQ(record.fixed.size(), 8u);
    EXPECT_EQ(read_u16(record.fixed.data()), rrtype::a);
    EXPECT_EQ(read_u16(record.fixed.data() + 2), zone::rrclass::in);
    EXPECT_EQ(read_u32(record.fixed.data() + 4), 1234u);
    EXPECT_EQ(zone->ttl(rrset->first_record), 1234u);
    EXPECT_EQ(std::vector<std::uint8_t>(record.rdata.begin(), record.rdata.end()),
              (std::vector<std::uint8_t>{192, 0, 2, 7}));
    EXPECT_TRUE(record.name_offsets.empty());
}

TEST(ZoneIndex, ListsCompressibleRdataNames)
{
    test::ZoneBuilder builder("example.");
    builder.mx("@", 10, "mail").name_record("@", rrtype::dname, "example.net.");
    auto zone = builder.compile();
    const auto& apex = zone->node(zone->apex());
    const RecordView soa = zone->record(zone->find_rrset(apex, rrtype::soa)->first_record);
    ASSERT_EQ(soa.name_offsets.size(), 2u);
    EXPECT_EQ(soa.name_offsets[0], 0);
    EXPECT_EQ(soa.name_offsets[1], 13); // after "\3ns1\7example\0"
    const RecordView mx = zone->record(zone->find_rrset(apex, rrtype::mx)->first_record);
    ASSERT_EQ(mx.name_offsets.size(), 1u);
    EXPECT_EQ(mx.name_offsets[0], 2);
    // RFC 3597 section 4: names in newer types such as DNAME are never compressed.
    const RecordView dname = zone->record(zone->find_rrset(apex, rrtype::dname)->first_record);
    EXPECT_TRUE(dname.name_offsets.empty());
}

// More records with rdata names than a 16-bit index can count.
TEST(ZoneIndex, KeepsRdataNamesInLargeZone)
{
    test::ZoneBuilder builder("example.");
    for (int i = 0; i < 70000; ++i) {
        builder.name_record(fmt::format("c{}", i), rrtype::cname, fmt::format("t{}", i));
    }
    builder.mx("@", 10, "mail"); // encoded after the CNAMEs, because the apex sorts last here
    const ZoneSet set({builder.compile()});

    auto cname = test::ask(set, test::make_query("c69999.example.", rrtype::cname));
    ASSERT_EQ(cname.answer.size(), 1u);
    EXPECT_EQ(cname.answer[0].data, "t69999.example.");

    auto mx = test::ask(set, test::make_query("example.", rrtype::mx));
    ASSERT_EQ(mx.answer.size(), 1u);
    EXPECT_EQ(mx.answer[0].data, "10 mail.example.");

    auto soa = test::ask(set, test::make_query("example.", rrtype::soa));
    EXPECT_FALSE(soa.has(flag::tc));
    ASSERT_EQ(soa.answer.size(), 1u);
    EXPECT_EQ(soa.answer[0].data, "ns1.example. hostmaster.example. 2026120401");
}

TEST(ZoneIndex, LowersNegativeSoaTtl)
{
    test::ZoneBuilder builder("example.", 3600, 120);
    auto zone = builder.compile();
    const RecordView soa = zone->negative_soa();
    EXPECT_EQ(read_u16(soa.fixed.data()), rrtype::soa);
    EXPECT_EQ(read_u32(soa.fixed.data() + 4), 120u);
    EXPECT_EQ(soa.name_offsets.size(), 2u);
    const auto& apex = zone->node(zone->apex());
    const auto* rrset = zone->find_rrset(apex, rrtype::soa);
    EXPECT_EQ(zone->ttl(rrset->first_record), 3600u);
}

TEST(ZoneIndex, MarksCutsWildcardsAndOcclusion)
{
    test::ZoneBuilder builder("example.");
    builder.name_record("@", rrtype::ns, "ns1")
        .name_record("sub", rrtype::ns, "ns.sub")
        .a("ns.sub", "192.0.2.53")
        .a("deeper.ns.sub", "192.0.2.54")
        .name_record("dn", rrtype::dname, "example.net.")
        .a("x.dn", "192.0.2.55")
        .a("*.wild", "192.0.2.99");
    auto zone = builder.compile();

    const auto sub = zone->find_node(lower_wire("sub.example."));
    EXPECT_TRUE(zone->node(sub).is_cut);
    EXPECT_EQ(zone->node(sub).redirect, no_index);
    EXPECT_FALSE(zone->node(zone->apex()).is_cut);
    EXPECT_EQ(zone->node(zone->find_node(lower_wire("ns.sub.example."))).redirect, sub);
    EXPECT_EQ(zone->node(zone->find_node(lower_wire("deeper.ns.sub.example."))).redirect, sub);

    const auto dn = zone->find_node(lower_wire("dn.example."));
    EXPECT_TRUE(zone->node(dn).has_dname);
    EXPECT_EQ(zone->node(zone->find_node(lower_wire("x.dn.example."))).redirect, dn);

    const auto wild = zone->find_node(lower_wire("wild.example."));
    EXPECT_EQ(zone->node(wild).wildcard, zone->find_node(lower_wire("*.wild.example.")));
    EXPECT_EQ(zone->node(zone->apex()).wildcard, no_index);
}

TEST(ZoneIndex, LinksAddressTargets)
{
    test::ZoneBuilder builder("example.");
    builder.name_record("@", rrtype::ns, "ns1")
        .name_record("@", rrtype::ns, "ns.example.net.")
        .a("ns1", "192.0.2.1");
    auto zone = builder.compile();
    const auto* ns = zone->find_rrset(zone->node(zone->apex()), rrtype::ns);
    ASSERT_EQ(ns->record_count, 2);
    EXPECT_EQ(zone->additional_node(ns->first_record), zone->find_node(lower_wire("ns1.example.")));
    EXPECT_EQ(zone->additional_node(ns->first_record + 1), no_index);
}

TEST(ZoneIndex, CompilesRootZone)
{
    test::ZoneBuilder builder(".");
    builder.name_record("com.", rrtype::ns, "a.gtld-servers.net.");
    auto zone = builder.compile();
    EXPECT_NE(zone->find_node(lower_wire("com.")), no_index);
    EXPECT_TRUE(zone->node(zone->find_node(lower_wire("com."))).is_cut);
    EXPECT_TRUE(zone->contains(lower_wire("www.example.com.")));
}

TEST(ZoneSet, FindsDeepestZone)
{
    const ZoneSet set({test::ZoneBuilder("example.").compile(),
                       test::ZoneBuilder("sub.example.").compile(),
                       test::ZoneBuilder("example.net.").compile()});
    ASSERT_EQ(set.zones().size(), 3u);
    EXPECT_EQ(set.find_zone(lower_wire("a.b.sub.example."))->origin().to_string(), "sub.example.");
    EXPECT_EQ(set.find_zone(lower_wire("sub.example."))->origin().to_string(), "sub.example.");
    EXPECT_EQ(set.find_zone(lower_wire("www.example."))->origin().to_string(), "example.");
    EXPECT_EQ(set.find_zone(lower_wire("example.org.")), nullptr);
    EXPECT_EQ(set.find_zone(lower_wire(".")), nullptr);
    EXPECT_EQ(set.find_exact(lower_wire("www.example.")), nullptr);
    EXPECT_NE(set.find_exact(lower_wire("example.net.")), nullptr);
}

TEST(ZoneSet, KeepsFirstZoneOfDuplicateOrigin)
{
    auto first = test::ZoneBuilder("example.").compile();
    const ZoneSet set({first, test::ZoneBuilder("EXAMPLE.").compile()});
    ASSERT_EQ(set.zones().size(), 1u);
    EXPECT_EQ(set.find_exact(lower_wire("example.")), first.get());
}

TEST(ZoneSet, RootZoneContainsEverything)
{
    const ZoneSet set({test::ZoneBuilder(".").compile()});
    EXPECT_NE(set.find_zone(lower_wire("www.example.")), nullptr);
    EXPECT_NE(set.find_zone(lower_wire(".")), nullptr);
}

} // namespace
} // namespace robur::dns
