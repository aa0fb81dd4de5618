// NSEC3 hashing and chains (RFC 5155, RFC 9276).

#include <gtest/gtest.h>

#include "formats/dnssec/nsec.hpp"
#include "formats/dnssec/nsec3.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

using testing::name;
using testing::parse;

const std::vector<std::uint8_t> rfc5155_salt{0xaa, 0xbb, 0xcc, 0xdd};

std::string hash_text(std::string_view owner, std::span<const std::uint8_t> salt,
                      std::uint16_t iterations)
{
    return base32hex_encode(nsec3_hash(name(owner), salt, iterations));
}

std::vector<Node> nodes_of(const zone::Zone& zone)
{
    auto nodes = build_nodes(zone.origin, zone.records);
    EXPECT_TRUE(nodes) << nodes.error().to_string();
    return nodes.value_or(std::vector<Node>{});
}

// A zone with an insecure delegation two levels down, so that opt-out also drops an empty
// non-terminal, and a secure delegation.
constexpr std::string_view delegations = R"(@ 300 IN SOA ns. host. 1 2 3 4 600
@ 300 IN NS ns.example.net.
@ 300 IN NSEC3PARAM 1 0 0 -
sub.ent 300 IN NS ns.example.net.
safe 300 IN NS ns.example.net.
safe 300 IN DS 1 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
)";

