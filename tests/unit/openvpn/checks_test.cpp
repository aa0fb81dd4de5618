#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "formats/openvpn/checks.hpp"
#include "formats/openvpn/key_files.hpp"
#include "formats/openvpn/pki.hpp"

namespace robur::openvpn {
namespace {

constexpr std::int64_t day = 86400;

class ConfigChecks : public ::testing::Test {
protected:
    void SetUp() override
    {
        now_ = static_cast<std::int64_t>(std::time(nullptr));
        auto ca_key = *generate_private_key(KeyAlgorithm::ecdsa_p256);
        issuer_ = {*create_ca_certificate(ca_key, "Test CA", now_ - day, now_ + 3650 * day),
                   ca_key};
        files_["ca.crt"] = issuer_.certificate_pem;
        add_leaf("server", CertificateRole::server, now_ + 800 * day);
        add_leaf("client", CertificateRole::client, now_ + 800 * day);
        files_["ta.key"] = write_static_key(*generate_static_key());
        files_["crl.pem"] = *issue_crl(issuer_, {}, 1, now_, now_ + 180 * day);
    }

    void add_leaf(const std::string& name, CertificateRole role, std::int64_t not_after)
    {
        const auto key = *generate_private_key(KeyAlgorithm::ecdsa_p256);
        files_[name + ".key"] = key;
        files_[name + ".crt"] =
            *issue_certificate(issuer_, key, {name, role, now_ - day, not_after, {}});
    }

    std::vector<Diagnostic> check(const std::string& text)
    {
        auto parsed = parse_config(text, "test.conf", nullptr);
        const FileReader reader = [this](std::string_view path) -> std::optional<std::string> {
            const auto found = files_.find(std::string(path));
            return found == files_.end() ? std::nullopt : std::optional(found->second);
        };
        return check_config(parsed.config, "test.conf", reader, {.now = now_});
    }

    static const Diagnostic* find(const std::vector<Diagnostic>& diagnostics,
                                  std::string_view fragment)
    {
        const auto found = std::ranges::find_if(diagnostics, [&](const Diagnostic& diagnostic) {
            return diagnostic.message.find(fragment) != std::string::npos;
        });
        return found == diagnostics.end() ? nullptr : &*found;
    }

    static std::string dump(const std::vector<Diagnostic>& diagnostics)
    {
        std::string text;
        for (const auto& diagnostic : diagnostics) {
            text += diagnostic.to_string() + "\n";
        }
        return text;
    }

    std::string server_config() const
    {
        return "server 10.8.0.0 255.255.255.0\n"
               "dev tun\n"
               "ca ca.crt\n"
               "cert server.crt\n"
               "key server.key\n"
               "dh none\n"
               "crl-verify crl.pem\n"
               "tls-crypt ta.key\n";
    }

    std::int64_t now_ = 0;
    Issuer issuer_;
    std::map<std::string, std::string> files_;
};

TEST_F(ConfigChecks, AcceptsCompleteServer)
{
    const auto diagnostics = check(server_config());
    EXPECT_FALSE(has_errors(diagnostics)) << dump(diagnostics);
}

TEST_F(ConfigChecks, RejectsCleartextTunnel)
{
    const auto diagnostics = check("dev tun\nifconfig 10.0.0.1 10.0.0.2\n");
    const auto* found = find(diagnostics, "cleartext");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->severity, Severity::error);
    EXPECT_EQ(found->where.line, 1U);
}

TEST_F(ConfigChecks, RejectsStaticKeyWithoutCipher)
{
    const auto diagnostics = check("dev tun\nsecret ta.key\n");
    const auto* found = find(diagnostics, "without a cipher");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->severity, Severity::error);
    EXPECT_EQ(found->where.line, 2U);
    EXPECT_FALSE(has_errors(check("dev tun\nsecret ta.key\ncipher AES-256-CBC\n")));
}

TEST_F(ConfigChecks, WarnsCipherMissingInDataCiphers)
{
    const auto diagnostics = check(server_config() + "cipher AES-256-CBC\n");
    const auto* found = find(diagnostics, "missing in data-ciphers");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->severity, Severity::warning);
    EXPECT_EQ(found->where.line, 9U);
    EXPECT_EQ(find(check(server_config() + "cipher AES-256-GCM\n"), "data-ciphers"), nullptr);
}

