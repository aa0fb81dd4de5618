// BIND key files: reading dnssec-keygen's files, writing files BIND reads, and the errors.

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "formats/dnssec/key_file.hpp"
#include "formats/zone/name.hpp"

namespace robur::dnssec {
namespace {

std::string data_path(std::string_view file)
{
    return std::string(ROBUR_TEST_DATA_DIR) + "/dnssec/" + std::string(file);
}

std::string read_text(const std::string& path)
{
    std::ifstream input(path, std::ios::binary);
    EXPECT_TRUE(input) << "cannot open " << path;
    std::ostringstream text;
    text << input.rdbuf();
    return text.str();
}

Result<KeyFiles> read_bind_key(std::string_view stem)
{
    const std::string stem_text(stem);
    return parse_key_files(read_text(data_path(stem_text + ".key")), stem_text + ".key",
                           read_text(data_path(stem_text + ".private")), stem_text + ".private");
}

zone::Name name(std::string_view text)
{
    return zone::Name::parse(text).value();
}

KeyFiles generated(Algorithm algorithm, std::uint16_t flags = 257)
{
    auto key = generate_key(name("example.com."), algorithm, flags);
    EXPECT_TRUE(key) << key.error().message;
    KeyTiming timing;
    timing.created = 1796427908;
    timing.publish = 1796427908;
    timing.activate = 1796427908;
    return KeyFiles{key.value(), timing};
}

constexpr std::string_view bind_stems[] = {
    "Kexample.com.+008+03022",
    "Kexample.com.+013+26493",
    "Kexample.com.+015+45018",
};

constexpr std::string_view ecdsa_private_header =
    "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\n";

TEST(KeyFile, ReadsDnssecKeygenFiles)
{
    for (const auto stem : bind_stems) {
        const auto files = read_bind_key(stem);
        ASSERT_TRUE(files) << stem << ": " << files.error().to_string();
        EXPECT_EQ(key_file_stem(files->key), stem);
        EXPECT_EQ(files->key.owner, name("example.com."));
        EXPECT_EQ(files->key.flags, 257);
        EXPECT_EQ(files->timing.created, parse_key_time("20261204234508"));
        EXPECT_EQ(files->timing.activate, parse_key_time("20261204234508"));
        EXPECT_FALSE(files->timing.inactive);
    }
}

TEST(KeyFile, WritesPrivateFileAsDnssecKeygenDoes)
{
    for (const auto stem : bind_stems) {
        const auto files = read_bind_key(stem);
        ASSERT_TRUE(files) << stem << ": " << files.error().to_string();
        const auto text = format_private_key_file(*files);
        ASSERT_TRUE(text) << text.error().message;
        EXPECT_EQ(*text, read_text(data_path(std::string(stem) + ".private"))) << stem;
    }
}

TEST(KeyFile, WritesPublicFileWithCommentsAndDnskey)
{
    const auto files = read_bind_key("Kexample.com.+013+26493");
    ASSERT_TRUE(files) << files.error().to_string();
    const std::string text = format_public_key_file(*files);
    EXPECT_EQ(text, "; This is a key-signing key, keyid 26493, for example.com.\n"
                    "; Created: 20261204234508 (Fri Dec  4 23:45:08 2026)\n"
                    "; Publish: 20261204234508 (Fri Dec  4 23:45:08 2026)\n"
                    "; Activate: 20261204234508 (Fri Dec  4 23:45:08 2026)\n"
                    "example.com. IN DNSKEY 257 3 13 l1KECfkNmyRbizaMPFtJUYK+nSYA/aVoYkg6UdD+FoJo"
                    "vdvbqcft3wnSWoNZi8PQ8kRn/TiGDHVFkHYnNZ5jMQ==\n");
}

TEST(KeyFile, ReadsEveryTimingField)
{
    const auto files = read_bind_key("Kexample.com.+013+38920");
    ASSERT_TRUE(files) << files.error().to_string();

    EXPECT_EQ(files->timing.created, parse_key_time("20261205021247"));
    EXPECT_EQ(files->timing.publish, parse_key_time("20270101000000"));
    EXPECT_EQ(files->timing.activate, parse_key_time("20270102000000"));
    EXPECT_EQ(files->timing.revoke, parse_key_time("20270215000000"));
    EXPECT_EQ(files->timing.inactive, parse_key_time("20270201000000"));
    EXPECT_EQ(files->timing.remove, parse_key_time("20270301000000"));
}

TEST(KeyFile, WritesEveryTimingFieldAsBind)
{
    const std::string stem = "Kexample.com.+013+38920";
    const auto files = read_bind_key(stem);
    ASSERT_TRUE(files) << files.error().to_string();

    const auto private_text = format_private_key_file(*files);
    ASSERT_TRUE(private_text) << private_text.error().message;
    EXPECT_EQ(*private_text, read_text(data_path(stem + ".private")));

    // BIND splits the base64 of the DNSKEY line, so only the comment lines compare verbatim.
    const std::string bind_text = read_text(data_path(stem + ".key"));
    const std::string public_text = format_public_key_file(*files);
    const auto comments_end = bind_text.find("example.com. IN DNSKEY");
    ASSERT_NE(comments_end, std::string::npos);
    EXPECT_EQ(public_text.substr(0, comments_end), bind_text.substr(0, comments_end));
}

TEST(KeyFile, NamesZoneSigningKeys)
{
    const KeyFiles files = generated(Algorithm::ed25519, 256);
    EXPECT_TRUE(format_public_key_file(files).starts_with("; This is a zone-signing key"));
}

TEST(KeyFile, RoundTripsGeneratedKeys)
{
    for (const auto algorithm :
         {Algorithm::rsasha256, Algorithm::ecdsap256sha256, Algorithm::ed25519}) {
        const KeyFiles files = generated(algorithm);
        const std::string public_text = format_public_key_file(files);
        const auto private_text = format_private_key_file(files);
        ASSERT_TRUE(private_text) << private_text.error().message;

        const auto read = parse_key_files(public_text, "a.key", *private_text, "a.private");
        ASSERT_TRUE(read) << read.error().to_string();
        EXPECT_EQ(read->key.public_key(), files.key.public_key());
        EXPECT_EQ(read->key.key_tag(), files.key.key_tag());
        EXPECT_EQ(read->key.algorithm, algorithm);
        EXPECT_EQ(read->timing.created, files.timing.created);
        EXPECT_EQ(format_private_key_file(read.value()).value(), *private_text);
    }
}

TEST(KeyFile, NamesRootZoneFilesWithDot)
{
    KeyFiles files = generated(Algorithm::ed25519);
    files.key.owner = zone::Name();
    EXPECT_TRUE(key_file_stem(files.key).starts_with("K.+015+"));
}

TEST(KeyFile, RejectsPrivateKeyOfAnotherKey)
{
    for (const auto algorithm :
         {Algorithm::rsasha256, Algorithm::ecdsap256sha256, Algorithm::ed25519}) {
        const KeyFiles files = generated(algorithm);
        const KeyFiles other = generated(algorithm);
        const auto read = parse_key_files(format_public_key_file(files), "a.key",
                                          format_private_key_file(other).value(), "b.private");
        ASSERT_FALSE(read) << algorithm_name(algorithm);
        EXPECT_EQ(read.error().code, Errc::invalid_argument);
        ASSERT_TRUE(read.error().where);
        EXPECT_EQ(read.error().where->path, "b.private");
    }
}

TEST(KeyFile, RejectsAlgorithmDifferentFromDnskey)
{
    const KeyFiles files = generated(Algorithm::ecdsap256sha256);
    std::string private_text = format_private_key_file(files).value();
    private_text.replace(private_text.find("13 (ECDSAP256SHA256)"), 20, "15 (ED25519)");
    const auto read =
        parse_key_files(format_public_key_file(files), "a.key", private_text, "a.private");
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, Errc::parse_error);
    EXPECT_EQ(read.error().where->line, 2U);
}

TEST(KeyFile, RejectsMalformedPrivateFiles)
{
    const KeyFiles files = generated(Algorithm::ecdsap256sha256);
    const std::string public_text = format_public_key_file(files);
    const struct {
        std::string text;
        std::uint32_t line;
    } cases[] = {
        {std::string(ecdsa_private_header) + "PrivateKey: not base64!\n", 3},
        {std::string(ecdsa_private_header) + "PrivateKey: AAAA\n", 3},
        {std::string(ecdsa_private_header) + "no colon here\n", 3},
        {std::string(ecdsa_private_header) + "Created: 2026\nPrivateKey: AAAA\n", 3},
        {"Private-key-format: v2.0\nAlgorithm: 13 (ECDSAP256SHA256)\n", 1},
        {"Private-key-format: v1.3\nAlgorithm: thirteen\n", 2},
        {std::string(ecdsa_private_header) + "Algorithm: 13\n", 3},
        {std::string(ecdsa_private_header), 0},
        {"Algorithm: 13 (ECDSAP256SHA256)\n", 1},
    };
    for (const auto& item : cases) {
        const auto read = parse_key_files(public_text, "a.key", item.text, "a.private");
        ASSERT_FALSE(read) << item.text;
        EXPECT_EQ(read.error().code, Errc::parse_error) << item.text;
        ASSERT_TRUE(read.error().where) << item.text;
        EXPECT_EQ(read.error().where->path, "a.private") << item.text;
        EXPECT_EQ(read.error().where->line, item.line) << item.text << read.error().message;
    }
}

TEST(KeyFile, RejectsRsaFileWithoutCrtField)
{
    const KeyFiles files = generated(Algorithm::rsasha256);
    std::string private_text = format_private_key_file(files).value();
    const auto start = private_text.find("Coefficient:");
    private_text.erase(start, private_text.find('\n', start) - start + 1);
    const auto read =
        parse_key_files(format_public_key_file(files), "a.key", private_text, "a.private");
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("Coefficient"), std::string::npos);
}

