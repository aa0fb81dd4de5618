// AXFR (RFC 5936) and IXFR (RFC 1995) answers: message layout, packing, TSIG on every message,
// and the IXFR forms (incremental, whole zone, current SOA alone) over TCP and UDP.

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/zone/text.hpp"
#include "servers/dns/transfer.hpp"
#include "servers/dns/tsig.hpp"
#include "servers/dns/zone_history.hpp"
#include "servers/dns/zone_loader.hpp"
#include "servers/dns/zone_set_loader.hpp"
#include "store/repository.hpp"
#include "tests/unit/dns/dns_test_support.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::dns {
namespace {

namespace fs = std::filesystem;
using test::make_query;
using test::parse_response;
using test::ParsedRecord;
using test::ParsedResponse;
using test::QueryOptions;
using test::ZoneBuilder;

constexpr std::uint16_t axfr = zone::rrtype::axfr;
constexpr std::uint16_t ixfr = zone::rrtype::ixfr;

// The messages a transfer sent, in order.
struct Sent {
    std::vector<std::vector<std::uint8_t>> messages;
    MessageSink sink()
    {
        return
            [this](std::vector<std::uint8_t> message) { messages.push_back(std::move(message)); };
    }
    [[nodiscard]] std::vector<ParsedResponse> parsed() const
    {
        std::vector<ParsedResponse> responses;
        for (const auto& message : messages) {
            responses.push_back(parse_response(message));
        }
        return responses;
    }
};

// The answer records of every message, in order.
std::vector<ParsedRecord> answers(const std::vector<ParsedResponse>& responses)
{
    std::vector<ParsedRecord> records;
    for (const auto& response : responses) {
        records.insert(records.end(), response.answer.begin(), response.answer.end());
    }
    return records;
}

std::string describe(const ParsedRecord& record)
{
    return fmt::format("{} {} {} {}", record.owner, zone::type_to_string(record.type), record.ttl,
                       record.data);
}

std::uint32_t serial_of(const ParsedRecord& soa)
{
    return static_cast<std::uint32_t>(std::stoul(soa.data.substr(soa.data.rfind(' ') + 1)));
}

ZoneBuilder small_zone()
{
    ZoneBuilder builder("example.com.");
    builder.name_record("@", zone::rrtype::ns, "ns1")
        .a("ns1", "192.0.2.1")
        .a("WWW", "192.0.2.2")
        .mx("@", 10, "mail")
        .a("mail", "192.0.2.3")
        .name_record("sub", zone::rrtype::ns, "ns.sub")
        .a("ns.sub", "192.0.2.4")      // glue
        .a("deep.ns.sub", "192.0.2.5") // occluded by the delegation
        .a("www", "192.0.2.2")         // the same record again, sent once
        .a("outside.example.org.", "192.0.2.9");
    return builder;
}

TEST(Axfr, SmallZoneIsOneMessage)
{
    const auto zone = small_zone().compile();
    Sent sent;
    const auto query = make_query("example.com.", axfr, QueryOptions{.id = 0x4242});
    const auto summary =
        answer_axfr(query, *zone, TransferContext{Transport::tcp, nullptr, 0}, sent.sink());

    ASSERT_EQ(sent.messages.size(), 1U);
    EXPECT_EQ(summary.messages, 1U);
    const auto response = parse_response(sent.messages[0]);
    EXPECT_EQ(response.header.id, 0x4242);
    EXPECT_TRUE(response.has(flag::qr));
    EXPECT_TRUE(response.has(flag::aa));
    EXPECT_TRUE(response.has(flag::rd)); // copied from the request
    EXPECT_EQ(response.header.opcode(), 0);
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_EQ(response.header.qdcount, 1);
    EXPECT_EQ(response.qname, "example.com.");
    EXPECT_EQ(response.qtype, axfr);

    std::vector<std::string> records;
    for (const auto& record : response.answer) {
        records.push_back(describe(record));
    }
    const std::vector<std::string> expected = {
        "example.com. SOA 3600 ns1.example.com. hostmaster.example.com. 2026120401",
        "example.com. NS 3600 ns1.example.com.",
        "example.com. MX 3600 10 mail.example.com.",
        "mail.example.com. A 3600 192.0.2.3",
        "ns1.example.com. A 3600 192.0.2.1",
        "sub.example.com. NS 3600 ns.sub.example.com.",
        "ns.sub.example.com. A 3600 192.0.2.4",
        "deep.ns.sub.example.com. A 3600 192.0.2.5",
        "WWW.example.com. A 3600 192.0.2.2",
        "example.com. SOA 3600 ns1.example.com. hostmaster.example.com. 2026120401",
    };
    EXPECT_EQ(records, expected);
    EXPECT_EQ(summary.records, expected.size());
}

TEST(Axfr, LargeZoneSpansMessages)
{
    ZoneBuilder builder("example.com.");
    const std::string text(200, 'x');
    constexpr int count = 3000;
    for (int i = 0; i < count; ++i) {
        builder.txt(fmt::format("host{}", i), text);
    }
    const auto zone = builder.compile();
    Sent sent;
    answer_axfr(make_query("example.com.", axfr), *zone,
                TransferContext{Transport::tcp, nullptr, 0}, sent.sink());

    ASSERT_GT(sent.messages.size(), 5U);
    for (std::size_t i = 0; i < sent.messages.size(); ++i) {
        EXPECT_LE(sent.messages[i].size(), max_tcp_message) << "message " << i;
        const auto response = parse_response(sent.messages[i]);
        EXPECT_EQ(response.header.qdcount, i == 0 ? 1 : 0) << "message " << i;
        EXPECT_EQ(response.header.id, 0x1234);
        EXPECT_FALSE(response.answer.empty()) << "message " << i;
    }
    // Messages are packed: all but the last are nearly full.
    EXPECT_GT(sent.messages[0].size(), max_tcp_message - 300);

    const auto records = answers(sent.parsed());
    ASSERT_EQ(records.size(), count + 2U);
    EXPECT_EQ(records.front().type, zone::rrtype::soa);
    EXPECT_EQ(records.back().type, zone::rrtype::soa);
    std::map<std::string, int> seen;
    for (std::size_t i = 1; i + 1 < records.size(); ++i) {
        EXPECT_EQ(records[i].type, zone::rrtype::txt);
        ++seen[records[i].owner];
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(count));
    for (const auto& [owner, times] : seen) {
        EXPECT_EQ(times, 1) << owner;
    }
}

TEST(Axfr, OverUdpIsNotimp)
{
    const auto zone = small_zone().compile();
    Sent sent;
    const auto summary = answer_axfr(make_query("example.com.", axfr), *zone,
                                     TransferContext{Transport::udp, nullptr, 0}, sent.sink());
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto response = parse_response(sent.messages[0]);
    EXPECT_EQ(response.rcode(), static_cast<std::uint16_t>(Rcode::notimp));
    EXPECT_TRUE(response.answer.empty());
    EXPECT_EQ(response.qname, "example.com.");
    EXPECT_EQ(summary.rcode, Rcode::notimp);
}

TEST(Axfr, OtherClassIsNotauth)
{
    const auto zone = small_zone().compile();
    Sent sent;
    answer_axfr(make_query("example.com.", axfr, QueryOptions{.qclass = zone::rrclass::ch}), *zone,
                TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto response = parse_response(sent.messages[0]);
    EXPECT_EQ(response.rcode(), tsig::rcode_notauth);
    EXPECT_TRUE(response.answer.empty());
}

TEST(Axfr, NameBelowApexIsNotauth)
{
    const auto zone = small_zone().compile();
    Sent sent;
    answer_axfr(make_query("www.example.com.", axfr), *zone,
                TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto response = parse_response(sent.messages[0]);
    EXPECT_EQ(response.rcode(), tsig::rcode_notauth);
    EXPECT_TRUE(response.answer.empty());
    EXPECT_EQ(response.qname, "www.example.com.");
}

TEST(Axfr, ApexInOtherCaseIsAnswered)
{
    const auto zone = small_zone().compile();
    Sent sent;
    answer_axfr(make_query("EXAMPLE.Com.", axfr), *zone,
                TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto response = parse_response(sent.messages[0]);
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_EQ(response.qname, "EXAMPLE.Com."); // the question is copied as sent
    EXPECT_EQ(response.answer.size(), 10U);
}

TEST(Axfr, MalformedRequestIsFormerr)
{
    const auto zone = small_zone().compile();
    auto query = make_query("example.com.", axfr);
    query.resize(query.size() - 3); // cut into QTYPE
    Sent sent;
    answer_axfr(query, *zone, TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto response = parse_response(sent.messages[0]);
    EXPECT_EQ(response.rcode(), static_cast<std::uint16_t>(Rcode::formerr));
    EXPECT_EQ(response.header.id, 0x1234);
}

TEST(Axfr, EdnsRequestGetsOptInEveryMessage)
{
    ZoneBuilder builder("example.com.");
    for (int i = 0; i < 2000; ++i) {
        builder.txt(fmt::format("host{}", i), std::string(100, 'y'));
    }
    const auto zone = builder.compile();
    Sent sent;
    answer_axfr(make_query("example.com.", axfr, QueryOptions{.edns = true}), *zone,
                TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_GT(sent.messages.size(), 1U);
    for (const auto& response : sent.parsed()) {
        ASSERT_TRUE(response.opt.has_value());
        EXPECT_EQ(response.opt->owner, ".");
        EXPECT_LE(response.size, max_tcp_message);
    }
}

TEST(Axfr, EdnsVersionOneIsBadvers)
{
    const auto zone = small_zone().compile();
    Sent sent;
    answer_axfr(make_query("example.com.", axfr, QueryOptions{.edns = true, .version = 1}), *zone,
                TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto response = parse_response(sent.messages[0]);
    EXPECT_EQ(response.rcode(), static_cast<std::uint16_t>(Rcode::badvers));
    EXPECT_TRUE(response.answer.empty());
}

// ---- TSIG ----

constexpr std::string_view key_name_text = "xfr-key._transfer.example.com.";
constexpr std::string_view key_secret = "dHJhbnNmZXItc2VjcmV0LWZvci10ZXN0cy0wMTIzNDU=";

tsig::Key make_key()
{
    return tsig::Key{test::name(key_name_text), tsig::Algorithm::hmac_sha256,
                     zone::text::base64_decode(key_secret).value()};
}

std::uint64_t now()
{
    return static_cast<std::uint64_t>(std::time(nullptr));
}

// Signs query with key and verifies it as the primary would.
tsig::Verification sign_and_verify(std::vector<std::uint8_t>& query, const tsig::Key& key,
                                   std::vector<std::uint8_t>& request_mac)
{
    request_mac = tsig::sign_request(query, key, tsig::SignOptions{now(), 300, {}, {}}).value();
    const tsig::KeyLookup lookup = [&key](const zone::Name& name) -> const tsig::Key* {
        return name == key.name ? &key : nullptr;
    };
    return tsig::verify_request(query, lookup, tsig::VerifyOptions{now(), 0});
}

// Checks a later message of a signed answer: its MAC must be the one sign_subsequent computes
// over the prior MAC, the message without its TSIG record and the timers.
void expect_subsequent_mac(const std::vector<std::uint8_t>& message, const tsig::Key& key,
                           const std::vector<std::uint8_t>& prior_mac, std::size_t index)
{
    const auto record = tsig::find_record(message).value();
    ASSERT_TRUE(record.has_value()) << "message " << index << " is unsigned";
    std::vector<std::uint8_t> unsigned_part(message.begin(),
                                            message.begin() + static_cast<long>(record->offset));
    write_u16(unsigned_part.data() + 10,
              static_cast<std::uint16_t>(read_u16(message.data() + 10) - 1));
    const auto mac = tsig::sign_subsequent(
        unsigned_part, key, prior_mac,
        tsig::SignOptions{record->time_signed, record->fudge, tsig::TsigError::noerror, {}});
    ASSERT_TRUE(mac.has_value());
    EXPECT_EQ(*mac, record->mac) << "message " << index;
}

// Runs tests/data/tsig/verify.py over the messages of one answer. Returns its exit code, which
// is 77 when dnspython is missing.
int verify_with_dnspython(const std::vector<std::vector<std::uint8_t>>& messages,
                          const std::vector<std::uint8_t>& request_mac)
{
    store::testing::TempDir folder;
    std::string joined;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const auto path = folder.path() / fmt::format("message{}.bin", i);
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(messages[i].data()),
                   static_cast<std::streamsize>(messages[i].size()));
        joined += (joined.empty() ? "" : ",") + path.string();
    }
    std::string mac_hex;
    for (const auto octet : request_mac) {
        mac_hex += fmt::format("{:02x}", octet);
    }
    const auto script = fs::path(ROBUR_TEST_DATA_DIR) / "tsig" / "verify.py";
    const std::string command =
        fmt::format("/usr/bin/python3 {} {} '{}' hmac-sha256 '{}' {}", script.string(), joined,
                    key_name_text, key_secret, mac_hex);
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(AxfrTsig, EveryMessageIsSigned)
{
    ZoneBuilder builder("example.com.");
    for (int i = 0; i < 1500; ++i) {
        builder.txt(fmt::format("host{}", i), std::string(120, 'z'));
    }
    const auto zone = builder.compile();
    const tsig::Key key = make_key();
    auto query = make_query("example.com.", axfr);
    std::vector<std::uint8_t> request_mac;
    const auto verification = sign_and_verify(query, key, request_mac);
    ASSERT_EQ(verification.status, tsig::Status::verified) << verification.message;

    Sent sent;
    answer_axfr(query, *zone, TransferContext{Transport::tcp, &verification, now()}, sent.sink());
    ASSERT_GT(sent.messages.size(), 2U);

    const auto first =
        tsig::verify_answer(sent.messages[0], key, request_mac, tsig::VerifyOptions{now(), 0});
    EXPECT_EQ(first.status, tsig::Status::verified) << first.message;
    auto prior = tsig::find_record(sent.messages[0]).value().value().mac;
    for (std::size_t i = 1; i < sent.messages.size(); ++i) {
        EXPECT_LE(sent.messages[i].size(), max_tcp_message);
        expect_subsequent_mac(sent.messages[i], key, prior, i);
        prior = tsig::find_record(sent.messages[i]).value().value().mac;
    }
    EXPECT_EQ(answers(sent.parsed()).size(), 1502U);

    const int code = verify_with_dnspython(sent.messages, request_mac);
    if (code == 77) {
        GTEST_SKIP() << "dnspython not found for /usr/bin/python3, skipping";
    }
    EXPECT_EQ(code, 0);
}

TEST(AxfrTsig, BadSignatureIsNotauth)
{
    const auto zone = small_zone().compile();
    const tsig::Key key = make_key();
    auto query = make_query("example.com.", axfr);
    std::vector<std::uint8_t> request_mac;
    tsig::sign_request(query, key, tsig::SignOptions{now(), 300, {}, {}}).value();
    tsig::Key wrong = key;
    wrong.secret[0] ^= 0xFF;
    const tsig::KeyLookup lookup = [&wrong](const zone::Name&) { return &wrong; };
    const auto verification = tsig::verify_request(query, lookup, tsig::VerifyOptions{now(), 0});
    ASSERT_EQ(verification.status, tsig::Status::badsig);

    Sent sent;
    answer_axfr(query, *zone, TransferContext{Transport::tcp, &verification, now()}, sent.sink());
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto response = parse_response(sent.messages[0]);
    EXPECT_EQ(response.rcode(), tsig::rcode_notauth);
    EXPECT_TRUE(response.answer.empty());
    const auto record = tsig::find_record(sent.messages[0]).value();
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->error, static_cast<std::uint16_t>(tsig::TsigError::badsig));
}

// ---- IXFR ----

// A repository whose commits hold versions of example.com, and a ZoneHistory reading it.
class IxfrRepository {
public:
    static constexpr int static_host_count = 20;

    IxfrRepository()
    {
        auto repository = store::Repository::init(temp_.path() / "repo", false);
        EXPECT_TRUE(repository) << repository.error().message;
        repository_.emplace(std::move(*repository));
    }

    // The zone file with serial, lines and twenty hosts that never change. The fixed hosts make
    // small differences smaller than the zone.
    static std::string zone_text(std::uint32_t serial, const std::string& lines)
    {
        std::string text = fmt::format("$TTL 300\n"
                                       "@ IN SOA ns1 hostmaster {} 3600 600 86400 300\n"
                                       "@ IN NS ns1\n"
                                       "ns1 IN A 192.0.2.1\n{}",
                                       serial, lines);
        for (int i = 0; i < static_host_count; ++i) {
            text += fmt::format("static{} IN A 198.51.100.{}\n", i, i);
        }
        return text;
    }

    // Commits zone_text(serial, lines) and returns the served zone.
    std::shared_ptr<const CompiledZone> commit(std::uint32_t serial, const std::string& lines)
    {
        const std::string text = zone_text(serial, lines);
        const auto head = repository_->branch_head().value();
        store::CommitRequest request{.branch = {},
                                     .expected_head = head,
                                     .changes = {{"zones/example.com.zone", text}},
                                     .author = store::testing::test_author(),
                                     .committer = std::nullopt,
                                     .message = fmt::format("Serial {}", serial)};
        const auto id = repository_->commit(request).value();
        const auto snapshot = repository_->snapshot(id.to_string()).value();
        auto loaded = load_zone(snapshot, test::name("example.com.")).value().value();
        return compile_zone(std::make_shared<const zone::Zone>(std::move(loaded.result.zone)))
            .value();
    }

    [[nodiscard]] store::Snapshot snapshot() const { return repository_->snapshot().value(); }

    ZoneHistory history()
    {
        return ZoneHistory(store::Repository::open(temp_.path() / "repo").value(), "main");
    }

private:
    store::testing::TempDir temp_;
    std::optional<store::Repository> repository_;
};

// Builds an IXFR request for example.com. carrying the client's SOA with serial. MNAME is
// compressed against the question, as clients may do.
std::vector<std::uint8_t> ixfr_query(std::uint32_t serial, const QueryOptions& options = {})
{
    auto query = make_query("example.com.", ixfr, options);
    std::vector<std::uint8_t> soa = {0xC0, 0x0C, 0, 6, 0, 1, 0, 0, 0, 0};
    std::vector<std::uint8_t> rdata = {0xC0, 0x0C};
    test::append(rdata, test::wire("hostmaster.example.com."));
    for (const std::uint32_t field : {serial, 3600u, 600u, 86400u, 300u}) {
        test::append_u32(rdata, field);
    }
    test::append_u16(soa, static_cast<std::uint16_t>(rdata.size()));
    test::append(soa, rdata);
    // The authority section comes before the additional section with the OPT record.
    const std::size_t question_end = 12 + test::wire("example.com.").size() + 4;
    query.insert(query.begin() + static_cast<long>(question_end), soa.begin(), soa.end());
    write_u16(query.data() + 8, 1);
    return query;
}

std::vector<std::uint32_t> soa_serials(const std::vector<ParsedRecord>& records)
{
    std::vector<std::uint32_t> serials;
    for (const auto& record : records) {
        if (record.type == zone::rrtype::soa) {
            serials.push_back(serial_of(record));
        }
    }
    return serials;
}

TEST(Ixfr, OldSerialGetsIncrementalAnswer)
{
    IxfrRepository repository;
    repository.commit(1, "www IN A 192.0.2.10\n");
    repository.commit(2, "www IN A 192.0.2.10\nmail IN A 192.0.2.20\n");
    const auto zone = repository.commit(3, "mail IN A 192.0.2.20\nmail IN A 192.0.2.21\n");
    auto history = repository.history();

    Sent sent;
    const auto summary = answer_ixfr(ixfr_query(1), *zone, history,
                                     TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    EXPECT_TRUE(summary.incremental);
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto response = parse_response(sent.messages[0]);
    EXPECT_EQ(response.qtype, ixfr);
    std::vector<std::string> records;
    for (const auto& record : response.answer) {
        records.push_back(fmt::format(
            "{} {} {}", record.owner, zone::type_to_string(record.type),
            record.type == zone::rrtype::soa ? std::to_string(serial_of(record)) : record.data));
    }
    const std::vector<std::string> expected = {
        "example.com. SOA 3", "example.com. SOA 1",
        "example.com. SOA 2", "mail.example.com. A 192.0.2.20",
        "example.com. SOA 2", "www.example.com. A 192.0.2.10",
        "example.com. SOA 3", "mail.example.com. A 192.0.2.21",
        "example.com. SOA 3",
    };
    EXPECT_EQ(records, expected);
}

TEST(Ixfr, CurrentOrNewerSerialGetsSoaOnly)
{
    IxfrRepository repository;
    repository.commit(1, "");
    const auto zone = repository.commit(5, "www IN A 192.0.2.10\n");
    auto history = repository.history();

    for (const std::uint32_t client : {5u, 6u}) {
        Sent sent;
        const auto summary = answer_ixfr(ixfr_query(client), *zone, history,
                                         TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
        EXPECT_TRUE(summary.soa_only) << client;
        ASSERT_EQ(sent.messages.size(), 1U);
        const auto response = parse_response(sent.messages[0]);
        ASSERT_EQ(response.answer.size(), 1U) << client;
        EXPECT_EQ(serial_of(response.answer[0]), 5U);
    }
    EXPECT_EQ(history.walk_count(), 0U);
}

TEST(Ixfr, UnknownSerialGetsAxfrForm)
{
    IxfrRepository repository;
    repository.commit(1, "");
    const auto zone = repository.commit(2, "www IN A 192.0.2.10\n");
    auto history = repository.history();

    Sent sent;
    const auto summary = answer_ixfr(ixfr_query(0), *zone, history,
                                     TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    EXPECT_FALSE(summary.incremental);
    const auto records = answers(sent.parsed());
    ASSERT_EQ(records.size(), 5U + IxfrRepository::static_host_count);
    EXPECT_EQ(soa_serials(records), (std::vector<std::uint32_t>{2, 2}));
    EXPECT_EQ(records.front().type, zone::rrtype::soa);
    EXPECT_EQ(records.back().type, zone::rrtype::soa);
}

TEST(Ixfr, DifferencesLargerThanZoneGetAxfrForm)
{
    IxfrRepository repository;
    std::string old_hosts;
    std::string new_hosts;
    for (int i = 0; i < 50; ++i) {
        old_hosts += fmt::format("old{} IN A 192.0.2.{}\n", i, i);
        new_hosts += fmt::format("new{} IN A 192.0.2.{}\n", i, i);
    }
    repository.commit(1, old_hosts);
    const auto zone = repository.commit(2, new_hosts);
    auto history = repository.history();

    Sent sent;
    const auto summary = answer_ixfr(ixfr_query(1), *zone, history,
                                     TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    EXPECT_FALSE(summary.incremental);
    EXPECT_EQ(soa_serials(answers(sent.parsed())), (std::vector<std::uint32_t>{2, 2}));
}

TEST(Ixfr, UdpAnswerThatFitsIsSent)
{
    IxfrRepository repository;
    repository.commit(1, "");
    const auto zone = repository.commit(2, "www IN A 192.0.2.10\n");
    auto history = repository.history();

    Sent sent;
    const auto summary = answer_ixfr(ixfr_query(1), *zone, history,
                                     TransferContext{Transport::udp, nullptr, 0}, sent.sink());
    EXPECT_TRUE(summary.incremental);
    ASSERT_EQ(sent.messages.size(), 1U);
    EXPECT_LE(sent.messages[0].size(), min_udp_payload);
    EXPECT_EQ(soa_serials(parse_response(sent.messages[0]).answer),
              (std::vector<std::uint32_t>{2, 1, 2, 2}));
}

TEST(Ixfr, UdpAnswerTooLargeGetsSoaOnly)
{
    IxfrRepository repository;
    std::string hosts;
    for (int i = 0; i < 30; ++i) {
        hosts += fmt::format("host{} IN TXT \"{}\"\n", i, std::string(40, 'a'));
    }
    repository.commit(1, "");
    const auto zone = repository.commit(2, hosts);
    auto history = repository.history();

    Sent sent;
    const auto summary =
        answer_ixfr(ixfr_query(1, QueryOptions{.edns = true, .payload = 4096}), *zone, history,
                    TransferContext{Transport::udp, nullptr, 0}, sent.sink());
    EXPECT_TRUE(summary.soa_only);
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto response = parse_response(sent.messages[0]);
    ASSERT_EQ(response.answer.size(), 1U);
    EXPECT_EQ(serial_of(response.answer[0]), 2U);
    EXPECT_TRUE(response.opt.has_value());
    EXPECT_FALSE(response.has(flag::tc));
}

TEST(Ixfr, RequestWithoutSoaIsFormerr)
{
    IxfrRepository repository;
    const auto zone = repository.commit(1, "");
    auto history = repository.history();

    Sent sent;
    answer_ixfr(make_query("example.com.", ixfr), *zone, history,
                TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_EQ(sent.messages.size(), 1U);
    EXPECT_EQ(parse_response(sent.messages[0]).rcode(), static_cast<std::uint16_t>(Rcode::formerr));
}

TEST(Axfr, LoadedZoneKeepsOwnerCase)
{
    IxfrRepository repository;
    repository.commit(1, "WWW.Sub IN A 192.0.2.10\n");
    ZoneSetLoader loader;
    ASSERT_TRUE(loader.load(repository.snapshot()).has_value());
    const auto zones = loader.zone_set();
    const CompiledZone* zone = zones->find_exact(test::wire("example.com."));
    ASSERT_NE(zone, nullptr);
    ASSERT_NE(zone->source(), nullptr);
    for (const auto& record : zone->source()->records) {
        EXPECT_TRUE(record.where.path.empty()) << "the loader keeps no file positions";
    }

    Sent sent;
    answer_axfr(make_query("example.com.", axfr), *zone,
                TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    const auto records = answers(sent.parsed());
    const auto found = std::find_if(records.begin(), records.end(), [](const ParsedRecord& record) {
        return record.data == "192.0.2.10";
    });
    ASSERT_NE(found, records.end());
    EXPECT_EQ(found->owner, "WWW.Sub.example.com.");
}

TEST(Ixfr, DamagedRequestsAreAnsweredSafely)
{
    IxfrRepository repository;
    repository.commit(1, "");
    const auto zone = repository.commit(2, "www IN A 192.0.2.10\n");
    auto history = repository.history();
    const auto query = ixfr_query(1, QueryOptions{.edns = true});

    // Every prefix of the request, and the request with each octet flipped, gets at most one
    // message and never a read outside the request (checked under AddressSanitizer).
    for (std::size_t length = 0; length < query.size(); ++length) {
        Sent sent;
        answer_ixfr(std::span(query).first(length), *zone, history,
                    TransferContext{Transport::udp, nullptr, 0}, sent.sink());
        EXPECT_LE(sent.messages.size(), 1U) << "prefix " << length;
    }
    for (std::size_t offset = 0; offset < query.size(); ++offset) {
        auto damaged = query;
        damaged[offset] ^= 0xFF;
        Sent sent;
        answer_ixfr(damaged, *zone, history, TransferContext{Transport::udp, nullptr, 0},
                    sent.sink());
        EXPECT_LE(sent.messages.size(), 1U) << "offset " << offset;
    }
}

TEST(IxfrTsig, SignedIncrementalAnswerVerifies)
{
    IxfrRepository repository;
    repository.commit(1, "");
    const auto zone = repository.commit(2, "www IN A 192.0.2.10\n");
    auto history = repository.history();
    const tsig::Key key = make_key();
    auto query = ixfr_query(1);
    std::vector<std::uint8_t> request_mac;
    const auto verification = sign_and_verify(query, key, request_mac);
    ASSERT_EQ(verification.status, tsig::Status::verified) << verification.message;

    Sent sent;
    answer_ixfr(query, *zone, history, TransferContext{Transport::udp, &verification, now()},
                sent.sink());
    ASSERT_EQ(sent.messages.size(), 1U);
    const auto check =
        tsig::verify_answer(sent.messages[0], key, request_mac, tsig::VerifyOptions{now(), 0});
    EXPECT_EQ(check.status, tsig::Status::verified) << check.message;
}

// ---- Interoperability ----

// Applies the messages of a transfer to the zone in the file BEFORE ("-" for none) with
// dnspython's dns.xfr.Inbound, as a secondary would, and compares the records with those of
// the file AFTER. Exits 0 when they match, 1 when not, 77 without dnspython.
constexpr std::string_view apply_script = R"(
import sys
try:
    import dns.message, dns.name, dns.rdatatype, dns.xfr, dns.zone
except ImportError:
    sys.exit(77)

origin = dns.name.from_text(sys.argv[1])
rdtype = dns.rdatatype.from_text(sys.argv[2])
before, after, paths = sys.argv[3], sys.argv[4], sys.argv[5].split(",")
if before == "-":
    zone, serial = dns.zone.Zone(origin, relativize=False), None
else:
    zone = dns.zone.from_file(before, origin, relativize=False)
    serial = zone.get_soa().serial
with dns.xfr.Inbound(zone, rdtype, serial) as inbound:
    for path in paths:
        with open(path, "rb") as source:
            message = dns.message.from_wire(source.read(), xfr=True, multi=len(paths) > 1,
                                            one_rr_per_rrset=rdtype == dns.rdatatype.IXFR)
        done = inbound.process_message(message)
if not done:
    print("transfer incomplete", file=sys.stderr)
    sys.exit(1)

def records(zone):
    return {(str(name), rdataset.ttl, dns.rdatatype.to_text(rdataset.rdtype), rdata.to_text())
            for name, rdataset in zone.iterate_rdatasets() for rdata in rdataset}

expected = dns.zone.from_file(after, origin, relativize=False)
if records(zone) != records(expected):
    print("missing:", sorted(records(expected) - records(zone)), file=sys.stderr)
    print("extra:", sorted(records(zone) - records(expected)), file=sys.stderr)
    sys.exit(1)
)";

int apply_with_dnspython(std::string_view type, const std::optional<std::string>& before,
                         const std::string& after, const Sent& sent)
{
    store::testing::TempDir folder;
    auto write = [&folder](const std::string& file, const void* data, std::size_t size) {
        const auto path = folder.path() / file;
        std::ofstream(path, std::ios::binary)
            .write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
        return path.string();
    };
    const auto script = write("apply.py", apply_script.data(), apply_script.size());
    const auto before_path =
        before ? write("before.zone", before->data(), before->size()) : std::string("-");
    const auto after_path = write("after.zone", after.data(), after.size());
    std::string joined;
    for (std::size_t i = 0; i < sent.messages.size(); ++i) {
        const auto& message = sent.messages[i];
        joined += (joined.empty() ? "" : ",") +
                  write(fmt::format("message{}.bin", i), message.data(), message.size());
    }
    const std::string command = fmt::format("/usr/bin/python3 {} example.com. {} {} {} {}", script,
                                            type, before_path, after_path, joined);
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(TransferInterop, DnspythonLoadsAxfr)
{
    IxfrRepository repository;
    std::string hosts;
    for (int i = 0; i < 3000; ++i) {
        hosts += fmt::format("Host{} IN TXT \"{}\"\n", i, std::string(50, 'q'));
    }
    const auto zone = repository.commit(1, hosts);
    Sent sent;
    answer_axfr(make_query("example.com.", axfr), *zone,
                TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_GT(sent.messages.size(), 1U);

    const int code =
        apply_with_dnspython("AXFR", std::nullopt, IxfrRepository::zone_text(1, hosts), sent);
    if (code == 77) {
        GTEST_SKIP() << "dnspython not found for /usr/bin/python3, skipping";
    }
    EXPECT_EQ(code, 0);
}

TEST(TransferInterop, DnspythonAppliesIxfr)
{
    IxfrRepository repository;
    const std::vector<std::string> versions = {
        "www IN A 192.0.2.10\nold IN TXT \"gone soon\"\n",
        "www IN A 192.0.2.10\nmail IN MX 10 mx.example.net.\n",
        "www 600 IN A 192.0.2.10\nmail IN MX 10 mx.example.net.\nmail IN MX 20 mx2\n",
    };
    std::shared_ptr<const CompiledZone> zone;
    for (std::size_t i = 0; i < versions.size(); ++i) {
        zone = repository.commit(static_cast<std::uint32_t>(i + 1), versions[i]);
    }
    auto history = repository.history();
    Sent sent;
    const auto summary = answer_ixfr(ixfr_query(1), *zone, history,
                                     TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_TRUE(summary.incremental);

    const int code = apply_with_dnspython("IXFR", IxfrRepository::zone_text(1, versions[0]),
                                          IxfrRepository::zone_text(3, versions[2]), sent);
    if (code == 77) {
        GTEST_SKIP() << "dnspython not found for /usr/bin/python3, skipping";
    }
    EXPECT_EQ(code, 0);
}

TEST(TransferInterop, DnspythonAppliesAxfrFormIxfr)
{
    IxfrRepository repository;
    repository.commit(1, "www IN A 192.0.2.10\n");
    const auto zone = repository.commit(2, "www IN A 192.0.2.11\n");
    auto history = repository.history();
    Sent sent;
    // Serial 0 is not in the history, so the answer is the whole zone in AXFR form.
    const auto query = ixfr_query(0);
    const auto summary = answer_ixfr(query, *zone, history,
                                     TransferContext{Transport::tcp, nullptr, 0}, sent.sink());
    ASSERT_FALSE(summary.incremental);

    const int code =
        apply_with_dnspython("IXFR", IxfrRepository::zone_text(0, "other IN A 192.0.2.1\n"),
                             IxfrRepository::zone_text(2, "www IN A 192.0.2.11\n"), sent);
    if (code == 77) {
        GTEST_SKIP() << "dnspython not found for /usr/bin/python3, skipping";
    }
    EXPECT_EQ(code, 0);
}

} // namespace
} // namespace robur::dns
