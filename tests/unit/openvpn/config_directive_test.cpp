#include <algorithm>

#include <gtest/gtest.h>

#include "formats/openvpn/directives.hpp"

namespace robur::openvpn {
namespace {

std::vector<std::string> args(std::initializer_list<const char*> values)
{
    return {values.begin(), values.end()};
}

TEST(DirectiveTable, IsSortedAndUnique)
{
    const auto specs = directive_specs();
    EXPECT_TRUE(std::is_sorted(specs.begin(), specs.end(),
                               [](const auto& a, const auto& b) { return a.name < b.name; }));
    EXPECT_EQ(std::adjacent_find(specs.begin(), specs.end(),
                                 [](const auto& a, const auto& b) { return a.name == b.name; }),
              specs.end());
}

TEST(DirectiveTable, ArgumentCounts)
{
    const auto* remote = find_directive_spec("remote");
    ASSERT_NE(remote, nullptr);
    EXPECT_FALSE(argument_count_matches(*remote, args({})));
    EXPECT_TRUE(argument_count_matches(*remote, args({"h", "1194", "udp"})));
    EXPECT_FALSE(argument_count_matches(*remote, args({"h", "1194", "udp", "x"})));
    EXPECT_EQ(find_directive_spec("frobnicate"), nullptr);
    EXPECT_EQ(find_directive_spec("block-outside-dns"), nullptr);
}

TEST(DirectiveTable, ValueDependentMatches)
{
    const auto* crl = find_directive_spec("crl-verify");
    ASSERT_NE(crl, nullptr);
    EXPECT_TRUE(argument_count_matches(*crl, args({"crl", "dir"})));
    EXPECT_FALSE(argument_count_matches(*crl, args({"crl", "file"})));
    const auto* bridge = find_directive_spec("server-bridge");
    ASSERT_NE(bridge, nullptr);
    EXPECT_TRUE(argument_count_matches(*bridge, args({"nogw"})));
    EXPECT_FALSE(argument_count_matches(*bridge, args({"gw"})));
}

TEST(DirectiveTable, InlineAndConnectionPermissions)
{
    for (const auto* name : {"ca", "cert", "key", "tls-auth", "tls-crypt", "tls-crypt-v2",
                             "secret", "pkcs12", "dh", "crl-verify", "connection",
                             "auth-user-pass", "peer-fingerprint", "extra-certs"}) {
        const auto* spec = find_directive_spec(name);
        ASSERT_NE(spec, nullptr) << name;
        EXPECT_NE(spec->flags & flag_inline_allowed, 0) << name;
    }
    EXPECT_EQ(find_directive_spec("verb")->flags & flag_inline_allowed, 0);
    EXPECT_NE(find_directive_spec("proto")->flags & flag_connection_allowed, 0);
    EXPECT_EQ(find_directive_spec("ca")->flags & flag_connection_allowed, 0);
}

TEST(DirectiveValues, RemovedOptionIsAnError)
{
    const auto* spec = find_directive_spec("client-cert-not-required");
    ASSERT_NE(spec, nullptr);
    const auto findings = check_argument_values(*spec, {}, false);
    ASSERT_EQ(findings.size(), 1U);
    EXPECT_EQ(findings.front().severity, Severity::error);
}

TEST(DirectiveValues, RangesMirrorOpenvpn)
{
    const auto* spec = find_directive_spec("status-version");
    EXPECT_TRUE(check_argument_values(*spec, args({"2"}), false).empty());
    const auto findings = check_argument_values(*spec, args({"4"}), false);
    ASSERT_EQ(findings.size(), 1U);
    EXPECT_EQ(findings.front().message, "--status-version must be 1 to 3");
}

} // namespace
} // namespace robur::openvpn
