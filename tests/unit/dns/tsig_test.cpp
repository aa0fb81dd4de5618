// TSIG (RFC 8945): messages signed by dnspython, dig and kdig are verified here, and messages
// signed here are verified by dnspython through tests/data/tsig/verify.py.

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/zone/name.hpp"
#include "formats/zone/text.hpp"
#include "servers/dns/tsig.hpp"
#include "servers/dns/tsig_keys.hpp"
#include "servers/dns/wire.hpp"

namespace robur::dns::tsig {
namespace {

namespace fs = std::filesystem;

const fs::path data_dir = fs::path(ROBUR_TEST_DATA_DIR) / "tsig";

struct TestKey {
    std::string_view algorithm;
    std::string_view name;
    std::string_view secret; // base64
};

// The keys of tests/data/tsig/generate.py.
constexpr TestKey test_keys[] = {
    {"hmac-sha1", "Sha1-Key.Example.", "c2hhMS1zZWNyZXQtZm9yLXRlc3Rz"},
    {"hmac-sha224", "sha224-key.example.", "c2hhMjI0LXNlY3JldC1mb3ItdGVzdHM="},
    {"hmac-sha256", "SHA256-KEY.example.", "c2hhMjU2LXNlY3JldC1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="},
    {"hmac-sha384", "sha384-key.example.", "c2hhMzg0LXNlY3JldC1mb3ItdGVzdHM="},
    {"hmac-sha512", "sha512-key.example.", "c2hhNTEyLXNlY3JldC1mb3ItdGVzdHM="},
};

// Parses text as an absolute name; the trailing dot is optional.
zone::Name name(std::string_view text)
{
    return zone::Name::parse(text, zone::Name{}).value();
}

Key make_key(const TestKey& test_key)
{
    return Key{name(test_key.name), algorithm_from_string(test_key.algorithm).value(),
               zone::text::base64_decode(test_key.secret).value()};
}

KeyTable make_table()
{
    KeyTable table;
    for (const auto& test_key : test_keys) {
        EXPECT_TRUE(table.add(KeyEntry{make_key(test_key), std::nullopt}).has_value());
    }
    return table;
}

std::vector<std::uint8_t> read_file(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A query for www.example.com A with ID 0x1234 and RD set.
std::vector<std::uint8_t> make_query()
{
    std::vector<std::uint8_t> query = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    const zone::Name qname = name("www.example.com.");
    query.insert(query.end(), qname.wire().begin(), qname.wire().end());
    query.insert(query.end(), {0, 1, 0, 1});
    return query;
}

std::uint64_t now()
{
    return static_cast<std::uint64_t>(std::time(nullptr));
}

// Verifies file with the test keys at the message's own time signed.
Verification verify_file(const std::string& file)
{
    const auto message = read_file(data_dir / file);
    auto record = find_record(message);
    EXPECT_TRUE(record.has_value()) << file;
    if (record) {
        EXPECT_TRUE(record->has_value()) << file << " carries no TSIG record";
    }
    const KeyTable table = make_table();
    const std::uint64_t at = record && *record ? (*record)->time_signed : 0;
    return verify_request(message, table.lookup(), VerifyOptions{at, 0});
}

// Runs verify.py on messages, the parts of one answer in order; returns its exit code (77:
// dnspython missing).
int verify_with_dnspython(const std::vector<std::vector<std::uint8_t>>& messages,
                          const TestKey& key, const std::vector<std::uint8_t>& request_mac = {})
{
    std::vector<fs::path> paths;
    std::string joined;
    for (const auto& message : messages) {
        paths.push_back(fs::temp_directory_path() / fmt::format("robur_tsig_{}_{}_{}.bin",
                                                                key.algorithm, ::getpid(),
                                                                paths.size()));
        std::ofstream(paths.back(), std::ios::binary)
            .write(reinterpret_cast<const char*>(message.data()),
                   static_cast<std::streamsize>(message.size()));
        joined += (joined.empty() ? "" : ",") + paths.back().string();
    }
    std::string mac_hex;
    for (auto octet : request_mac) {
        mac_hex += fmt::format("{:02x}", octet);
    }

    const std::string command =
        fmt::format("/usr/bin/python3 {} {} '{}' {} '{}' {}", (data_dir / "verify.py").string(),
                    joined, key.name, key.algorithm, key.secret, mac_hex);
    const int status = std::system(command.c_str());
    for (const auto& path : paths) {
        fs::remove(path);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(TsigVerify, AcceptsDnspythonEveryAlgorithm)
{
    for (const auto& key : test_keys) {
        const auto result = verify_file(fmt::format("dnspython_{}.bin", key.algorithm));
        EXPECT_EQ(result.status, Status::verified) << key.algorithm << ": " << result.message;
    }
}

TEST(TsigVerify, AcceptsDigAndKdig)
{
    for (std::string_view tool : {"dig", "kdig"}) {
        for (std::string_view algorithm : {"hmac-sha1", "hmac-sha256", "hmac-sha512"}) {
            const auto file = fmt::format("{}_{}.bin", tool, algorithm);
            const auto result = verify_file(file);
            EXPECT_EQ(result.status, Status::verified) << file << ": " << result.message;
        }
    }
}

TEST(TsigVerify, UnknownKeyIsBadkey)
{
    const auto message = read_file(data_dir / "dnspython_hmac-sha256.bin");
    const KeyLookup none = [](const zone::Name&) -> const Key* { return nullptr; };
    const auto result = verify_request(message, none, VerifyOptions{now(), 0});
    EXPECT_EQ(result.status, Status::badkey);
}

TEST(TsigVerify, AlgorithmMismatchIsBadkey)
{
    const auto message = read_file(data_dir / "dnspython_hmac-sha256.bin");
    Key key = make_key(test_keys[2]);
    key.algorithm = Algorithm::hmac_sha512;
    const KeyLookup lookup = [&key](const zone::Name&) { return &key; };
    const auto result = verify_request(message, lookup, VerifyOptions{now(), 0});
    EXPECT_EQ(result.status, Status::badkey);
}

TEST(TsigVerify, WrongSecretIsBadsig)
{
    const auto message = read_file(data_dir / "dnspython_hmac-sha256.bin");
    Key key = make_key(test_keys[2]);
    key.secret.back() ^= 1;
    const KeyLookup lookup = [&key](const zone::Name&) { return &key; };
    const auto record = find_record(message).value().value();
    const auto result = verify_request(message, lookup, VerifyOptions{record.time_signed, 0});
    EXPECT_EQ(result.status, Status::badsig);
}

TEST(TsigVerify, ChangedMessageIsBadsig)
{
    auto message = read_file(data_dir / "kdig_hmac-sha256.bin");
    const auto record = find_record(message).value().value();
    message[3] ^= 0x10; // flip the AD bit
    const KeyTable table = make_table();
    const auto result =
        verify_request(message, table.lookup(), VerifyOptions{record.time_signed, 0});
    EXPECT_EQ(result.status, Status::badsig);
}

TEST(TsigVerify, OldMessageIsBadtime)
{
    const auto message = read_file(data_dir / "dig_hmac-sha256.bin");
    const auto record = find_record(message).value().value();
    const KeyTable table = make_table();
    const std::uint64_t late = record.time_signed + record.fudge + 1;
    const auto result = verify_request(message, table.lookup(), VerifyOptions{late, 0});
    EXPECT_EQ(result.status, Status::badtime);
    ASSERT_NE(result.key, nullptr);

    const auto edge = verify_request(message, table.lookup(), VerifyOptions{late - 1, 0});
    EXPECT_EQ(edge.status, Status::verified);
}

// Cuts the MAC of the last (TSIG) record in message down to size octets.
std::vector<std::uint8_t> truncate_mac(const std::vector<std::uint8_t>& message, std::size_t size)
{
    const auto record = find_record(message).value().value();
    const std::size_t owner = record.key_name.wire_length();
    const std::size_t rdata = record.offset + owner + 10;
    const std::size_t mac_size_at = rdata + record.algorithm.wire_length() + 8;
    const std::size_t cut = record.mac.size() - size;

    std::vector<std::uint8_t> out(message);
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(mac_size_at + 2 + size),
              out.begin() + static_cast<std::ptrdiff_t>(mac_size_at + 2 + record.mac.size()));
    write_u16(out.data() + mac_size_at, static_cast<std::uint16_t>(size));
    write_u16(out.data() + rdata - 2,
              static_cast<std::uint16_t>(read_u16(out.data() + rdata - 2) - cut));
    return out;
}

TEST(TsigVerify, TruncatedMacWithinLimits)
{
    const auto message = read_file(data_dir / "dnspython_hmac-sha256.bin");
    const auto record = find_record(message).value().value();
    const KeyTable table = make_table();
    const VerifyOptions at{record.time_signed, 0};

    EXPECT_EQ(verify_request(truncate_mac(message, 16), table.lookup(), at).status,
              Status::verified);
    EXPECT_EQ(verify_request(truncate_mac(message, 15), table.lookup(), at).status,
              Status::formerr);

    const VerifyOptions strict{record.time_signed, 20};
    EXPECT_EQ(verify_request(truncate_mac(message, 16), table.lookup(), strict).status,
              Status::badtrunc);
}

TEST(TsigVerify, Sha1MacBelowTenOctetsIsFormerr)
{
    const auto message = read_file(data_dir / "dnspython_hmac-sha1.bin");
    const auto record = find_record(message).value().value();
    const KeyTable table = make_table();
    const VerifyOptions at{record.time_signed, 0};
    EXPECT_EQ(verify_request(truncate_mac(message, 10), table.lookup(), at).status,
              Status::verified);
    EXPECT_EQ(verify_request(truncate_mac(message, 9), table.lookup(), at).status, Status::formerr);
}

TEST(TsigVerify, UnsignedMessageHasNoRecord)
{
    const KeyTable table = make_table();
    const auto result = verify_request(make_query(), table.lookup(), VerifyOptions{now(), 0});
    EXPECT_EQ(result.status, Status::unsigned_message);
}

TEST(TsigVerify, TsigNotLastIsFormerr)
{
    auto message = read_file(data_dir / "dnspython_hmac-sha256.bin");
    const auto record = find_record(message).value().value();
    // Append a root-owned A record after the TSIG RR.
    message.insert(message.end(), {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1});
    write_u16(message.data() + 10, static_cast<std::uint16_t>(read_u16(message.data() + 10) + 1));
    const KeyTable table = make_table();
    const auto result =
        verify_request(message, table.lookup(), VerifyOptions{record.time_signed, 0});
    EXPECT_EQ(result.status, Status::formerr);
}

TEST(TsigVerify, TruncatedRecordIsFormerr)
{
    auto message = read_file(data_dir / "dnspython_hmac-sha256.bin");
    message.pop_back();
    const KeyTable table = make_table();
    const auto result = verify_request(message, table.lookup(), VerifyOptions{now(), 0});
    EXPECT_EQ(result.status, Status::formerr);
}

TEST(TsigSign, RequestVerifiesHereAndInDnspython)
{
    for (const auto& test_key : test_keys) {
        auto message = make_query();
        const Key key = make_key(test_key);
        auto mac = sign_request(message, key, SignOptions{now(), default_fudge, {}, {}});
        ASSERT_TRUE(mac.has_value());
        EXPECT_EQ(mac->size(), digest_size(key.algorithm));

        const KeyTable table = make_table();
        const auto result = verify_request(message, table.lookup(), VerifyOptions{now(), 0});
        EXPECT_EQ(result.status, Status::verified) << test_key.algorithm << ": " << result.message;

        const int code = verify_with_dnspython({message}, test_key);
        if (code == 77) {
            GTEST_SKIP() << "dnspython not found for /usr/bin/python3, skipping";
        }
        EXPECT_EQ(code, 0) << test_key.algorithm;

        message[2] ^= 0x01; // clear RD: dnspython must now reject the MAC
        EXPECT_EQ(verify_with_dnspython({message}, test_key), 1) << test_key.algorithm;
    }
}

TEST(TsigSign, AnswerVerifiesInDnspython)
{
    const KeyTable table = make_table();
    const auto request = read_file(data_dir / "dnspython_hmac-sha384.bin");
    const auto record = find_record(request).value().value();
    auto check = verify_request(request, table.lookup(), VerifyOptions{record.time_signed, 0});
    ASSERT_EQ(check.status, Status::verified);

    auto answer = make_query();
    write_u16(answer.data(), read_u16(request.data()));
    answer[2] |= 0x84; // QR and AA
    auto mac = sign_answer(answer, check, now());
    ASSERT_TRUE(mac.has_value());

    const Key key = make_key(test_keys[3]);
    EXPECT_EQ(verify_answer(answer, key, record.mac, VerifyOptions{now(), 0}).status,
              Status::verified);
    const int code = verify_with_dnspython({answer}, test_keys[3], record.mac);
    if (code == 77) {
        GTEST_SKIP() << "dnspython not found for /usr/bin/python3, skipping";
    }
    EXPECT_EQ(code, 0);
}

TEST(TsigSign, BadkeyAnswerIsUnsignedNotauth)
{
    const auto request = read_file(data_dir / "dnspython_hmac-sha256.bin");
    const KeyLookup none = [](const zone::Name&) -> const Key* { return nullptr; };
    const auto check = verify_request(request, none, VerifyOptions{now(), 0});
    ASSERT_EQ(check.status, Status::badkey);

    auto answer = make_query();
    ASSERT_TRUE(sign_answer(answer, check, now()).has_value());
    EXPECT_EQ(read_u16(answer.data() + 2) & 0xF, rcode_notauth);
    const auto record = find_record(answer).value().value();
    EXPECT_TRUE(record.mac.empty());
    EXPECT_EQ(record.error, static_cast<std::uint16_t>(TsigError::badkey));
    EXPECT_EQ(record.key_name, name("sha256-key.example"));
}

TEST(TsigSign, BadtimeAnswerCarriesServerTime)
{
    const KeyTable table = make_table();
    const auto request = read_file(data_dir / "dnspython_hmac-sha256.bin");
    const auto request_tsig = find_record(request).value().value();
    const std::uint64_t late = request_tsig.time_signed + 1000;
    const auto check = verify_request(request, table.lookup(), VerifyOptions{late, 0});
    ASSERT_EQ(check.status, Status::badtime);

    auto answer = make_query();
    ASSERT_TRUE(sign_answer(answer, check, late).has_value());
    EXPECT_EQ(read_u16(answer.data() + 2) & 0xF, rcode_notauth);
    const auto record = find_record(answer).value().value();
    EXPECT_EQ(record.error, static_cast<std::uint16_t>(TsigError::badtime));
    EXPECT_EQ(record.time_signed, request_tsig.time_signed);
    ASSERT_EQ(record.other_data.size(), 6U);
    EXPECT_EQ(read_u32(record.other_data.data() + 2), static_cast<std::uint32_t>(late));

    const Key key = make_key(test_keys[2]);
    const auto client =
        verify_answer(answer, key, request_tsig.mac, VerifyOptions{request_tsig.time_signed, 0});
    EXPECT_EQ(client.status, Status::badtime);
}

TEST(TsigSign, SubsequentMessagesVerifyInDnspython)
{
    const KeyTable table = make_table();
    const auto request = read_file(data_dir / "dnspython_hmac-sha256.bin");
    const auto request_tsig = find_record(request).value().value();
    const auto check =
        verify_request(request, table.lookup(), VerifyOptions{request_tsig.time_signed, 0});
    ASSERT_EQ(check.status, Status::verified);

    // Three messages of one answer, each signed, as an AXFR over TCP sends them.
    std::vector<std::vector<std::uint8_t>> answers(3, make_query());
    for (auto& answer : answers) {
        write_u16(answer.data(), read_u16(request.data()));
        answer[2] |= 0x84; // QR and AA
    }
    auto mac = sign_answer(answers[0], check, now());
    ASSERT_TRUE(mac.has_value());
    const Key key = make_key(test_keys[2]);
    for (std::size_t i = 1; i < answers.size(); ++i) {
        auto next =
            sign_subsequent(answers[i], key, *mac, SignOptions{now(), default_fudge, {}, {}});
        ASSERT_TRUE(next.has_value());
        EXPECT_NE(*next, *mac);
        EXPECT_EQ(find_record(answers[i]).value().value().mac, *next);
        mac = std::move(next);
    }

    const int code = verify_with_dnspython(answers, test_keys[2], request_tsig.mac);
    if (code == 77) {
        GTEST_SKIP() << "dnspython not found for /usr/bin/python3, skipping";
    }
    EXPECT_EQ(code, 0);

    answers[2][3] ^= 0x10;
    EXPECT_EQ(verify_with_dnspython(answers, test_keys[2], request_tsig.mac), 1);
}

TEST(TsigAlgorithm, RejectsMd5NamingIt)
{
    const auto md5 = algorithm_from_string("HMAC-MD5.SIG-ALG.REG.INT.");
    ASSERT_FALSE(md5.has_value());
    EXPECT_NE(md5.error().message.find("hmac-md5"), std::string::npos);
    EXPECT_EQ(algorithm_from_string("Hmac-Sha384.").value(), Algorithm::hmac_sha384);
    EXPECT_EQ(algorithm_from_name(name("HMAC-SHA224")).value(), Algorithm::hmac_sha224);
}

TEST(TsigKeys, LoadsDnskeyRecordsWithRoles)
{
    const std::string text =
        "$ORIGIN example.com.\n"
        "ns1._update DNSKEY 0 3 163 c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0MDE=\n"
        "192.0.2.1.192.0.2.2._transfer DNSKEY 0 3 165 c2VjcmV0LXNlY3JldC1zZWNyZXQ=\n"
        "x._notify.sub DNSKEY 0 3 161 c2VjcmV0LXNlY3JldC1zZWNyZXQ=\n"
        "old._transfer DNSKEY 0 3 157 c2VjcmV0LXNlY3JldC1zZWNyZXQ=\n"
        "bad._transfer DNSKEY 256 3 163 c2VjcmV0LXNlY3JldC1zZWNyZXQ=\n";
    KeyTable table;
    const auto diagnostics = load_keys(text, "example.com._keys", name("example.com"), table);
    ASSERT_EQ(diagnostics.size(), 2U);
    EXPECT_NE(diagnostics[0].message.find("old._transfer.example.com."), std::string::npos);
    EXPECT_NE(diagnostics[0].message.find("hmac-md5"), std::string::npos);
    EXPECT_EQ(diagnostics[0].where.line, 5U);
    EXPECT_NE(diagnostics[1].message.find("bad._transfer.example.com."), std::string::npos);
    ASSERT_EQ(table.size(), 3U);

    const KeyEntry* update = table.find(name("NS1._UPDATE.Example.Com"));
    ASSERT_NE(update, nullptr);
    EXPECT_EQ(update->key.algorithm, Algorithm::hmac_sha256);
    EXPECT_TRUE(authorises(*update, Operation::update, name("example.com.")));
    EXPECT_TRUE(authorises(*update, Operation::transfer, name("a.example.com")));
    EXPECT_FALSE(authorises(*update, Operation::notify, name("example.org")));

    const KeyEntry* transfer = table.find(name("192.0.2.1.192.0.2.2._transfer.example.com."));
    ASSERT_NE(transfer, nullptr);
    ASSERT_TRUE(transfer->role.has_value());
    EXPECT_EQ(transfer->role->primary, (Ipv4Address{192, 0, 2, 1}));
    EXPECT_EQ(transfer->role->secondary, (Ipv4Address{192, 0, 2, 2}));
    EXPECT_FALSE(authorises(*transfer, Operation::update, name("example.com")));
    EXPECT_TRUE(authorises(*transfer, Operation::notify, name("example.com")));

    const KeyEntry* notify = table.find(name("x._notify.sub.example.com"));
    ASSERT_NE(notify, nullptr);
    EXPECT_TRUE(authorises(*notify, Operation::notify, name("sub.example.com")));
    EXPECT_FALSE(authorises(*notify, Operation::transfer, name("sub.example.com")));
    EXPECT_FALSE(authorises(*notify, Operation::notify, name("example.com")));
}

TEST(TsigKeys, KeyWithoutRoleAuthorisesNothing)
{
    const KeyEntry entry{make_key(test_keys[0]), role_from_name(name(test_keys[0].name))};
    EXPECT_FALSE(entry.role.has_value());
    EXPECT_FALSE(authorises(entry, Operation::notify, name("example.")));
}

TEST(TsigKeys, DuplicateKeyIsRejected)
{
    KeyTable table;
    EXPECT_TRUE(table.add(KeyEntry{make_key(test_keys[2]), std::nullopt}).has_value());
    KeyEntry again{make_key(test_keys[2]), std::nullopt};
    again.key.name = name("sha256-key.EXAMPLE.");
    EXPECT_FALSE(table.add(std::move(again)).has_value());
}

TEST(TsigKeys, FileOriginFromName)
{
    EXPECT_EQ(keys_file_origin("_keys"), zone::Name{});
    EXPECT_EQ(keys_file_origin("example.com._keys"), name("example.com"));
    EXPECT_FALSE(keys_file_origin("example.com").has_value());
    EXPECT_FALSE(keys_file_origin("._keys").has_value());
}

} // namespace
} // namespace robur::dns::tsig