TEST_F(ConfigChecks, WarnsCompression)
{
    const auto diagnostics = check(server_config() + "comp-lzo\n");
    const auto* found = find(diagnostics, "compression");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->severity, Severity::warning);
    EXPECT_EQ(find(check(server_config() + "comp-lzo no\n"), "compression"), nullptr);
}

TEST_F(ConfigChecks, RejectsClientAndServerTogether)
{
    const auto diagnostics = check(server_config() + "client\nremote vpn.example.com\n");
    ASSERT_NE(find(diagnostics, "client and server mode"), nullptr) << dump(diagnostics);
    const auto* remote = find(diagnostics, "remote cannot be used");
    ASSERT_NE(remote, nullptr);
    EXPECT_EQ(remote->where.line, 10U);
}

TEST_F(ConfigChecks, WarnsDhInClient)
{
    const auto diagnostics = check("client\ndev tun\nremote vpn.example.com\nca ca.crt\n"
                                   "cert client.crt\nkey client.key\nremote-cert-tls server\n"
                                   "dh dh.pem\n");
    const auto* found = find(diagnostics, "dh is ignored");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->where.line, 8U);
}

TEST_F(ConfigChecks, ReportsMissingFileAtItsLine)
{
    files_.erase("crl.pem");
    const auto diagnostics = check(server_config());
    const auto* found = find(diagnostics, "not found");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->where.line, 7U);
    EXPECT_NE(found->message.find("crl.pem"), std::string::npos);
}

TEST_F(ConfigChecks, ResolvesFilesAgainstCd)
{
    files_["/etc/openvpn/ca.crt"] = files_["ca.crt"];
    const auto diagnostics = check("cd /etc/openvpn\n" + server_config());
    const auto* found = find(diagnostics, "not found");
    ASSERT_NE(found, nullptr);
    EXPECT_NE(found->message.find("/etc/openvpn/server.crt"), std::string::npos);
}

TEST_F(ConfigChecks, RejectsKeyNotMatchingCertificate)
{
    files_["server.key"] = files_["client.key"];
    const auto diagnostics = check(server_config());
    const auto* found = find(diagnostics, "does not match");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->where.line, 5U);
}

TEST_F(ConfigChecks, WarnsServerCertificateWithoutServerAuth)
{
    files_["server.crt"] = files_["client.crt"];
    files_["server.key"] = files_["client.key"];
    const auto diagnostics = check(server_config());
    const auto* found = find(diagnostics, "serverAuth");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->where.line, 4U);
}

TEST_F(ConfigChecks, ReportsExpiredAndExpiringCertificates)
{
    add_leaf("server", CertificateRole::server, now_ - 10);
    auto diagnostics = check(server_config());
    const auto* expired = find(diagnostics, "expired on");
    ASSERT_NE(expired, nullptr) << dump(diagnostics);
    EXPECT_EQ(expired->severity, Severity::error);

    add_leaf("server", CertificateRole::server, now_ + 10 * day);
    diagnostics = check(server_config());
    const auto* expiring = find(diagnostics, "within 30 days");
    ASSERT_NE(expiring, nullptr) << dump(diagnostics);
    EXPECT_EQ(expiring->severity, Severity::warning);
}

TEST_F(ConfigChecks, RejectsCertificateFromOtherCa)
{
    const auto other_key = *generate_private_key(KeyAlgorithm::ecdsa_p256);
    const Issuer other{*create_ca_certificate(other_key, "Other CA", now_ - day, now_ + day * 99),
                       other_key};
    files_["server.crt"] = *issue_certificate(
        other, files_["server.key"], {"server", CertificateRole::server, now_ - 1, now_ + 99 * day, {}});
    const auto diagnostics = check(server_config());
    const auto* found = find(diagnostics, "does not verify");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->where.line, 4U);
}

