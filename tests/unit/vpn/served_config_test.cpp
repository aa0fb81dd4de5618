#include "servers/vpn/served_config.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "vpn_test_support.hpp"

namespace robur::vpn {
namespace {

using testing::directive;

openvpn::Config server_config()
{
    openvpn::Config config;
    config.directives = {directive("port", {"1194"}),
                         directive("proto", {"udp"}),
                         directive("dev", {"tun"}),
                         directive("ca", {"pki/ca.crt"}),
                         directive("cert", {"pki/issued/server.crt"}),
                         directive("key", {"pki/private/server.key"}),
                         directive("crl-verify", {"pki/crl.pem"}),
                         directive("tls-crypt", {"pki/tls-crypt.key"}),
                         directive("dh", {"none"}),
                         directive("server", {"10.8.0.0", "255.255.255.0"}),
                         directive("topology", {"subnet"}),
                         directive("ifconfig-pool-persist", {"ipp.txt"}),
                         directive("client-config-dir", {"ccd"}),
                         directive("push", {"route 10.1.0.0 255.255.0.0"}),
                         directive("keepalive", {"10", "120"}),
                         directive("daemon"),
                         directive("log-append", {"/var/log/openvpn.log"}),
                         directive("verb", {"3"})};
    return config;
}

bool has_line(const std::string& text, std::string_view line)
{
    return ("\n" + text).find(fmt::format("\n{}\n", line)) != std::string::npos;
}

TEST(ServedConfig, KeepsConfigWithoutOverrides)
{
    auto served = make_served_config(server_config(), {});
    ASSERT_TRUE(served) << served.error().to_string();
    EXPECT_TRUE(has_line(served->text, "server 10.8.0.0 255.255.255.0"));
    EXPECT_TRUE(has_line(served->text, "dev tun"));
    EXPECT_TRUE(has_line(served->text, "push \"route 10.1.0.0 255.255.0.0\""));
    EXPECT_TRUE(has_line(served->text, "client-config-dir ccd"));
}

TEST(ServedConfig, LeavesOutDaemonAndLogFiles)
{
    auto served = make_served_config(server_config(), {});
    ASSERT_TRUE(served);
    EXPECT_FALSE(has_line(served->text, "daemon"));
    EXPECT_EQ(served->text.find("log-append"), std::string::npos);
    EXPECT_EQ(served->changes.size(), 2U);
}

TEST(ServedConfig, DevNullTurnsServerIntoTlsServer)
{
    auto served = make_served_config(server_config(), {.listen = std::nullopt, .dev_null = true});
    ASSERT_TRUE(served) << served.error().to_string();
    const auto& text = served->text;
    EXPECT_TRUE(has_line(text, "dev null"));
    EXPECT_TRUE(has_line(text, "tls-server"));
    EXPECT_EQ(text.find("server 10.8.0.0"), std::string::npos);
    EXPECT_EQ(text.find("dev tun"), std::string::npos);
    EXPECT_EQ(text.find("topology"), std::string::npos);
    EXPECT_EQ(text.find("ifconfig-pool-persist"), std::string::npos);
    EXPECT_EQ(text.find("client-config-dir"), std::string::npos);
}

TEST(ServedConfig, DevNullKeepsTlsAndCertificateChecks)
{
    auto served = make_served_config(server_config(), {.listen = std::nullopt, .dev_null = true});
    ASSERT_TRUE(served);
    for (const auto* line : {"ca pki/ca.crt", "cert pki/issued/server.crt",
                             "key pki/private/server.key", "crl-verify pki/crl.pem",
                             "tls-crypt pki/tls-crypt.key", "dh none", "keepalive 10 120",
                             "push \"route 10.1.0.0 255.255.0.0\""}) {
        EXPECT_TRUE(has_line(served->text, line)) << line;
    }
}

TEST(ServedConfig, DevNullDoesNotRepeatTlsServer)
{
    auto config = server_config();
    config.directives.push_back(directive("tls-server"));
    auto served = make_served_config(config, {.listen = std::nullopt, .dev_null = true});
    ASSERT_TRUE(served);
    const auto first = served->text.find("tls-server");
    EXPECT_EQ(served->text.find("tls-server", first + 1), std::string::npos);
}

TEST(ServedConfig, DevNullDropsVerifyClientCertNone)
{
    auto config = server_config();
    config.directives.push_back(directive("verify-client-cert", {"none"}));
    auto served = make_served_config(config, {.listen = std::nullopt, .dev_null = true});
    ASSERT_TRUE(served);
    EXPECT_EQ(served->text.find("verify-client-cert"), std::string::npos);

    config.directives.back().args = {"require"};
    served = make_served_config(config, {.listen = std::nullopt, .dev_null = true});
    ASSERT_TRUE(served);
    EXPECT_TRUE(has_line(served->text, "verify-client-cert require"));
}

TEST(ServedConfig, DevNullMakesTcpListen)
{
    auto config = server_config();
    config.directives[1].args = {"tcp"};
    auto served = make_served_config(config, {.listen = std::nullopt, .dev_null = true});
    ASSERT_TRUE(served);
    EXPECT_TRUE(has_line(served->text, "proto tcp-server"));
    EXPECT_FALSE(has_line(served->text, "proto tcp"));
}

TEST(ServedConfig, ListenReplacesLocalAndPort)
{
    auto config = server_config();
    config.directives.push_back(directive("local", {"192.0.2.1"}));
    const ServeOverrides overrides{.listen = ListenAddress{"127.0.0.1", 16001, false}, .dev_null = false};
    auto served = make_served_config(config, overrides);
    ASSERT_TRUE(served);
    EXPECT_TRUE(has_line(served->text, "local 127.0.0.1"));
    EXPECT_TRUE(has_line(served->text, "lport 16001"));
    EXPECT_TRUE(has_line(served->text, "proto udp4"));
    EXPECT_FALSE(has_line(served->text, "port 1194"));
    EXPECT_EQ(served->text.find("192.0.2.1"), std::string::npos);
}

TEST(ServedConfig, ListenOnIpv6SetsProtoFamily)
{
    auto config = server_config();
    config.directives[1].args = {"tcp"};
    const ServeOverrides overrides{.listen = ListenAddress{"::1", 1194, true}, .dev_null = false};
    auto served = make_served_config(config, overrides);
    ASSERT_TRUE(served);
    EXPECT_TRUE(has_line(served->text, "proto tcp6-server"));
    EXPECT_TRUE(has_line(served->text, "local ::1"));
}

TEST(ServedConfig, WritesInlineBlocksAndConnections)
{
    openvpn::Config config;
    auto ca = directive("ca");
    ca.inline_content = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    config.directives = {directive("client"), ca, directive("remote", {"192.0.2.1", "1194"}, 0),
                         directive("proto", {"udp"}, 0), directive("remote", {"192.0.2.2"}, 1)};
    auto served = make_served_config(config, {});
    ASSERT_TRUE(served);
    EXPECT_EQ(served->text, "client\n"
                            "<ca>\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
                            "</ca>\n"
                            "<connection>\nremote 192.0.2.1 1194\nproto udp\n</connection>\n"
                            "<connection>\nremote 192.0.2.2\n</connection>\n");
}

TEST(ServedConfig, RejectsLineAboveLimit)
{
    openvpn::Config config;
    config.directives = {directive("push", {std::string(250, 'a'), "b"})};
    auto served = make_served_config(config, {});
    ASSERT_FALSE(served);
    EXPECT_EQ(served.error().code, Errc::invalid_argument);
    ASSERT_TRUE(served.error().where);
    EXPECT_EQ(served.error().where->line, 1U);
}

TEST(ListenAddress, ParsesIpv4AndIpv6)
{
    auto ipv4 = parse_listen_address("127.0.0.1:1194");
    ASSERT_TRUE(ipv4);
    EXPECT_EQ(ipv4->address, "127.0.0.1");
    EXPECT_EQ(ipv4->port, 1194);
    EXPECT_FALSE(ipv4->ipv6);

    auto ipv6 = parse_listen_address("[::1]:16000");
    ASSERT_TRUE(ipv6);
    EXPECT_EQ(ipv6->address, "::1");
    EXPECT_EQ(ipv6->port, 16000);
    EXPECT_TRUE(ipv6->ipv6);
    EXPECT_EQ(ipv6->to_string(), "[::1]:16000");
}

TEST(ListenAddress, RejectsMalformedText)
{
    for (const auto* text : {"", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "localhost:1194",
                             "::1:1194", "[::1]", "[::1]:x", "127.0.0.1:12a", "[127.0.0.1]:1"}) {
        auto parsed = parse_listen_address(text);
        EXPECT_FALSE(parsed) << text;
        if (!parsed) {
            EXPECT_EQ(parsed.error().code, Errc::invalid_argument) << text;
        }
    }
}

} // namespace
} // namespace robur::vpn
