#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "formats/openvpn/pki.hpp"

namespace robur::openvpn {
namespace {

constexpr std::int64_t day = 86400;

struct TestPki {
    Issuer issuer;
    std::string server_key;
    std::string server_certificate;
    std::string client_key;
    std::string client_certificate;
};

TestPki make_pki(KeyAlgorithm algorithm, std::int64_t now)
{
    TestPki pki;
    auto ca_key = generate_private_key(algorithm);
    EXPECT_TRUE(ca_key.has_value());
    auto ca = create_ca_certificate(*ca_key, "Test CA", now, now + 3650 * day);
    EXPECT_TRUE(ca.has_value()) << (ca ? "" : ca.error().message);
    pki.issuer = {*ca, *ca_key};

    pki.server_key = *generate_private_key(algorithm);
    auto server = issue_certificate(pki.issuer, pki.server_key,
                                    {"server", CertificateRole::server, now, now + 825 * day,
                                     {"vpn.example.com", "192.0.2.1"}});
    EXPECT_TRUE(server.has_value()) << (server ? "" : server.error().message);
    pki.server_certificate = server.value_or("");

    pki.client_key = *generate_private_key(algorithm);
    auto client = issue_certificate(pki.issuer, pki.client_key,
                                    {"client1", CertificateRole::client, now, now + 825 * day, {}});
    EXPECT_TRUE(client.has_value());
    pki.client_certificate = client.value_or("");
    return pki;
}

// Runs a shell command and returns its exit status.
int run(const std::string& command)
{
    return std::system((command + " >/dev/null 2>&1").c_str());
}

class PkiFolder : public ::testing::Test {
protected:
    void SetUp() override
    {
        folder_ = std::filesystem::temp_directory_path() /
                  ("robur-pki-test-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(folder_);
    }
    void TearDown() override { std::filesystem::remove_all(folder_); }

    std::string write(const std::string& name, const std::string& content)
    {
        const auto path = folder_ / name;
        std::ofstream(path) << content;
        return path.string();
    }

    std::filesystem::path folder_;
};

TEST(Pki, ParsesKeyAlgorithms)
{
    EXPECT_EQ(parse_key_algorithm("ecdsa"), KeyAlgorithm::ecdsa_p256);
    EXPECT_EQ(parse_key_algorithm("ed25519"), KeyAlgorithm::ed25519);
    EXPECT_EQ(parse_key_algorithm("rsa"), KeyAlgorithm::rsa3072);
    auto bad = parse_key_algorithm("dsa");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("'dsa'"), std::string::npos);
}

TEST(Pki, GeneratesEveryKeyType)
{
    for (const auto algorithm :
         {KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ed25519, KeyAlgorithm::rsa3072}) {
        auto key = generate_private_key(algorithm);
        ASSERT_TRUE(key.has_value());
        EXPECT_NE(key->find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
    }
}

TEST(Pki, CaCertificateHasCaExtensions)
{
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const auto pki = make_pki(KeyAlgorithm::ecdsa_p256, now);
    auto info = read_certificate_info(pki.issuer.certificate_pem);
    ASSERT_TRUE(info.has_value());
    EXPECT_TRUE(info->is_ca);
    EXPECT_TRUE(info->self_signed);
    EXPECT_EQ(info->common_name, "Test CA");
    ASSERT_TRUE(info->key_usage.has_value());
    EXPECT_NE(*info->key_usage & 0x04U, 0U); // keyCertSign
    EXPECT_NE(*info->key_usage & 0x02U, 0U); // cRLSign
    EXPECT_EQ(info->serial.size(), 32U);
    EXPECT_EQ(info->not_after - info->not_before, 3650 * day);
}

TEST(Pki, LeafCertificatesCarryTheirPurpose)
{
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const auto pki = make_pki(KeyAlgorithm::ecdsa_p256, now);
    auto server = read_certificate_info(pki.server_certificate);
    auto client = read_certificate_info(pki.client_certificate);
    ASSERT_TRUE(server.has_value());
    ASSERT_TRUE(client.has_value());
    EXPECT_FALSE(server->is_ca);
    ASSERT_TRUE(server->extended_key_usage.has_value());
    EXPECT_NE(*server->extended_key_usage & 0x01U, 0U); // XKU_SSL_SERVER
    ASSERT_TRUE(client->extended_key_usage.has_value());
    EXPECT_NE(*client->extended_key_usage & 0x02U, 0U); // XKU_SSL_CLIENT
    EXPECT_EQ(*client->extended_key_usage & 0x01U, 0U);
    ASSERT_TRUE(server->key_usage.has_value());
    EXPECT_NE(*server->key_usage & 0x08U, 0U); // keyAgreement for an EC key
    EXPECT_NE(server->serial, client->serial);
}

TEST(Pki, KeyMatchesOnlyItsCertificate)
{
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const auto pki = make_pki(KeyAlgorithm::ed25519, now);
    EXPECT_EQ(key_matches_certificate(pki.server_certificate, pki.server_key), true);
    EXPECT_EQ(key_matches_certificate(pki.server_certificate, pki.client_key), false);
    EXPECT_FALSE(key_matches_certificate("junk", pki.client_key).has_value());
}

TEST(Pki, VerifiesChainAndRejectsForeignCa)
{
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const auto pki = make_pki(KeyAlgorithm::ecdsa_p256, now);
    const auto other = make_pki(KeyAlgorithm::ecdsa_p256, now);
    EXPECT_TRUE(verify_certificate(pki.issuer.certificate_pem, pki.client_certificate, now));
    auto foreign = verify_certificate(other.issuer.certificate_pem, pki.client_certificate, now);
    ASSERT_FALSE(foreign.has_value());
    EXPECT_EQ(foreign.error().code, Errc::validation_failed);
    auto expired =
        verify_certificate(pki.issuer.certificate_pem, pki.client_certificate, now + 900 * day);
    ASSERT_FALSE(expired.has_value());
    EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
}

TEST(Pki, CrlListsRevokedSerials)
{
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const auto pki = make_pki(KeyAlgorithm::rsa3072, now);
    const auto client = read_certificate_info(pki.client_certificate);
    ASSERT_TRUE(client.has_value());
    auto crl = issue_crl(pki.issuer, {{client->serial, now}}, 7, now, now + 180 * day);
    ASSERT_TRUE(crl.has_value()) << crl.error().message;
    auto info = read_crl_info(*crl);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->crl_number, 7U);
    EXPECT_EQ(info->next_update, now + 180 * day);
    ASSERT_EQ(info->revoked.size(), 1U);
    EXPECT_EQ(info->revoked[0].serial, client->serial);
    EXPECT_EQ(crl_signed_by(*crl, pki.issuer.certificate_pem), true);
}

TEST(Pki, RandomSerialsAreSixteenPositiveOctets)
{
    for (int i = 0; i < 50; ++i) {
        auto serial = random_serial();
        ASSERT_TRUE(serial.has_value());
        ASSERT_EQ(serial->size(), 32U);
        EXPECT_GE((*serial)[0], '4');
        EXPECT_LE((*serial)[0], '7');
    }
}

TEST(Pki, RejectsEmptyCommonName)
{
    auto key = generate_private_key(KeyAlgorithm::ecdsa_p256);
    ASSERT_TRUE(key.has_value());
    auto ca = create_ca_certificate(*key, "", 0, 100);
    ASSERT_FALSE(ca.has_value());
    EXPECT_EQ(ca.error().code, Errc::invalid_argument);
}

TEST_F(PkiFolder, OpensslVerifiesChainAndCrl)
{
    if (run("command -v openssl") != 0) {
        GTEST_SKIP() << "openssl not found in PATH";
    }
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    for (const auto algorithm :
         {KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ed25519, KeyAlgorithm::rsa3072}) {
        const auto pki = make_pki(algorithm, now);
        const auto ca = write("ca.crt", pki.issuer.certificate_pem);
        const auto server = write("server.crt", pki.server_certificate);
        const auto client = write("client.crt", pki.client_certificate);
        EXPECT_EQ(run("openssl verify -purpose sslserver -CAfile " + ca + " " + server), 0);
        EXPECT_EQ(run("openssl verify -purpose sslclient -CAfile " + ca + " " + client), 0);
        EXPECT_NE(run("openssl verify -purpose sslserver -CAfile " + ca + " " + client), 0);

        const auto serial = read_certificate_info(pki.client_certificate)->serial;
        const auto crl = write("crl.pem", *issue_crl(pki.issuer, {{serial, now}}, 1, now,
                                                     now + 180 * day));
        EXPECT_EQ(run("openssl crl -noout -CAfile " + ca + " -in " + crl), 0);
        EXPECT_NE(run("openssl verify -crl_check -CAfile " + ca + " -CRLfile " + crl + " " +
                      client),
                  0);
        EXPECT_EQ(run("openssl verify -crl_check -CAfile " + ca + " -CRLfile " + crl + " " +
                      server),
                  0);
    }
}

} // namespace
} // namespace robur::openvpn