TEST_F(ConfigChecks, ReportsExpiredAndExpiringCrl)
{
    files_["crl.pem"] = *issue_crl(issuer_, {}, 2, now_ - 20 * day, now_ - day);
    auto diagnostics = check(server_config());
    const auto* expired = find(diagnostics, "CRL expired");
    ASSERT_NE(expired, nullptr) << dump(diagnostics);
    EXPECT_EQ(expired->severity, Severity::error);
    EXPECT_EQ(expired->where.line, 7U);

    files_["crl.pem"] = *issue_crl(issuer_, {}, 3, now_, now_ + 3 * day);
    diagnostics = check(server_config());
    const auto* expiring = find(diagnostics, "within 7 days");
    ASSERT_NE(expiring, nullptr) << dump(diagnostics);
    EXPECT_EQ(expiring->severity, Severity::warning);
}

TEST_F(ConfigChecks, RejectsCrlOfOtherCa)
{
    const auto other_key = *generate_private_key(KeyAlgorithm::ecdsa_p256);
    const Issuer other{*create_ca_certificate(other_key, "Other CA", now_ - day, now_ + day * 99),
                       other_key};
    files_["crl.pem"] = *issue_crl(other, {}, 1, now_, now_ + 30 * day);
    ASSERT_NE(find(check(server_config()), "not signed by the ca"), nullptr);
}

TEST_F(ConfigChecks, ReportsBadKeyFileLine)
{
    auto text = files_["ta.key"];
    text.replace(text.find('\n', text.find("V1-----")) + 1, 1, "z");
    files_["ta.key"] = text;
    const auto diagnostics = check(server_config());
    const auto* found = find(diagnostics, "hexadecimal");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->where.path, "ta.key");
    EXPECT_EQ(found->where.line, 5U);
}

TEST_F(ConfigChecks, ReportsBadInlineKeyAtConfigLine)
{
    const auto diagnostics = check("server 10.8.0.0 255.255.255.0\ndev tun\nca ca.crt\n"
                                   "cert server.crt\nkey server.key\ndh none\n<tls-crypt>\n"
                                   "-----BEGIN OpenVPN Static key V1-----\nxyz\n"
                                   "</tls-crypt>\n");
    const auto* found = find(diagnostics, "tls-crypt (inline)");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->where.line, 9U);
}

TEST_F(ConfigChecks, RequiresScriptSecurityForUp)
{
    const auto diagnostics = check(server_config() + "up ./up.sh\n");
    const auto* found = find(diagnostics, "script-security");
    ASSERT_NE(found, nullptr) << dump(diagnostics);
    EXPECT_EQ(found->severity, Severity::error);
    EXPECT_EQ(find(check(server_config() + "script-security 2\nup ./up.sh\n"), "script-security"),
              nullptr);
}

// openvpn 2.6.14 runs the corpus ok/ configs when their files are present, so the semantic
// checks must not report errors on them.
TEST(ConfigChecksCorpus, OkConfigsHaveNoErrors)
{
    const auto corpus = std::filesystem::path(ROBUR_CORPUS_DIR) / "vpn";
    if (!std::filesystem::exists(corpus)) {
        GTEST_SKIP() << "corpus not found at " << corpus;
    }
    const FileReader reader = [&](std::string_view path) -> std::optional<std::string> {
        std::ifstream stream(corpus / "files" / std::string(path));
        if (!stream) {
            return std::nullopt;
        }
        std::ostringstream content;
        content << stream.rdbuf();
        return content.str();
    };
    for (const auto& entry : std::filesystem::directory_iterator(corpus / "ok")) {
        // openvpn 2.6.14 stops on this one too: its plugin and ../../sample-keys/ are absent.
        if (entry.path().filename() == "openvpn26-kme-server.ovpn") {
            continue;
        }
        const auto text = reader("../ok/" + entry.path().filename().string());
        ASSERT_TRUE(text.has_value());
        const IncludeReader includes = [&](std::string_view name) -> Result<std::string> {
            auto content = reader(name);
            if (!content) {
                return make_error(Errc::not_found, "not found");
            }
            return *content;
        };
        auto parsed = parse_config(*text, entry.path().string(), includes);
        // The corpus material is valid to 2036; check it at a fixed time before that.
        const auto diagnostics = check_config(parsed.config, entry.path().string(), reader,
                                              {.now = 1798761600}); // 2027-01-01
        for (const auto& diagnostic : diagnostics) {
            EXPECT_NE(diagnostic.severity, Severity::error) << diagnostic.to_string();
        }
    }
}

} // namespace
} // namespace robur::openvpn
