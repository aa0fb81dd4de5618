// Responder behaviour at the message level: EDNS, truncation, malformed and unsupported
// queries, and allocation in the steady state.

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dns_test_support.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/dnssec/signer.hpp"
#include "servers/dns/responder.hpp"

// Counts every allocation in this test program, so a test can check that a code path makes
// none. AddressSanitizer brings its own operator new, so sanitizer builds skip the count.
#if defined(__SANITIZE_ADDRESS__)
#define ROBUR_COUNTS_ALLOCATIONS 0
#else
#define ROBUR_COUNTS_ALLOCATIONS 1
#endif

namespace {
std::atomic<std::size_t> allocation_count{0};
}

#if ROBUR_COUNTS_ALLOCATIONS
// Out of line, so that g++ -O2 does not pair the inlined free() with a standard operator new
// and warn about a mismatched deallocation.
[[gnu::noinline]] void* operator new(std::size_t size)
{
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    if (void* memory = std::malloc(size == 0 ? 1 : size)) {
        return memory;
    }
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* memory) noexcept
{
    std::free(memory);
}
[[gnu::noinline]] void operator delete(void* memory, std::size_t) noexcept
{
    std::free(memory);
}
#endif

namespace robur::dns {
namespace {

using test::ask;
using test::make_query;
namespace rrtype = zone::rrtype;

constexpr std::uint16_t formerr = 1, notimp = 4, refused = 5, badvers = 16;

ZoneSet protocol_zones()
{
    test::ZoneBuilder builder("example.");
    builder.name_record("@", rrtype::ns, "ns1").a("ns1", "192.0.2.1").a("www", "192.0.2.10");
    // Ten 200-octet TXT records: about 2.1 kB, more than 512 and 1232 octets.
    for (int i = 0; i < 10; ++i) {
        builder.txt("big", std::string(199, static_cast<char>('a' + i)));
    }
    // Twenty MX records whose addresses do not all fit in 512 octets.
    for (int i = 0; i < 20; ++i) {
        const std::string host = fmt::format("m{:02}", i);
        builder.mx("mx", static_cast<std::uint16_t>(i), host).a(host, "192.0.2.20");
    }
    // A delegation whose glue below the cut cannot fit in 512 octets.
    for (int i = 0; i < 12; ++i) {
        const std::string host = fmt::format("ns{:02}.deleg", i);
        builder.name_record("deleg", rrtype::ns, host)
            .a(host, "192.0.2.30")
            .aaaa(host, "2001:db8::30");
    }
    return ZoneSet({builder.compile()});
}

const ZoneSet& zones()
{
    static const ZoneSet set = protocol_zones();
    return set;
}

TEST(ResponderProtocol, EchoesOptWithServerPayload)
{
    auto response = ask(zones(), make_query("www.example.", rrtype::a,
                                            {.edns = true, .payload = 4096, .dnssec_ok = true}));
    ASSERT_TRUE(response.opt);
    EXPECT_EQ(response.opt->rclass, server_udp_payload);
    EXPECT_EQ(response.opt->ttl, 0x00008000u); // version 0, DO echoed
    EXPECT_EQ(response.rcode(), 0);
    ASSERT_EQ(response.answer.size(), 1u);
}

TEST(ResponderProtocol, OmitsOptWithoutEdns)
{
    auto response = ask(zones(), make_query("www.example.", rrtype::a));
    EXPECT_FALSE(response.opt);
    EXPECT_EQ(response.header.arcount, 0);
}

TEST(ResponderProtocol, ClearsDoWhenNotSet)
{
    auto response = ask(zones(), make_query("www.example.", rrtype::a, {.edns = true}));
    ASSERT_TRUE(response.opt);
    EXPECT_EQ(response.opt->ttl, 0u);
}

TEST(ResponderProtocol, AnswersBadversForEdnsVersion1)
{
    auto response =
        ask(zones(), make_query("www.example.", rrtype::a, {.edns = true, .version = 1}));
    EXPECT_EQ(response.rcode(), badvers);
    EXPECT_EQ(response.header.flags & 0xF, 0);
    ASSERT_TRUE(response.opt);
    EXPECT_EQ((response.opt->ttl >> 16) & 0xFF, 0u); // our version, 0
    EXPECT_TRUE(response.answer.empty());
    EXPECT_FALSE(response.has(flag::aa));
}

TEST(ResponderProtocol, RejectsTwoOptRecordsWithFormerr)
{
    auto query = make_query("www.example.", rrtype::a, {.edns = true});
    const std::vector<std::uint8_t> opt(query.end() - 11, query.end());
    test::append(query, opt);
    query[11] = 2;
    auto response = ask(zones(), query);
    EXPECT_EQ(response.rcode(), formerr);
    EXPECT_EQ(response.header.id, 0x1234);
    EXPECT_EQ(response.header.qdcount, 0);
}

TEST(ResponderProtocol, TruncatesWithoutEdnsAt512)
{
    auto response = ask(zones(), make_query("big.example.", rrtype::txt));
    EXPECT_TRUE(response.has(flag::tc));
    EXPECT_TRUE(response.has(flag::aa));
    EXPECT_EQ(response.qname, "big.example.");
    EXPECT_TRUE(response.answer.empty());
    EXPECT_TRUE(response.additional.empty());
    EXPECT_LE(response.size, 512u);
}

TEST(ResponderProtocol, TruncatedResponseKeepsOpt)
{
    auto response = ask(zones(), make_query("big.example.", rrtype::txt, {.edns = true}));
    EXPECT_TRUE(response.has(flag::tc));
    ASSERT_TRUE(response.opt);
    EXPECT_TRUE(response.answer.empty());
    EXPECT_LE(response.size, 1232u);
}

TEST(ResponderProtocol, CapsPayloadAtServerSize)
{
    auto response =
        ask(zones(), make_query("big.example.", rrtype::txt, {.edns = true, .payload = 65000}));
    EXPECT_TRUE(response.has(flag::tc));
}

TEST(ResponderProtocol, RaisesSmallPayloadTo512)
{
    auto response =
        ask(zones(), make_query("mx.example.", rrtype::mx, {.edns = true, .payload = 100}));
    EXPECT_FALSE(response.has(flag::tc));
    EXPECT_EQ(response.answer.size(), 20u);
    EXPECT_GT(response.size, 100u);
}

TEST(ResponderProtocol, SendsEverythingOverTcp)
{
    auto response = ask(zones(), make_query("big.example.", rrtype::txt), Transport::tcp);
    EXPECT_FALSE(response.has(flag::tc));
    EXPECT_EQ(response.answer.size(), 10u);
}

TEST(ResponderProtocol, DropsAdditionalWithoutTruncation)
{
    auto response = ask(zones(), make_query("mx.example.", rrtype::mx));
    EXPECT_FALSE(response.has(flag::tc));
    EXPECT_EQ(response.answer.size(), 20u);
    EXPECT_GT(response.additional.size(), 0u);
    EXPECT_LT(response.additional.size(), 20u);
    EXPECT_LE(response.size, 512u);

    auto tcp = ask(zones(), make_query("mx.example.", rrtype::mx), Transport::tcp);
    EXPECT_EQ(tcp.additional.size(), 20u);
}

TEST(ResponderProtocol, TruncatesReferralMissingGlueBelowCut)
{
    auto response = ask(zones(), make_query("host.deleg.example.", rrtype::a));
    EXPECT_TRUE(response.has(flag::tc));
    EXPECT_TRUE(response.authority.empty());

    auto tcp = ask(zones(), make_query("host.deleg.example.", rrtype::a), Transport::tcp);
    EXPECT_FALSE(tcp.has(flag::tc));
    EXPECT_EQ(tcp.authority.size(), 12u);
    EXPECT_EQ(tcp.additional.size(), 24u);
}

TEST(ResponderProtocol, RefusesChaosClass)
{
    auto response =
        ask(zones(), make_query("version.bind.", rrtype::txt, {.qclass = zone::rrclass::ch}));
    EXPECT_EQ(response.rcode(), refused);
    EXPECT_FALSE(response.has(flag::aa));
}

TEST(ResponderProtocol, AnswersClassAnyFromInternetData)
{
    auto response =
        ask(zones(), make_query("www.example.", rrtype::a, {.qclass = zone::rrclass::any}));
    EXPECT_EQ(response.rcode(), 0);
    ASSERT_EQ(response.answer.size(), 1u);
}

TEST(ResponderProtocol, AnswersNotimpForOtherOpcodes)
{
    for (const int opcode : {1, 2, 4, 5, 15}) {
        auto query = make_query("example.", rrtype::soa);
        query[2] = static_cast<std::uint8_t>(query[2] | (opcode << 3));
        auto response = ask(zones(), query);
        EXPECT_EQ(response.rcode(), notimp) << "opcode " << opcode;
        EXPECT_EQ(response.header.opcode(), opcode);
        EXPECT_EQ(response.header.qdcount, 0);
    }
}

TEST(ResponderProtocol, AnswersNotimpForTransfersAndTkey)
{
    for (const std::uint16_t qtype : {rrtype::axfr, rrtype::ixfr, std::uint16_t{249}}) {
        for (const Transport transport : {Transport::udp, Transport::tcp}) {
            auto response = ask(zones(), make_query("example.", qtype), transport);
            EXPECT_EQ(response.rcode(), notimp) << "qtype " << qtype;
            EXPECT_TRUE(response.answer.empty());
        }
    }
}

TEST(ResponderProtocol, RejectsMetaQueryTypes)
{
    for (const std::uint16_t qtype : {rrtype::opt, rrtype::tsig}) {
        auto response = ask(zones(), make_query("example.", qtype));
        EXPECT_EQ(response.rcode(), formerr) << "qtype " << qtype;
    }
}

TEST(ResponderProtocol, IgnoresResponses)
{
    Responder responder;
    std::vector<std::uint8_t> out(512);
    auto query = make_query("www.example.", rrtype::a, {.flags = flag::qr});
    EXPECT_EQ(responder.respond(zones(), query, Transport::udp, out), 0u);
}

TEST(ResponderProtocol, IgnoresMessagesShorterThanHeader)
{
    Responder responder;
    std::vector<std::uint8_t> out(512);
    for (std::size_t size = 0; size < header_size; ++size) {
        const std::vector<std::uint8_t> query(size, 0);
        EXPECT_EQ(responder.respond(zones(), query, Transport::udp, out), 0u) << "size " << size;
    }
}

TEST(ResponderProtocol, AnswersFormerrForMalformedQuestion)
{
    auto two_questions = make_query("www.example.", rrtype::a);
    two_questions[5] = 2;
    EXPECT_EQ(ask(zones(), two_questions).rcode(), formerr);

    auto no_question = make_query("www.example.", rrtype::a);
    no_question[5] = 0;
    EXPECT_EQ(ask(zones(), no_question).rcode(), formerr);

    auto truncated = make_query("www.example.", rrtype::a);
    truncated.resize(truncated.size() - 3);
    auto response = ask(zones(), truncated);
    EXPECT_EQ(response.rcode(), formerr);
    EXPECT_EQ(response.header.id, 0x1234);
    EXPECT_TRUE(response.has(flag::rd));
}

TEST(ResponderProtocol, AnswersFormerrForCompressionLoop)
{
    auto query = make_query(".", rrtype::a);
    query[header_size] = 0xC0;
    query.insert(query.begin() + header_size + 1, header_size);
    EXPECT_EQ(ask(zones(), query).rcode(), formerr);
}

TEST(ResponderProtocol, KeepsWithinSmallOutputBuffer)
{
    Responder responder;
    std::vector<std::uint8_t> out(100);
    auto query = make_query("big.example.", rrtype::txt);
    const std::size_t size = responder.respond(zones(), query, Transport::tcp, out);
    ASSERT_GT(size, 0u);
    auto response = test::parse_response({out.data(), size});
    EXPECT_TRUE(response.has(flag::tc));
}

TEST(ResponderProtocol, RecordsLastRcode)
{
    Responder responder;
    std::vector<std::uint8_t> out(512);
    responder.respond(zones(), make_query("nothere.example.", rrtype::a), Transport::udp, out);
    EXPECT_EQ(responder.last_rcode(), Rcode::nxdomain);
    responder.respond(zones(), make_query("www.example.", rrtype::a), Transport::udp, out);
    EXPECT_EQ(responder.last_rcode(), Rcode::noerror);
}

TEST(ResponderProtocol, AllocatesNothingPerQuery)
{
    if (!ROBUR_COUNTS_ALLOCATIONS) {
        GTEST_SKIP() << "allocation counting is off under AddressSanitizer";
    }
    const std::size_t probe = allocation_count.load();
    ::operator delete(::operator new(16));
    ASSERT_GT(allocation_count.load(), probe) << "the counting operator new is not in use";

    Responder responder;
    std::vector<std::uint8_t> out(65535);
    const std::vector<std::vector<std::uint8_t>> queries{
        make_query("www.example.", rrtype::a),
        make_query("nothere.example.", rrtype::a, {.edns = true}),
        make_query("mx.example.", rrtype::mx),
        make_query("host.deleg.example.", rrtype::a),
        make_query("big.example.", rrtype::txt),
        make_query("www.example.net.", rrtype::a),
    };
    const ZoneSet& set = zones();
    const std::size_t before = allocation_count.load();
    for (const auto& query : queries) {
        EXPECT_GT(responder.respond(set, query, Transport::udp, out), 0u);
    }
    EXPECT_EQ(allocation_count.load(), before);
}

// DO queries to an NSEC3 zone hash names and collect proofs, still without allocating.
TEST(ResponderProtocol, AllocatesNothingPerDnssecQuery)
{
    if (!ROBUR_COUNTS_ALLOCATIONS) {
        GTEST_SKIP() << "allocation counting is off under AddressSanitizer";
    }
    test::ZoneBuilder builder("example.");
    builder.name_record("@", rrtype::ns, "ns1").a("ns1", "192.0.2.1").a("www", "192.0.2.10");
    builder.a("*.wild", "192.0.2.99").name_record("sub", rrtype::ns, "ns1");
    auto key = dnssec::generate_key(builder.zone().origin, dnssec::Algorithm::ecdsap256sha256,
                                    dnssec::dnskey_flags::ksk);
    ASSERT_TRUE(key.has_value());
    dnssec::SignOptions options;
    options.nsec3 = dnssec::Nsec3Options{.salt = {0xAB}, .iterations = 5, .opt_out = true};
    auto signed_zone = dnssec::sign_zone(builder.zone(), {*key}, options);
    ASSERT_TRUE(signed_zone.has_value()) << signed_zone.error().message;
    const ZoneSet set({compile_zone(*signed_zone).value()});

    Responder responder;
    std::vector<std::uint8_t> out(65535);
    const test::QueryOptions dnssec_ok{.edns = true, .dnssec_ok = true};
    const std::vector<std::vector<std::uint8_t>> queries{
        make_query("www.example.", rrtype::a, dnssec_ok),
        make_query("nothere.example.", rrtype::a, dnssec_ok),
        make_query("www.example.", rrtype::txt, dnssec_ok),
        make_query("x.wild.example.", rrtype::a, dnssec_ok),
        make_query("x.wild.example.", rrtype::txt, dnssec_ok),
        make_query("host.sub.example.", rrtype::a, dnssec_ok),
    };
    const std::size_t before = allocation_count.load();
    for (const auto& query : queries) {
        EXPECT_GT(responder.respond(set, query, Transport::udp, out), 0u);
    }
    EXPECT_EQ(allocation_count.load(), before);
}

} // namespace
} // namespace robur::dns