TEST(KeyFile, RejectsMalformedPublicFiles)
{
    const struct {
        std::string text;
        std::uint32_t line;
    } cases[] = {
        {"; only a comment\n", 0},
        {"example.com. IN DNSKEY 257 3 15 AAAA\nexample.com. IN DNSKEY 257 3 15 AAAA\n", 2},
        {"example.com. IN A 192.0.2.1\n", 0},
        {"example.com. IN DNSKEY 257 2 15 zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=\n", 1},
        {"; comment\nexample.com. IN DNSKEY 257 3 15 !!!\n", 2},
    };
    for (const auto& item : cases) {
        const auto read = parse_public_key_file(item.text, "a.key");
        ASSERT_FALSE(read) << item.text;
        EXPECT_EQ(read.error().code, Errc::parse_error) << item.text;
        ASSERT_TRUE(read.error().where) << item.text;
        EXPECT_EQ(read.error().where->path, "a.key") << item.text;
        EXPECT_EQ(read.error().where->line, item.line) << item.text << read.error().message;
    }
}

TEST(KeyFile, RejectsAlgorithmRoburDoesNotSignWith)
{
    const auto read =
        parse_key_files("example.com. IN DNSKEY 257 3 5 AwEAAQ==\n", "a.key",
                        "Private-key-format: v1.3\nAlgorithm: 5 (RSASHA1)\n", "a.private");
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, Errc::unsupported);
}

