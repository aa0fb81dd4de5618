// NSEC type bitmaps and chains (RFC 4034 section 4, RFC 4035 section 2.3).

#include <gtest/gtest.h>

#include "formats/dnssec/nsec.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

using testing::name;
using testing::parse;

std::vector<Node> nodes_of(std::string_view text)
{
    const auto zone = parse(text);
    auto nodes = build_nodes(zone.origin, zone.records);
    EXPECT_TRUE(nodes) << nodes.error().to_string();
    return nodes.value_or(std::vector<Node>{});
}

struct Link {
    std::string owner;
    std::string next;
    std::string types;
};

std::vector<Link> links_of(const std::vector<zone::Record>& chain)
{
    std::vector<Link> links;
    for (const auto& record : chain) {
        const auto nsec = parse_nsec(record.rdata).value();
        links.push_back(
            {record.owner.to_string(), nsec.next.to_string(), types_to_string(nsec.types)});
    }
    return links;
}

TEST(TypeBitmap, EncodesRfc4034Example)
{
    // RFC 4034 section 4.3: A MX RRSIG NSEC TYPE1234.
    std::vector<std::uint8_t> expected{0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b};
    expected.resize(expected.size() + 26, 0x00);
    expected.push_back(0x20);
    EXPECT_EQ(encode_type_bitmap({1234, 47, 46, 15, 1, 1}), expected);
    EXPECT_EQ(decode_type_bitmap(expected).value(),
              (std::vector<std::uint16_t>{1, 15, 46, 47, 1234}));
}

TEST(TypeBitmap, EncodesEmptySetAsNothing)
{
    EXPECT_TRUE(encode_type_bitmap({}).empty());
    EXPECT_TRUE(decode_type_bitmap({}).value().empty());
}

TEST(TypeBitmap, RejectsMalformedWindows)
{
    const std::vector<std::vector<std::uint8_t>> malformed{
        {0x00},                               // truncated header
        {0x00, 0x00},                         // zero length
        {0x00, 0x21},                         // longer than 32 octets
        {0x00, 0x02, 0x40},                   // truncated bitmap
        {0x01, 0x01, 0x40, 0x00, 0x01, 0x40}, // windows out of order
    };
    for (const auto& bitmap : malformed) {
        EXPECT_FALSE(decode_type_bitmap(bitmap));
    }
}

TEST(NsecChain, LinksNamesInCanonicalOrderAndWraps)
{
    const auto nodes = nodes_of(R"(@ 300 IN SOA ns. host. 1 2 3 4 600
@ 300 IN NS ns.example.net.
B 300 IN A 192.0.2.1
a 300 IN TXT "x"
*.a 300 IN MX 1 mail.example.net.
)");
    const auto links = links_of(build_nsec_chain(nodes, 300));
    ASSERT_EQ(links.size(), 4U);
    EXPECT_EQ(links[0].owner, "example.");
    EXPECT_EQ(links[0].next, "a.example.");
    EXPECT_EQ(links[0].types, "NS SOA RRSIG NSEC");
    EXPECT_EQ(links[1].next, "*.a.example.");
    EXPECT_EQ(links[2].types, "MX RRSIG NSEC");
    EXPECT_EQ(links[3].owner, "b.example.");
    EXPECT_EQ(links[3].next, "example.");
}

TEST(NsecChain, SkipsGlueAndEmptyNonTerminalsAndTrimsDelegations)
{
    const auto nodes = nodes_of(R"(@ 300 IN SOA ns. host. 1 2 3 4 600
@ 300 IN NS ns.example.net.
sub 300 IN NS ns.sub
sub 300 IN A 192.0.2.9
ns.sub 300 IN A 192.0.2.1
x.y.z 300 IN A 192.0.2.2
)");
    const auto links = links_of(build_nsec_chain(nodes, 300));
    ASSERT_EQ(links.size(), 3U);
    EXPECT_EQ(links[1].owner, "sub.example.");
    EXPECT_EQ(links[1].next, "x.y.z.example.");
    EXPECT_EQ(links[1].types, "NS RRSIG NSEC");
}

TEST(NsecChain, TtlIsLowerOfSoaTtlAndMinimum)
{
    EXPECT_EQ(denial_ttl(nodes_of("@ 300 IN SOA ns. host. 1 2 3 4 600\n")).value(), 300U);
    EXPECT_EQ(denial_ttl(nodes_of("@ 900 IN SOA ns. host. 1 2 3 4 600\n")).value(), 600U);
    EXPECT_FALSE(denial_ttl(nodes_of("@ 900 IN A 192.0.2.1\n")));
}

TEST(NsecChain, WritesLowerCaseNames)
{
    const auto chain = build_nsec_chain(nodes_of(R"(@ 300 IN SOA ns. host. 1 2 3 4 600
WWW 300 IN A 192.0.2.1
)"),
                                        300);
    ASSERT_EQ(chain.size(), 2U);
    EXPECT_EQ(chain[1].owner.to_string(), "www.example.");
    EXPECT_EQ(parse_nsec(chain[0].rdata).value().next.to_string(), "www.example.");
}

TEST(NsecChain, CheckReportsWrongNextNameAndTypes)
{
    const auto zone = parse(R"(@ 300 IN SOA ns. host. 1 2 3 4 600
@ 300 IN NSEC b.example. SOA RRSIG NSEC
a 300 IN A 192.0.2.1
a 300 IN NSEC example. A TXT RRSIG NSEC
)");
    const auto nodes = build_nodes(zone.origin, zone.records).value();
    std::vector<Diagnostic> found;
    check_nsec_chain(nodes, found);
    ASSERT_EQ(found.size(), 2U);
    EXPECT_NE(found[0].message.find("points to b.example."), std::string::npos) << found[0].message;
    EXPECT_EQ(found[0].where.line, 2U);
    EXPECT_NE(found[1].message.find("lists A TXT RRSIG NSEC"), std::string::npos)
        << found[1].message;
}

TEST(NsecChain, CheckReportsMissingNsec)
{
    const auto zone = parse(R"(@ 300 IN SOA ns. host. 1 2 3 4 600
@ 300 IN NSEC example. SOA RRSIG NSEC
a 300 IN A 192.0.2.1
)");
    std::vector<Diagnostic> found;
    check_nsec_chain(build_nodes(zone.origin, zone.records).value(), found);
    ASSERT_FALSE(found.empty());
    EXPECT_EQ(found.back().message, "a.example. has no NSEC record");
}

} // namespace
} // namespace robur::dnssec