TEST(Nsec3Hash, MatchesRfc5155Appendix)
{
    EXPECT_EQ(hash_text("example.", rfc5155_salt, 12), "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
    EXPECT_EQ(hash_text("a.example.", rfc5155_salt, 12), "35mthgpgcu1qg68fab165klnsnk3dpvl");
    EXPECT_EQ(hash_text("*.w.example.", rfc5155_salt, 12), "r53bq7cc2uvmubfu5ocmm6pers9tk9en");
    EXPECT_EQ(hash_text("x.y.w.example.", rfc5155_salt, 12), "2vptu5timamqttgl4luu9kg21e0aor3s");
}

TEST(Nsec3Hash, IgnoresCaseAndUsesRfc9276Defaults)
{
    EXPECT_EQ(hash_text("EXAMPLE.", rfc5155_salt, 12), "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
    // Value from knsec3hash 3.2 with an empty salt and 0 iterations.
    EXPECT_EQ(hash_text("example.", {}, 0), "3msev9usmd4br9s97v51r2tdvmr9iqo1");
    const Nsec3Options defaults;
    EXPECT_TRUE(defaults.salt.empty());
    EXPECT_EQ(defaults.iterations, 0);
}

TEST(Base32Hex, RoundTripsAndRejectsOtherLetters)
{
    const std::vector<std::uint8_t> data{0x00, 0xff, 0x10, 0x80, 0x7f};
    const auto text = base32hex_encode(data);
    EXPECT_EQ(text, "03vh103v");
    EXPECT_EQ(base32hex_decode(text).value(), data);
    EXPECT_EQ(base32hex_decode("03VH103V").value(), data);
    EXPECT_FALSE(base32hex_decode("07vw"));
}

TEST(Nsec3Rdata, RoundTrips)
{
    const Nsec3 nsec3{1, 1, 10, {0xab}, std::vector<std::uint8_t>(20, 0x42), {1, 46}};
    const auto parsed = parse_nsec3(nsec3_rdata(nsec3)).value();
    EXPECT_EQ(parsed.flags, 1);
    EXPECT_EQ(parsed.iterations, 10);
    EXPECT_EQ(parsed.salt, nsec3.salt);
    EXPECT_EQ(parsed.next_hash, nsec3.next_hash);
    EXPECT_EQ(parsed.types, nsec3.types);
    EXPECT_FALSE(parse_nsec3(std::vector<std::uint8_t>{1, 0, 0}));
}

TEST(Nsec3Chain, CoversEmptyNonTerminalsInHashOrder)
{
    const auto zone = parse(delegations);
    const auto chain = build_nsec3_chain(zone.origin, nodes_of(zone), {}, 600).value();
    // example, ent (empty non-terminal), sub.ent, safe.
    ASSERT_EQ(chain.size(), 4U);
    for (std::size_t i = 0; i < chain.size(); ++i) {
        const auto nsec3 = parse_nsec3(chain[i].rdata).value();
        const auto& next = chain[(i + 1) % chain.size()].owner;
        EXPECT_EQ(base32hex_encode(nsec3.next_hash) + ".example.", next.to_string());
        EXPECT_EQ(nsec3.flags, 0);
        EXPECT_EQ(chain[i].ttl, 600U);
        if (i > 0) {
            EXPECT_LT(chain[i - 1].owner, chain[i].owner);
        }
    }
}

TEST(Nsec3Chain, ListsTypesOfEachName)
{
    const auto zone = parse(delegations);
    const auto chain = build_nsec3_chain(zone.origin, nodes_of(zone), {}, 600).value();
    std::map<std::string, std::string> types;
    for (const auto& record : chain) {
        types[record.owner.to_string()] = types_to_string(parse_nsec3(record.rdata).value().types);
    }
    const auto owner_of = [&](std::string_view text) {
        return nsec3_owner(nsec3_hash(name(text), {}, 0), zone.origin).value().to_string();
    };
    EXPECT_EQ(types[owner_of("example.")], "NS SOA RRSIG NSEC3PARAM");
    EXPECT_EQ(types[owner_of("ent.example.")], "no types");
    EXPECT_EQ(types[owner_of("sub.ent.example.")], "NS");
    EXPECT_EQ(types[owner_of("safe.example.")], "NS DS RRSIG");
}

TEST(Nsec3Chain, OptOutLeavesInsecureDelegationsOut)
{
    const auto zone = parse(delegations);
    const Nsec3Options options{{}, 0, true};
    const auto chain = build_nsec3_chain(zone.origin, nodes_of(zone), options, 600).value();
    // The insecure delegation and the empty non-terminal above it are gone.
    ASSERT_EQ(chain.size(), 2U);
    for (const auto& record : chain) {
        EXPECT_EQ(parse_nsec3(record.rdata).value().flags, nsec3_flag_opt_out);
    }
}

TEST(Nsec3Chain, RejectsTooManyIterationsAndLongSalt)
{
    const auto zone = parse(delegations);
    EXPECT_FALSE(build_nsec3_chain(zone.origin, nodes_of(zone), {{}, 151, false}, 600));
    EXPECT_FALSE(build_nsec3_chain(zone.origin, nodes_of(zone),
                                   {std::vector<std::uint8_t>(256, 1), 0, false}, 600));
    EXPECT_TRUE(build_nsec3_chain(zone.origin, nodes_of(zone), {{}, 150, false}, 600));
}

TEST(Nsec3Chain, CheckAcceptsBuiltChainAndReportsGap)
{
    const auto zone = parse(delegations);
    const auto nodes = nodes_of(zone);
    auto chain = build_nsec3_chain(zone.origin, nodes, {}, 600).value();
    std::vector<Diagnostic> found;
    check_nsec3_chain(zone.origin, nodes, group_rrsets(chain).value(), found);
    EXPECT_TRUE(found.empty()) << found.front().to_string();

    chain.erase(chain.begin() + 1);
    check_nsec3_chain(zone.origin, nodes, group_rrsets(chain).value(), found);
    ASSERT_EQ(found.size(), 2U);
    EXPECT_NE(found[0].message.find("points to"), std::string::npos) << found[0].message;
    EXPECT_NE(found[1].message.find("has no NSEC3 record"), std::string::npos) << found[1].message;
}

TEST(Nsec3Chain, CheckAllowsOptedOutDelegations)
{
    const auto zone = parse(delegations);
    const auto nodes = nodes_of(zone);
    const auto chain = build_nsec3_chain(zone.origin, nodes, {{}, 0, true}, 600).value();
    std::vector<Diagnostic> found;
    check_nsec3_chain(zone.origin, nodes, group_rrsets(chain).value(), found);
    EXPECT_TRUE(found.empty()) << found.front().to_string();
}

} // namespace
} // namespace robur::dnssec
