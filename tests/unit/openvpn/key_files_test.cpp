#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "formats/openvpn/key_files.hpp"

namespace robur::openvpn {
namespace {

std::string read_file(const std::filesystem::path& path)
{
    std::ifstream stream(path);
    std::ostringstream content;
    content << stream.rdbuf();
    return content.str();
}

std::filesystem::path corpus_files()
{
    return std::filesystem::path(ROBUR_CORPUS_DIR) / "vpn" / "files";
}

std::string replace_line(const std::string& text, int line, const std::string& replacement)
{
    std::istringstream in(text);
    std::string result;
    std::string current;
    for (int number = 1; std::getline(in, current); ++number) {
        result += (number == line ? replacement : current) + "\n";
    }
    return result;
}

TEST(StaticKey, WritesAndParsesBack)
{
    auto key = generate_static_key();
    ASSERT_TRUE(key.has_value());
    const auto text = write_static_key(*key);
    EXPECT_TRUE(text.starts_with("#\n# 2048 bit OpenVPN static key\n#\n"));
    auto parsed = parse_static_key(text, "ta.key");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(parsed->bytes, key->bytes);
}

TEST(StaticKey, ReportsBadHexLine)
{
    const auto text = replace_line(write_static_key(*generate_static_key()), 7,
                                   "0123456789abcdef0123456789abcdeg");
    auto parsed = parse_static_key(text, "ta.key");
    ASSERT_FALSE(parsed.has_value());
    ASSERT_TRUE(parsed.error().where.has_value());
    EXPECT_EQ(parsed.error().where->line, 7U);
    EXPECT_EQ(parsed.error().where->path, "ta.key");
}

TEST(StaticKey, ReportsShortLine)
{
    const auto text =
        replace_line(write_static_key(*generate_static_key()), 10, "0123456789abcdef");
    auto parsed = parse_static_key(text, "ta.key");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().where->line, 10U);
}

TEST(StaticKey, ReportsMissingEndLine)
{
    const auto text = replace_line(write_static_key(*generate_static_key()), 21, "");
    auto parsed = parse_static_key(text, "ta.key");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().where->line, 21U);
}

TEST(StaticKey, ReportsMissingBeginLine)
{
    auto parsed = parse_static_key("just text\n", "ta.key");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_NE(parsed.error().message.find("BEGIN OpenVPN Static key V1"), std::string::npos);
}

TEST(StaticKey, ReadsOpenvpnGenkeyOutput)
{
    const auto path = std::filesystem::temp_directory_path() /
                      ("robur-genkey-" + std::to_string(::getpid()) + ".key");
    const std::string command = "openvpn --genkey secret " + path.string() + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) {
        GTEST_SKIP() << "openvpn --genkey failed or openvpn is not installed";
    }
    const auto text = read_file(path);
    std::filesystem::remove(path);
    auto parsed = parse_static_key(text, path.string());
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(write_static_key(*parsed), text);
}

TEST(StaticKey, ReadsCorpusKeys)
{
    if (!std::filesystem::exists(corpus_files())) {
        GTEST_SKIP() << "corpus not found at " << corpus_files();
    }
    for (const auto* name : {"static.key", "ta.key"}) {
        const auto path = corpus_files() / name;
        auto parsed = parse_static_key(read_file(path), path.string());
        EXPECT_TRUE(parsed.has_value()) << name;
    }
}

TEST(TlsCryptV2, ReadsCorpusKeys)
{
    if (!std::filesystem::exists(corpus_files())) {
        GTEST_SKIP() << "corpus not found at " << corpus_files();
    }
    const auto server_path = corpus_files() / "tls-crypt-v2-server.key";
    auto server = parse_tls_crypt_v2_server_key(read_file(server_path), server_path.string());
    ASSERT_TRUE(server.has_value()) << server.error().to_string();
    EXPECT_EQ(server->size(), tls_crypt_v2_server_key_bytes);

    for (const auto* name : {"tls-crypt-v2-client.key", "tls-crypt-v2-client-timestamp.key"}) {
        const auto path = corpus_files() / name;
        auto client = parse_tls_crypt_v2_client_key(read_file(path), path.string());
        ASSERT_TRUE(client.has_value()) << name << ": " << client.error().to_string();
        EXPECT_EQ(client->key.size(), tls_crypt_v2_client_key_bytes);
        EXPECT_GT(client->wrapped_key.size(), 32U);
    }
}