TEST(KeyFile, ReadsDnskeyWithTtlAndParentheses)
{
    const auto record = parse_public_key_file("example.com. 3600 IN DNSKEY 257 3 15 (\n  "
                                              "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs= )\n",
                                              "a.key");
    ASSERT_TRUE(record) << record.error().to_string();
    EXPECT_EQ(record->ttl, 3600U);
    EXPECT_EQ(record->rdata.size(), 4U + 32U);
}

TEST(KeyFile, RejectsEveryTruncationWithoutCrashing)
{
    // Every prefix of valid files either reads as the same key or fails with an error; the
    // sanitizer builds check that none of them reads out of bounds.
    for (const auto algorithm :
         {Algorithm::rsasha256, Algorithm::ecdsap256sha256, Algorithm::ed25519}) {
        const KeyFiles files = generated(algorithm);
        const std::string public_text = format_public_key_file(files);
        const std::string private_text = format_private_key_file(files).value();
        for (std::size_t length = 0; length < private_text.size(); ++length) {
            const auto read =
                parse_key_files(public_text, "a.key", private_text.substr(0, length), "a.private");
            if (read) {
                EXPECT_EQ(read->key.public_key(), files.key.public_key());
            }
        }
        for (std::size_t length = 0; length < public_text.size(); ++length) {
            const auto read =
                parse_key_files(public_text.substr(0, length), "a.key", private_text, "a.private");
            if (read) {
                EXPECT_EQ(read->key.public_key(), files.key.public_key());
            }
        }
    }
}

TEST(KeyTime, ParsesAndFormatsUtcTimestamps)
{
    EXPECT_EQ(parse_key_time("19700101000000"), 0);
    EXPECT_EQ(parse_key_time("20261204234508"), 1796427908);
    EXPECT_EQ(format_key_time(1796427908), "20261204234508");
    EXPECT_EQ(format_key_time(0), "19700101000000");
}

TEST(KeyTime, RejectsMalformedTimestamps)
{
    for (std::string_view text :
         {"", "2026120423450", "202612042345089", "20261304234508", "20260231000000",
          "20261204244508", "2026120423450x", "19691231235959"}) {
        EXPECT_FALSE(parse_key_time(text)) << text;
    }
}

} // namespace
} // namespace robur::dnssec
