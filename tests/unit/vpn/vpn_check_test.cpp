#include "servers/vpn/vpn_check.hpp"

#include <gtest/gtest.h>

#include "vpn_test_support.hpp"

namespace robur::vpn {
namespace {

TEST(VpnCheck, ResolvesPathsInsideVpnFolder)
{
    EXPECT_EQ(resolve_in_vpn_folder("office", "pki/ca.crt"), "vpn/office/pki/ca.crt");
    EXPECT_EQ(resolve_in_vpn_folder("office", "./pki/../ca.crt"), "vpn/office/ca.crt");
    EXPECT_EQ(resolve_in_vpn_folder("office", "/etc/openvpn/ca.crt"), std::nullopt);
    EXPECT_EQ(resolve_in_vpn_folder("office", "../home/server.conf"), std::nullopt);
    EXPECT_EQ(resolve_in_vpn_folder("office", "pki/../../x"), std::nullopt);
    EXPECT_EQ(resolve_in_vpn_folder("office", "."), std::nullopt);
    EXPECT_EQ(resolve_in_vpn_folder("office", ""), std::nullopt);
}

TEST(VpnCheck, RejectsNamesThatAreNotOneFolder)
{
    EXPECT_TRUE(validate_vpn_name("office"));
    EXPECT_TRUE(validate_vpn_name("home-lab.2"));
    for (const auto* name : {"", ".", "..", "a/b", "tab\there"}) {
        EXPECT_FALSE(validate_vpn_name(name)) << name;
    }
}

TEST(VpnCheck, ReportsMissingServerConf)
{
    testing::TestRepository repository;
    repository.commit({{"vpn/other/server.conf", "dev null\n"}});
    auto checked = check_vpn(repository.snapshot(), "office", 0);
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().code, Errc::not_found);
    EXPECT_NE(checked.error().message.find("vpn/office/server.conf"), std::string::npos);
}

TEST(VpnCheck, ReportsSyntaxErrorsWithRepositoryPath)
{
    testing::TestRepository repository;
    repository.commit({{"vpn/office/server.conf", "dev null\nbikeshed-color green\n"}});
    auto checked = check_vpn(repository.snapshot(), "office", 0);
    ASSERT_TRUE(checked) << checked.error().to_string();
    ASSERT_TRUE(has_errors(*checked));
    bool found = false;
    for (const auto& diagnostic : *checked) {
        if (diagnostic.severity == Severity::error && diagnostic.where.line == 2) {
            EXPECT_EQ(diagnostic.where.path, "vpn/office/server.conf");
            found = true;
        }
    }
    EXPECT_TRUE(found);
}

TEST(VpnCheck, ReadsIncludesFromVpnFolderOnly)
{
    testing::TestRepository repository;
    repository.commit({{"vpn/office/server.conf", "config common.conf\nconfig ../home/x.conf\n"},
                       {"vpn/office/common.conf", "bikeshed-color green\n"},
                       {"vpn/home/x.conf", "verb 3\n"}});
    auto outcome = parse_vpn_file(repository.snapshot(), "office", "server.conf");
    ASSERT_TRUE(outcome) << outcome.error().to_string();

    // The unknown option of the included file proves it was read; the second include must
    // fail at its own line because it leaves vpn/office/.
    bool included_read = false;
    bool outside_rejected = false;
    for (const auto& diagnostic : outcome->diagnostics) {
        included_read |= diagnostic.message.find("bikeshed-color") != std::string::npos;
        outside_rejected |= diagnostic.where.path == "vpn/office/server.conf" &&
                            diagnostic.where.line == 2 &&
                            diagnostic.severity == Severity::error;
    }
    EXPECT_TRUE(included_read);
    EXPECT_TRUE(outside_rejected);
}

TEST(VpnCheck, ChecksClientConfWhenPresent)
{
    testing::TestRepository repository;
    repository.commit({{"vpn/office/server.conf", "dev null\n"},
                       {"vpn/office/client.conf", "dev null\nbikeshed-color green\n"}});
    auto checked = check_vpn(repository.snapshot(), "office", 0);
    ASSERT_TRUE(checked);
    bool client_error = false;
    for (const auto& diagnostic : *checked) {
        client_error |= diagnostic.where.path == "vpn/office/client.conf" &&
                        diagnostic.severity == Severity::error;
    }
    EXPECT_TRUE(client_error);
}

} // namespace
} // namespace robur::vpn