TEST(TlsCryptV2, ReadsOpenvpnGenkeyOutput)
{
    const auto folder = std::filesystem::temp_directory_path() /
                        ("robur-genkey-v2-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    const auto server = (folder / "server.key").string();
    const auto client = (folder / "client.key").string();
    const std::string command = "openvpn --genkey tls-crypt-v2-server " + server +
                                " >/dev/null 2>&1 && openvpn --tls-crypt-v2 " + server +
                                " --genkey tls-crypt-v2-client " + client + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) {
        std::filesystem::remove_all(folder);
        GTEST_SKIP() << "openvpn --genkey failed or openvpn is not installed";
    }
    EXPECT_TRUE(parse_tls_crypt_v2_server_key(read_file(server), server).has_value());
    EXPECT_TRUE(parse_tls_crypt_v2_client_key(read_file(client), client).has_value());
    EXPECT_FALSE(parse_tls_crypt_v2_client_key(read_file(server), server).has_value());
    std::filesystem::remove_all(folder);
}

TEST(TlsCryptV2, RejectsTruncatedServerKey)
{
    const std::string text = "-----BEGIN OpenVPN tls-crypt-v2 server key-----\n"
                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
                             "-----END OpenVPN tls-crypt-v2 server key-----\n";
    auto parsed = parse_tls_crypt_v2_server_key(text, "v2.key");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().where->line, 1U);
    EXPECT_NE(parsed.error().message.find("expected 128"), std::string::npos);
}

TEST(PemBlocks, ReportsBadBase64Line)
{
    const std::string text = "-----BEGIN CERTIFICATE-----\nMIIB\nMI!B\n-----END CERTIFICATE-----\n";
    auto blocks = parse_pem_blocks(text, "ca.crt");
    ASSERT_FALSE(blocks.has_value());
    EXPECT_EQ(blocks.error().where->line, 3U);
}

TEST(PemBlocks, ReportsMismatchedEndLine)
{
    const std::string text = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END X509 CRL-----\n";
    auto blocks = parse_pem_blocks(text, "ca.crt");
    ASSERT_FALSE(blocks.has_value());
    EXPECT_EQ(blocks.error().where->line, 3U);
}

TEST(PemBlocks, ReportsMissingEndLine)
{
    auto blocks = parse_pem_blocks("x\n-----BEGIN CERTIFICATE-----\nMIIB\n", "ca.crt");
    ASSERT_FALSE(blocks.has_value());
    EXPECT_EQ(blocks.error().where->line, 2U);
}

TEST(KeyFileCheck, AcceptsCorpusMaterial)
{
    if (!std::filesystem::exists(corpus_files())) {
        GTEST_SKIP() << "corpus not found at " << corpus_files();
    }
    const std::vector<std::pair<const char*, KeyFileKind>> files = {
        {"ca.crt", KeyFileKind::certificates},   {"server.crt", KeyFileKind::certificates},
        {"server.key", KeyFileKind::private_key}, {"client.key", KeyFileKind::private_key},
        {"dh2048.pem", KeyFileKind::dh_parameters}, {"ta.key", KeyFileKind::static_key},
    };
    for (const auto& [name, kind] : files) {
        const auto path = corpus_files() / name;
        const auto diagnostics = check_key_file(kind, read_file(path), path.string());
        EXPECT_TRUE(diagnostics.empty()) << name << ": " << diagnostics.front().to_string();
    }
}

TEST(KeyFileCheck, RejectsWrongKind)
{
    if (!std::filesystem::exists(corpus_files())) {
        GTEST_SKIP() << "corpus not found at " << corpus_files();
    }
    const auto path = corpus_files() / "server.key";
    const auto diagnostics =
        check_key_file(KeyFileKind::certificates, read_file(path), path.string());
    ASSERT_EQ(diagnostics.size(), 1U);
    EXPECT_NE(diagnostics[0].message.find("CERTIFICATE"), std::string::npos);
}

} // namespace
} // namespace robur::openvpn
