#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dns_test_support.hpp"
#include "servers/dns/responder.hpp"

namespace robur::dns {
namespace {

using test::ask;
using test::make_query;
namespace rrtype = zone::rrtype;

constexpr std::uint16_t nxdomain = 3, yxdomain = 6;

// The zone most lookup tests run against.
ZoneSet example_zones()
{
    test::ZoneBuilder builder("example.");
    builder.name_record("@", rrtype::ns, "ns1")
        .name_record("@", rrtype::ns, "ns2")
        .a("ns1", "192.0.2.1")
        .aaaa("ns2", "2001:db8::2")
        .mx("@", 10, "mail")
        .a("mail", "192.0.2.25")
        .a("www", "192.0.2.10")
        .name_record("alias", rrtype::cname, "www")
        .name_record("chain1", rrtype::cname, "chain2")
        .name_record("chain2", rrtype::cname, "www")
        .name_record("loop1", rrtype::cname, "loop2")
        .name_record("loop2", rrtype::cname, "loop1")
        .name_record("dangling", rrtype::cname, "nothere")
        .name_record("outside", rrtype::cname, "www.example.net.")
        // A delegation with glue below the cut, an in-zone server and a DS record.
        .name_record("sub", rrtype::ns, "ns.sub")
        .name_record("sub", rrtype::ns, "ns1")
        .add("sub", rrtype::ds, {0x30, 0x39, 8, 2, 0xAA, 0xBB})
        .a("ns.sub", "192.0.2.53")
        .a("occluded.sub", "192.0.2.54")
        .name_record("nods", rrtype::ns, "ns1")
        // Wildcards, with host.ent.wild making ent.wild an empty non-terminal.
        .a("*.wild", "192.0.2.99")
        .a("host.ent.wild", "192.0.2.98")
        .name_record("*.cwild", rrtype::cname, "www")
        // DNAMEs out of and inside the zone.
        .name_record("dn", rrtype::dname, "example.net.", 600)
        .name_record("dn2", rrtype::dname, "target", 700)
        .a("host.target", "192.0.2.77");
    return ZoneSet({builder.compile()});
}

const ZoneSet& zones()
{
    static const ZoneSet set = example_zones();
    return set;
}

TEST(Responder, AnswersAuthoritatively)
{
    auto response = ask(zones(), make_query("www.example.", rrtype::a));
    EXPECT_EQ(response.header.id, 0x1234);
    EXPECT_TRUE(response.has(flag::qr));
    EXPECT_TRUE(response.has(flag::aa));
    EXPECT_TRUE(response.has(flag::rd));
    EXPECT_FALSE(response.has(flag::ra));
    EXPECT_FALSE(response.has(flag::tc));
    EXPECT_EQ(response.rcode(), 0);
    ASSERT_EQ(response.answer.size(), 1u);
    EXPECT_EQ(response.answer[0].owner, "www.example.");
    EXPECT_EQ(response.answer[0].data, "192.0.2.10");
    EXPECT_EQ(response.answer[0].ttl, 3600u);
    EXPECT_TRUE(response.authority.empty());
}

TEST(Responder, KeepsQueryNameCase)
{
    auto response = ask(zones(), make_query("WwW.ExAmPlE.", rrtype::a));
    EXPECT_EQ(response.qname, "WwW.ExAmPlE.");
    ASSERT_EQ(response.answer.size(), 1u);
    EXPECT_EQ(response.answer[0].owner, "WwW.ExAmPlE.");
}

TEST(Responder, CopiesCdAndLeavesRdClear)
{
    auto response = ask(zones(), make_query("www.example.", rrtype::a, {.flags = flag::cd}));
    EXPECT_TRUE(response.has(flag::cd));
    EXPECT_FALSE(response.has(flag::rd));
}

TEST(Responder, NxdomainCarriesSoaWithNegativeTtl)
{
    auto response = ask(zones(), make_query("nothere.example.", rrtype::a));
    EXPECT_EQ(response.rcode(), nxdomain);
    EXPECT_TRUE(response.has(flag::aa));
    EXPECT_TRUE(response.answer.empty());
    ASSERT_EQ(response.authority.size(), 1u);
    EXPECT_EQ(response.authority[0].type, rrtype::soa);
    EXPECT_EQ(response.authority[0].owner, "example.");
    EXPECT_EQ(response.authority[0].ttl, 300u); // min(SOA TTL 3600, MINIMUM 300)
}

TEST(Responder, NegativeTtlUsesSoaTtlWhenLower)
{
    test::ZoneBuilder builder("example.", 60, 300);
    const ZoneSet set({builder.compile()});
    auto response = ask(set, make_query("nothere.example.", rrtype::a));
    ASSERT_EQ(response.authority.size(), 1u);
    EXPECT_EQ(response.authority[0].ttl, 60u);
}

TEST(Responder, NodataCarriesSoa)
{
    auto response = ask(zones(), make_query("www.example.", rrtype::mx));
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_TRUE(response.has(flag::aa));
    EXPECT_TRUE(response.answer.empty());
    ASSERT_EQ(response.authority.size(), 1u);
    EXPECT_EQ(response.authority[0].type, rrtype::soa);
    EXPECT_EQ(response.authority[0].ttl, 300u);
}

TEST(Responder, AddsAddressesOfNameServersAndMailExchangers)
{
    auto ns = ask(zones(), make_query("example.", rrtype::ns));
    ASSERT_EQ(ns.answer.size(), 2u);
    ASSERT_EQ(ns.additional.size(), 2u);
    EXPECT_EQ(ns.additional[0].owner, "ns1.example.");
    EXPECT_EQ(ns.additional[0].type, rrtype::a);
    EXPECT_EQ(ns.additional[1].owner, "ns2.example.");
    EXPECT_EQ(ns.additional[1].type, rrtype::aaaa);

    auto mx = ask(zones(), make_query("example.", rrtype::mx));
    ASSERT_EQ(mx.answer.size(), 1u);
    EXPECT_EQ(mx.answer[0].data, "10 mail.example.");
    ASSERT_EQ(mx.additional.size(), 1u);
    EXPECT_EQ(mx.additional[0].data, "192.0.2.25");
}

TEST(Responder, AddsEachTargetAddressOnce)
{
    test::ZoneBuilder builder("example.");
    builder.mx("@", 10, "mail").mx("@", 20, "MAIL").a("mail", "192.0.2.25");
    const ZoneSet set({builder.compile()});
    auto response = ask(set, make_query("example.", rrtype::mx));
    ASSERT_EQ(response.answer.size(), 2u);
    ASSERT_EQ(response.additional.size(), 1u);
    EXPECT_EQ(response.additional[0].data, "192.0.2.25");
}

TEST(Responder, RefersBelowDelegation)
{
    auto response = ask(zones(), make_query("host.sub.example.", rrtype::a));
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_FALSE(response.has(flag::aa));
    EXPECT_TRUE(response.answer.empty());
    ASSERT_EQ(response.authority.size(), 2u);
    EXPECT_EQ(response.authority[0].type, rrtype::ns);
    EXPECT_EQ(response.authority[0].owner, "sub.example.");
    ASSERT_EQ(response.additional.size(), 2u);
    EXPECT_EQ(response.additional[0].owner, "ns.sub.example.");
    EXPECT_EQ(response.additional[0].data, "192.0.2.53");
    EXPECT_EQ(response.additional[1].owner, "ns1.example.");
}

TEST(Responder, RefersAtDelegationPoint)
{
    for (const std::uint16_t qtype : {rrtype::a, rrtype::ns, rrtype::soa, rrtype::any}) {
        auto response = ask(zones(), make_query("sub.example.", qtype));
        EXPECT_FALSE(response.has(flag::aa)) << "qtype " << qtype;
        EXPECT_TRUE(response.answer.empty()) << "qtype " << qtype;
        ASSERT_EQ(response.authority.size(), 2u) << "qtype " << qtype;
        EXPECT_EQ(response.authority[0].type, rrtype::ns);
    }
}

TEST(Responder, SynthesizesGlueFromWildcard)
{
    test::ZoneBuilder builder("example.");
    builder.name_record("abc", rrtype::ns, "a.ns.abc").aaaa("*.ns.abc", "::1");
    const ZoneSet set({builder.compile()});
    auto response = ask(set, make_query("www.abc.example.", rrtype::a));
    ASSERT_EQ(response.authority.size(), 1u);
    ASSERT_EQ(response.additional.size(), 1u);
    EXPECT_EQ(response.additional[0].owner, "a.ns.abc.example.");
    EXPECT_EQ(response.additional[0].type, rrtype::aaaa);
}

TEST(Responder, RefersForOccludedData)
{
    auto response = ask(zones(), make_query("occluded.sub.example.", rrtype::a));
    EXPECT_FALSE(response.has(flag::aa));
    EXPECT_TRUE(response.answer.empty());
    ASSERT_FALSE(response.authority.empty());
    EXPECT_EQ(response.authority[0].type, rrtype::ns);
}

TEST(Responder, ReferralOwnerKeepsQueryCase)
{
    auto response = ask(zones(), make_query("Host.SUB.example.", rrtype::a));
    ASSERT_FALSE(response.authority.empty());
    EXPECT_EQ(response.authority[0].owner, "SUB.example.");
}

TEST(Responder, AnswersDsAtDelegationFromParent)
{
    auto response = ask(zones(), make_query("sub.example.", rrtype::ds));
    EXPECT_TRUE(response.has(flag::aa));
    ASSERT_EQ(response.answer.size(), 1u);
    EXPECT_EQ(response.answer[0].type, rrtype::ds);
    EXPECT_TRUE(response.authority.empty());
}

TEST(Responder, DsNodataAtDelegationWithoutDs)
{
    auto response = ask(zones(), make_query("nods.example.", rrtype::ds));
    EXPECT_TRUE(response.has(flag::aa));
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_TRUE(response.answer.empty());
    ASSERT_EQ(response.authority.size(), 1u);
    EXPECT_EQ(response.authority[0].type, rrtype::soa);
}

TEST(Responder, DsBelowDelegationIsReferred)
{
    auto response = ask(zones(), make_query("host.sub.example.", rrtype::ds));
    EXPECT_FALSE(response.has(flag::aa));
    ASSERT_FALSE(response.authority.empty());
    EXPECT_EQ(response.authority[0].type, rrtype::ns);
}

TEST(Responder, SynthesizesFromWildcard)
{
    for (const char* qname : {"foo.wild.example.", "a.b.wild.example.", "FOO.wild.example."}) {
        auto response = ask(zones(), make_query(qname, rrtype::a));
        EXPECT_TRUE(response.has(flag::aa)) << qname;
        EXPECT_EQ(response.rcode(), 0) << qname;
        ASSERT_EQ(response.answer.size(), 1u) << qname;
        EXPECT_EQ(response.answer[0].owner, qname);
        EXPECT_EQ(response.answer[0].data, "192.0.2.99");
    }
}

TEST(Responder, WildcardNodataCarriesSoa)
{
    auto response = ask(zones(), make_query("foo.wild.example.", rrtype::mx));
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_TRUE(response.answer.empty());
    ASSERT_EQ(response.authority.size(), 1u);
    EXPECT_EQ(response.authority[0].type, rrtype::soa);
}

TEST(Responder, EmptyNonTerminalBlocksWildcard)
{
    auto below = ask(zones(), make_query("x.ent.wild.example.", rrtype::a));
    EXPECT_EQ(below.rcode(), nxdomain);
    EXPECT_TRUE(below.answer.empty());

    auto exact = ask(zones(), make_query("ent.wild.example.", rrtype::a));
    EXPECT_EQ(exact.rcode(), 0);
    EXPECT_TRUE(exact.answer.empty());
    ASSERT_EQ(exact.authority.size(), 1u);
    EXPECT_EQ(exact.authority[0].type, rrtype::soa);
}

TEST(Responder, AnswersWildcardOwnerLiterally)
{
    auto response = ask(zones(), make_query("*.wild.example.", rrtype::a));
    ASSERT_EQ(response.answer.size(), 1u);
    EXPECT_EQ(response.answer[0].owner, "*.wild.example.");
}

TEST(Responder, WildcardAppliesOnlyAtClosestEncloser)
{
    // host.ent.wild exists, so below it the closest encloser is host.ent.wild, which has no
    // wildcard child: *.wild must not be used.
    auto response = ask(zones(), make_query("x.host.ent.wild.example.", rrtype::a));
    EXPECT_EQ(response.rcode(), nxdomain);
    EXPECT_TRUE(response.answer.empty());
}

TEST(Responder, FollowsCname)
{
    auto response = ask(zones(), make_query("alias.example.", rrtype::a));
    EXPECT_TRUE(response.has(flag::aa));
    ASSERT_EQ(response.answer.size(), 2u);
    EXPECT_EQ(response.answer[0].type, rrtype::cname);
    EXPECT_EQ(response.answer[0].data, "www.example.");
    EXPECT_EQ(response.answer[1].owner, "www.example.");
    EXPECT_EQ(response.answer[1].type, rrtype::a);
}

TEST(Responder, FollowsCnameChain)
{
    auto response = ask(zones(), make_query("chain1.example.", rrtype::a));
    ASSERT_EQ(response.answer.size(), 3u);
    EXPECT_EQ(response.answer[0].owner, "chain1.example.");
    EXPECT_EQ(response.answer[1].owner, "chain2.example.");
    EXPECT_EQ(response.answer[2].data, "192.0.2.10");
}

TEST(Responder, StopsAtCnameLoop)
{
    auto response = ask(zones(), make_query("loop1.example.", rrtype::a));
    EXPECT_EQ(response.rcode(), 0);
    ASSERT_EQ(response.answer.size(), 2u);
    EXPECT_EQ(response.answer[0].data, "loop2.example.");
    EXPECT_EQ(response.answer[1].data, "loop1.example.");
}

TEST(Responder, StopsLongCnameChain)
{
    test::ZoneBuilder builder("example.");
    for (int i = 0; i < 30; ++i) {
        builder.name_record(fmt::format("c{}", i), rrtype::cname, fmt::format("c{}", i + 1));
    }
    const ZoneSet set({builder.compile()});
    auto response = ask(set, make_query("c0.example.", rrtype::a));
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_EQ(response.answer.size(), Responder::max_chain_links);
}

TEST(Responder, CnameToMissingNameGivesNxdomain)
{
    auto response = ask(zones(), make_query("dangling.example.", rrtype::a));
    EXPECT_EQ(response.rcode(), nxdomain); // RFC 6604 section 3
    EXPECT_TRUE(response.has(flag::aa));
    ASSERT_EQ(response.answer.size(), 1u);
    EXPECT_EQ(response.answer[0].type, rrtype::cname);
    ASSERT_EQ(response.authority.size(), 1u);
    EXPECT_EQ(response.authority[0].type, rrtype::soa);
}

TEST(Responder, StopsCnameLeavingZone)
{
    auto response = ask(zones(), make_query("outside.example.", rrtype::a));
    EXPECT_EQ(response.rcode(), 0);
    ASSERT_EQ(response.answer.size(), 1u);
    EXPECT_EQ(response.answer[0].data, "www.example.net.");
    EXPECT_TRUE(response.authority.empty());
}

TEST(Responder, AnswersCnameQueryWithoutFollowing)
{
    auto response = ask(zones(), make_query("alias.example.", rrtype::cname));
    ASSERT_EQ(response.answer.size(), 1u);
    EXPECT_EQ(response.answer[0].type, rrtype::cname);
}

TEST(Responder, CnameIntoDelegationAddsReferral)
{
    test::ZoneBuilder builder("example.");
    builder.name_record("sub", rrtype::ns, "ns.sub")
        .a("ns.sub", "192.0.2.53")
        .name_record("alias", rrtype::cname, "host.sub");
    const ZoneSet set({builder.compile()});
    auto response = ask(set, make_query("alias.example.", rrtype::a));
    EXPECT_TRUE(response.has(flag::aa));
    ASSERT_EQ(response.answer.size(), 1u);
    ASSERT_EQ(response.authority.size(), 1u);
    EXPECT_EQ(response.authority[0].type, rrtype::ns);
    ASSERT_EQ(response.additional.size(), 1u);
}

TEST(Responder, SynthesizesCnameFromWildcard)
{
    auto response = ask(zones(), make_query("x.cwild.example.", rrtype::a));
    ASSERT_EQ(response.answer.size(), 2u);
    EXPECT_EQ(response.answer[0].owner, "x.cwild.example.");
    EXPECT_EQ(response.answer[0].type, rrtype::cname);
    EXPECT_EQ(response.answer[1].owner, "www.example.");
}

TEST(Responder, SynthesizesCnameFromDname)
{
    auto response = ask(zones(), make_query("Host.dn2.example.", rrtype::a));
    EXPECT_TRUE(response.has(flag::aa));
    EXPECT_EQ(response.rcode(), 0);
    ASSERT_EQ(response.answer.size(), 3u);
    EXPECT_EQ(response.answer[0].type, rrtype::dname);
    EXPECT_EQ(response.answer[0].owner, "dn2.example.");
    EXPECT_EQ(response.answer[1].type, rrtype::cname);
    EXPECT_EQ(response.answer[1].owner, "Host.dn2.example.");
    EXPECT_EQ(response.answer[1].ttl, 700u);
    EXPECT_EQ(response.answer[1].data, "Host.target.example.");
    EXPECT_EQ(response.answer[2].data, "192.0.2.77");
}

TEST(Responder, DnameOutOfZoneStopsAfterCname)
{
    auto response = ask(zones(), make_query("a.b.dn.example.", rrtype::a));
    ASSERT_EQ(response.answer.size(), 2u);
    EXPECT_EQ(response.answer[1].data, "a.b.example.net.");
    EXPECT_EQ(response.answer[1].ttl, 600u);
    EXPECT_TRUE(response.authority.empty());
}

TEST(Responder, DnameToMissingNameGivesNxdomain)
{
    auto response = ask(zones(), make_query("nohost.dn2.example.", rrtype::a));
    EXPECT_EQ(response.rcode(), nxdomain);
    ASSERT_EQ(response.answer.size(), 2u);
    ASSERT_EQ(response.authority.size(), 1u);
}

TEST(Responder, AnswersDnameOwnerWithoutSynthesis)
{
    auto response = ask(zones(), make_query("dn.example.", rrtype::dname));
    ASSERT_EQ(response.answer.size(), 1u);
    EXPECT_EQ(response.answer[0].type, rrtype::dname);

    auto other = ask(zones(), make_query("dn.example.", rrtype::a));
    EXPECT_TRUE(other.answer.empty());
    ASSERT_EQ(other.authority.size(), 1u);
}

TEST(Responder, DnameOverflowGivesYxdomain)
{
    const std::string long_target = std::string(60, 'x') + "." + std::string(60, 'y') + "." +
                                    std::string(60, 'z') + ".example.";
    test::ZoneBuilder builder("example.");
    builder.name_record("d", rrtype::dname, long_target);
    const ZoneSet set({builder.compile()});

    // 122 octets of prefix plus the 192-octet target make 314 octets.
    const std::string qname = std::string(60, 'q') + "." + std::string(60, 'r') + ".d.example.";
    auto response = ask(set, make_query(qname, rrtype::a));
    EXPECT_EQ(response.rcode(), yxdomain);
    ASSERT_EQ(response.answer.size(), 1u);
    EXPECT_EQ(response.answer[0].type, rrtype::dname);
}

TEST(Responder, DnameAtApexRedirectsExistingNames)
{
    test::ZoneBuilder builder("example.");
    builder.name_record("@", rrtype::dname, "example.net.").a("www", "192.0.2.10");
    const ZoneSet set({builder.compile()});

    auto below = ask(set, make_query("www.example.", rrtype::a));
    ASSERT_EQ(below.answer.size(), 2u);
    EXPECT_EQ(below.answer[0].type, rrtype::dname);
    EXPECT_EQ(below.answer[1].data, "www.example.net.");

    auto apex = ask(set, make_query("example.", rrtype::soa));
    ASSERT_EQ(apex.answer.size(), 1u);
    EXPECT_EQ(apex.answer[0].type, rrtype::soa);
}

TEST(Responder, AnswersAnyMinimallyOverUdp)
{
    auto response = ask(zones(), make_query("example.", rrtype::any));
    EXPECT_TRUE(response.has(flag::aa));
    ASSERT_EQ(response.answer.size(), 2u); // the NS RRset: the lowest type at the apex
    EXPECT_EQ(response.answer[0].type, rrtype::ns);
    EXPECT_EQ(response.answer[1].type, rrtype::ns);
}

TEST(Responder, AnswersAnyFullyOverTcp)
{
    auto response = ask(zones(), make_query("example.", rrtype::any), Transport::tcp);
    ASSERT_EQ(response.answer.size(), 4u); // NS, NS, SOA, MX
    EXPECT_EQ(response.answer[2].type, rrtype::soa);
    EXPECT_EQ(response.answer[3].type, rrtype::mx);
}

TEST(Responder, AnyAtEmptyNonTerminalIsNodata)
{
    auto response = ask(zones(), make_query("ent.wild.example.", rrtype::any));
    EXPECT_TRUE(response.answer.empty());
    ASSERT_EQ(response.authority.size(), 1u);
}

TEST(Responder, PicksDeepestZone)
{
    test::ZoneBuilder parent("example.");
    parent.name_record("sub", rrtype::ns, "ns.sub")
        .a("ns.sub", "192.0.2.53")
        .add("sub", rrtype::ds, {0x30, 0x39, 8, 2, 0xAA});
    test::ZoneBuilder child("sub.example.");
    child.a("host", "192.0.2.60");
    const ZoneSet set({parent.compile(), child.compile()});

    auto host = ask(set, make_query("host.sub.example.", rrtype::a));
    EXPECT_TRUE(host.has(flag::aa));
    ASSERT_EQ(host.answer.size(), 1u);
    EXPECT_EQ(host.answer[0].data, "192.0.2.60");

    // DS belongs to the parent even when we serve the child too.
    auto ds = ask(set, make_query("sub.example.", rrtype::ds));
    ASSERT_EQ(ds.answer.size(), 1u);
    EXPECT_EQ(ds.answer[0].type, rrtype::ds);

    auto soa = ask(set, make_query("sub.example.", rrtype::soa));
    ASSERT_EQ(soa.answer.size(), 1u);
    EXPECT_EQ(soa.answer[0].owner, "sub.example.");
}

TEST(Responder, RefusesNamesOutsideZones)
{
    auto response = ask(zones(), make_query("www.example.net.", rrtype::a));
    EXPECT_EQ(response.rcode(), 5);
    EXPECT_FALSE(response.has(flag::aa));
    EXPECT_EQ(response.qname, "www.example.net.");
    EXPECT_TRUE(response.answer.empty());
    EXPECT_TRUE(response.authority.empty());
}

TEST(Responder, RefusesWithEmptyZoneSet)
{
    const ZoneSet empty;
    auto response = ask(empty, make_query("example.", rrtype::soa));
    EXPECT_EQ(response.rcode(), 5);
}

} // namespace
} // namespace robur::dns
