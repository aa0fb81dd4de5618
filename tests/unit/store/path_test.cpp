#include "store/path.hpp"

#include <gtest/gtest.h>

namespace robur::store {
namespace {

TEST(PrivatePath, CoversKeysUsersAndVpnKeyMaterial)
{
    EXPECT_TRUE(is_private_path("keys/tsig.example.key"));
    EXPECT_TRUE(is_private_path("users/alice.conf"));
    EXPECT_TRUE(is_private_path("vpn/office/pki/private/ca.key"));
    EXPECT_TRUE(is_private_path("vpn/office/pki/revoked/private_by_serial/0A1B.key"));
    EXPECT_TRUE(is_private_path("vpn/office/pki/tls-crypt.key"));
}

TEST(PrivatePath, LeavesPublicFilesAlone)
{
    EXPECT_FALSE(is_private_path("zones/example.com.zone"));
    EXPECT_FALSE(is_private_path("vpn/office/server.conf"));
    EXPECT_FALSE(is_private_path("vpn/office/pki/issued/alice.crt"));
    EXPECT_FALSE(is_private_path("vpn/office/pki/crl.pem"));
    EXPECT_FALSE(is_private_path("calendars/alice/work/event.ics"));
}

} // namespace
} // namespace robur::store
