#include "servers/vpn/killswitch.hpp"

#include <map>

#include <gtest/gtest.h>

#include "vpn_test_support.hpp"

namespace robur::vpn {
namespace {

using testing::directive;

// Resolves from a fixed table, recording the family requested for each name.
struct FakeResolver {
    std::map<std::string, std::vector<std::string>> names;
    std::map<std::string, Family> requested;

    Resolver resolver()
    {
        return [this](const std::string& host, Family family) -> Result<std::vector<std::string>> {
            requested[host] = family;
            const auto found = names.find(host);
            if (found == names.end()) {
                return make_error(Errc::not_found, "Name or service not known");
            }
            return found->second;
        };
    }
};

TEST(KillswitchPeers, UsesDefaultsOfOpenvpn)
{
    openvpn::Config profile;
    profile.directives = {directive("client"), directive("remote", {"192.0.2.10"})};
    FakeResolver fake{{{"192.0.2.10", {"192.0.2.10"}}}, {}};
    auto peers = killswitch_peers(profile, fake.resolver());
    ASSERT_TRUE(peers) << peers.error().to_string();
    ASSERT_EQ(peers->size(), 1U);
    EXPECT_EQ(peers->front().port, 1194);
    EXPECT_EQ(peers->front().protocol, "udp");
    EXPECT_EQ(fake.requested["192.0.2.10"], Family::any);
}

TEST(KillswitchPeers, TakesPortAndProtoFromProfile)
{
    openvpn::Config profile;
    profile.directives = {directive("proto", {"tcp6-client"}), directive("port", {"443"}),
                          directive("remote", {"vpn.example.org"}),
                          directive("remote", {"192.0.2.11", "1195", "udp4"})};
    FakeResolver fake{{{"vpn.example.org", {"2001:db8::10"}}, {"192.0.2.11", {"192.0.2.11"}}},
                      {}};
    auto peers = killswitch_peers(profile, fake.resolver());
    ASSERT_TRUE(peers) << peers.error().to_string();
    ASSERT_EQ(peers->size(), 2U);
    EXPECT_EQ((*peers)[0].port, 443);
    EXPECT_EQ((*peers)[0].protocol, "tcp");
    EXPECT_EQ(fake.requested["vpn.example.org"], Family::ipv6);
    EXPECT_EQ((*peers)[1].port, 1195);
    EXPECT_EQ((*peers)[1].protocol, "udp");
    EXPECT_EQ(fake.requested["192.0.2.11"], Family::ipv4);
}

TEST(KillswitchPeers, ConnectionBlockOverridesTopLevel)
{
    openvpn::Config profile;
    profile.directives = {directive("proto", {"udp"}), directive("rport", {"1194"}),
                          directive("remote", {"192.0.2.20"}, 0),
                          directive("proto", {"tcp"}, 0), directive("port", {"8443"}, 0),
                          directive("remote", {"192.0.2.21"}, 1)};
    FakeResolver fake{{{"192.0.2.20", {"192.0.2.20"}}, {"192.0.2.21", {"192.0.2.21"}}}, {}};
    auto peers = killswitch_peers(profile, fake.resolver());
    ASSERT_TRUE(peers);
    ASSERT_EQ(peers->size(), 2U);
    EXPECT_EQ((*peers)[0].protocol, "tcp");
    EXPECT_EQ((*peers)[0].port, 8443);
    EXPECT_EQ((*peers)[1].protocol, "udp");
    EXPECT_EQ((*peers)[1].port, 1194);
}

TEST(KillswitchPeers, RejectsUnresolvedName)
{
    openvpn::Config profile;
    auto remote = directive("remote", {"nowhere.invalid"});
    remote.where = SourceLocation{"vpn/office/client.conf", 4, 0};
    profile.directives = {remote};
    FakeResolver fake;
    auto peers = killswitch_peers(profile, fake.resolver());
    ASSERT_FALSE(peers);
    EXPECT_EQ(peers.error().code, Errc::not_found);
    EXPECT_EQ(peers.error().to_string(),
              "vpn/office/client.conf:4: remote nowhere.invalid does not resolve: Name or "
              "service not known");
}

TEST(KillswitchPeers, RejectsProfileWithoutRemote)
{
    openvpn::Config profile;
    profile.directives = {directive("client")};
    FakeResolver fake;
    auto peers = killswitch_peers(profile, fake.resolver());
    ASSERT_FALSE(peers);
    EXPECT_EQ(peers.error().code, Errc::invalid_argument);
}

TEST(KillswitchPeers, RejectsBadPortAndProto)
{
    FakeResolver fake{{{"192.0.2.1", {"192.0.2.1"}}}, {}};
    openvpn::Config profile;
    profile.directives = {directive("remote", {"192.0.2.1", "70000"})};
    EXPECT_FALSE(killswitch_peers(profile, fake.resolver()));
    profile.directives = {directive("remote", {"192.0.2.1", "1194", "tcp-server"})};
    EXPECT_FALSE(killswitch_peers(profile, fake.resolver()));
}

TEST(KillswitchPeers, ResolvesNumericAddressesWithGetaddrinfo)
{
    auto ipv4 = resolve_host("192.0.2.7", Family::any);
    ASSERT_TRUE(ipv4) << ipv4.error().to_string();
    EXPECT_EQ(*ipv4, std::vector<std::string>{"192.0.2.7"});
    auto ipv6 = resolve_host("2001:db8::7", Family::ipv6);
    ASSERT_TRUE(ipv6);
    EXPECT_EQ(*ipv6, std::vector<std::string>{"2001:db8::7"});
    EXPECT_FALSE(resolve_host("2001:db8::7", Family::ipv4));
}

TEST(KillswitchRuleset, TunnelInterfaceFromDev)
{
    openvpn::Config profile;
    EXPECT_EQ(tunnel_interface(profile), "tun*");
    profile.directives = {directive("dev", {"tap"})};
    EXPECT_EQ(tunnel_interface(profile), "tap*");
    profile.directives = {directive("dev", {"tun3"})};
    EXPECT_EQ(tunnel_interface(profile), "tun3");
}

TEST(KillswitchRuleset, TableNameIsNftIdentifier)
{
    EXPECT_EQ(killswitch_table("office"), "robur_killswitch_office");
    EXPECT_EQ(killswitch_table("home-lab.2"), "robur_killswitch_home_lab_2");
}

TEST(KillswitchRuleset, AllowsOnlyTunnelLoopbackAndServers)
{
    KillswitchRuleset ruleset;
    ruleset.vpn = "office";
    ruleset.client = "alice";
    ruleset.source = "vpn/office/client.conf at commit 1a2b3c4";
    ruleset.tunnel = "tun0";
    ruleset.peers = {{"vpn.example.org", {"192.0.2.10", "2001:db8::10"}, 1194, "udp"}};
    const auto text = write_killswitch(ruleset);

    EXPECT_NE(text.find("# remote vpn.example.org 1194 udp resolved to 192.0.2.10, "
                        "2001:db8::10"),
              std::string::npos);
    EXPECT_NE(text.find("# Remove: nft delete table inet robur_killswitch_office"),
              std::string::npos);
    EXPECT_NE(text.find("table inet robur_killswitch_office\n"
                        "delete table inet robur_killswitch_office\n"),
              std::string::npos);
    for (const auto* rule :
         {"type filter hook input priority filter; policy drop;",
          "type filter hook output priority filter; policy drop;",
          "type filter hook forward priority filter; policy drop;", "oifname \"lo\" accept",
          "iifname \"lo\" accept", "oifname \"tun0\" accept", "iifname \"tun0\" accept",
          "ip daddr 192.0.2.10 udp dport 1194 accept", "ip saddr 192.0.2.10 udp sport 1194 accept",
          "ip6 daddr 2001:db8::10 udp dport 1194 accept",
          "ip6 saddr 2001:db8::10 udp sport 1194 accept"}) {
        EXPECT_NE(text.find(rule), std::string::npos) << rule;
    }
}

} // namespace
} // namespace robur::vpn
