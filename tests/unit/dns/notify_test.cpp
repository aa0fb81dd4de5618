// NOTIFY (RFC 1996): the request format, answer matching, target selection and the exchange
// with a scripted secondary on 127.0.0.1.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns_test_support.hpp"
#include "servers/dns/notify.hpp"
#include "servers/dns/notify_message.hpp"
#include "servers/dns/notify_targets.hpp"
#include "servers/dns/tsig.hpp"
#include "servers/dns/tsig_keys.hpp"

namespace robur::dns {
namespace {

using namespace std::chrono_literals;
using test::name;
using test::ZoneBuilder;

constexpr std::uint16_t notify_flags =
    static_cast<std::uint16_t>((static_cast<unsigned>(Opcode::notify) << 11) | flag::aa);

zone::Record example_soa()
{
    return soa_record(ZoneBuilder("example.com.").zone()).value();
}

tsig::Key make_key(std::string_view key_name, std::uint8_t fill = 0x42)
{
    return tsig::Key{name(key_name), tsig::Algorithm::hmac_sha256,
                     std::vector<std::uint8_t>(32, fill)};
}

tsig::KeyTable key_table(const std::vector<std::string_view>& names)
{
    tsig::KeyTable table;
    for (const auto key_name : names) {
        const auto key = make_key(key_name);
        EXPECT_TRUE(table.add(tsig::KeyEntry{key, tsig::role_from_name(key.name)}).has_value());
    }
    return table;
}

// The answer a secondary would send to request: the request with QR set and rcode, with its
// TSIG record (if any) removed.
std::vector<std::uint8_t> plain_answer(std::span<const std::uint8_t> request, Rcode rcode)
{
    std::vector<std::uint8_t> answer(request.begin(), request.end());
    const auto found = tsig::find_record(answer).value();
    if (found) {
        answer.resize(found->offset);
        write_u16(answer.data() + 10, static_cast<std::uint16_t>(read_u16(answer.data() + 10) - 1));
    }
    const auto flags = static_cast<std::uint16_t>((read_u16(answer.data() + 2) & ~0xFU) | flag::qr |
                                                  static_cast<unsigned>(rcode));
    write_u16(answer.data() + 2, flags);
    return answer;
}

// ---------------------------------------------------------------------------------------------
// Message format

TEST(NotifyMessage, RequestHasQuestionAndSoa)
{
    const auto soa = example_soa();
    const auto request = build_notify_request(name("Example.COM."), soa, 0xBEEF);
    const auto header = read_header(request).value();

    EXPECT_EQ(header.id, 0xBEEF);
    EXPECT_EQ(header.flags, notify_flags);
    EXPECT_EQ(header.opcode(), static_cast<std::uint8_t>(Opcode::notify));
    EXPECT_FALSE(header.is_response());
    EXPECT_EQ(header.qdcount, 1);
    EXPECT_EQ(header.ancount, 1);
    EXPECT_EQ(header.nscount, 0);
    EXPECT_EQ(header.arcount, 0);

    WireName qname;
    const auto after = read_name(request, header_size, qname).value();
    EXPECT_EQ(zone::Name::from_wire(qname.wire()).value().to_string(), "Example.COM.");
    EXPECT_EQ(read_u16(request.data() + after), zone::rrtype::soa);
    EXPECT_EQ(read_u16(request.data() + after + 2), zone::rrclass::in);

    WireName owner;
    const auto rr = read_name(request, after + 4, owner).value();
    EXPECT_EQ(read_u16(request.data() + rr), zone::rrtype::soa);
    EXPECT_EQ(read_u32(request.data() + rr + 4), 3600U);
    EXPECT_EQ(read_u16(request.data() + rr + 8), soa.rdata.size());
    EXPECT_EQ(request.size(), rr + 10 + soa.rdata.size());
    EXPECT_EQ(read_u32(request.data() + request.size() - 20), 2026120401U);
}

TEST(NotifyMessage, RequestWithoutSoaHasQuestionOnly)
{
    const auto request = build_notify_request(name("example.com."), std::nullopt, 7);
    const auto header = read_header(request).value();
    EXPECT_EQ(header.ancount, 0);
    EXPECT_EQ(request.size(), header_size + name("example.com.").wire_length() + 4);
}

TEST(NotifyMessage, SoaFromCompiledZone)
{
    const auto compiled = ZoneBuilder("example.com.", 600).compile();
    const auto soa = soa_record(*compiled);
    ASSERT_TRUE(soa.has_value());
    EXPECT_EQ(soa->owner, name("example.com."));
    EXPECT_EQ(soa->ttl, 600U);
    EXPECT_EQ(soa_serial(*soa), 2026120401U);
}

TEST(NotifyMessage, RandomIdsVary)
{
    std::set<std::uint16_t> ids;
    for (int i = 0; i < 32; ++i) {
        ids.insert(random_message_id());
    }
    EXPECT_GT(ids.size(), 16U);
}

TEST(NotifyMessage, AnswerMatching)
{
    const auto request = build_notify_request(name("example.com."), example_soa(), 0x1111);
    EXPECT_EQ(match_notify_answer(plain_answer(request, Rcode::noerror), request),
              AnswerMatch::matches);

    auto other_id = plain_answer(request, Rcode::noerror);
    write_u16(other_id.data(), 0x2222);
    EXPECT_EQ(match_notify_answer(other_id, request), AnswerMatch::unrelated);

    EXPECT_EQ(match_notify_answer(request, request), AnswerMatch::unrelated) << "QR clear";

    const auto other_zone = build_notify_request(name("example.org."), std::nullopt, 0x1111);
    EXPECT_EQ(match_notify_answer(plain_answer(other_zone, Rcode::noerror), request),
              AnswerMatch::unrelated);

    const auto upper = build_notify_request(name("EXAMPLE.com."), std::nullopt, 0x1111);
    EXPECT_EQ(match_notify_answer(plain_answer(upper, Rcode::noerror), request),
              AnswerMatch::matches);

    auto query = plain_answer(request, Rcode::noerror);
    write_u16(query.data() + 2, static_cast<std::uint16_t>(flag::qr | flag::aa));
    EXPECT_EQ(match_notify_answer(query, request), AnswerMatch::unrelated) << "opcode QUERY";
}

TEST(NotifyMessage, ErrorAnswerWithoutQuestionMatches)
{
    const auto request = build_notify_request(name("example.com."), std::nullopt, 0x1111);
    std::vector<std::uint8_t> answer(request.begin(), request.begin() + header_size);
    write_u16(answer.data() + 4, 0);
    write_u16(answer.data() + 2, static_cast<std::uint16_t>(notify_flags | flag::qr |
                                                            static_cast<unsigned>(Rcode::notimp)));
    EXPECT_EQ(match_notify_answer(answer, request), AnswerMatch::matches);

    write_u16(answer.data() + 2, static_cast<std::uint16_t>(notify_flags | flag::qr));
    EXPECT_EQ(match_notify_answer(answer, request), AnswerMatch::malformed);
}

TEST(NotifyMessage, RcodeNames)
{
    EXPECT_EQ(rcode_name(Rcode::noerror), "NOERROR");
    EXPECT_EQ(rcode_name(Rcode::refused), "REFUSED");
    EXPECT_EQ(rcode_name(static_cast<Rcode>(9)), "NOTAUTH");
    EXPECT_EQ(rcode_name(static_cast<Rcode>(12)), "RCODE12");
}

// ---------------------------------------------------------------------------------------------
// also-notify values and target selection

TEST(AlsoNotify, ParsesAddressPortAndKey)
{
    auto plain = parse_also_notify("192.0.2.53");
    ASSERT_TRUE(plain.has_value()) << plain.error().message;
    EXPECT_EQ(plain->address.to_string(), "192.0.2.53:53");
    EXPECT_FALSE(plain->key_name.has_value());

    auto with_port = parse_also_notify("127.0.0.1:5301");
    ASSERT_TRUE(with_port.has_value());
    EXPECT_EQ(with_port->address.port, 5301);

    auto ipv6 = parse_also_notify("[2001:db8::53]:5302");
    ASSERT_TRUE(ipv6.has_value());
    EXPECT_TRUE(ipv6->address.address.is_v6());
    EXPECT_EQ(ipv6->address.port, 5302);

    auto keyed = parse_also_notify("  127.0.0.1:5302 \t key ns2._transfer.example.com  ");
    ASSERT_TRUE(keyed.has_value()) << keyed.error().message;
    ASSERT_TRUE(keyed->key_name.has_value());
    EXPECT_EQ(*keyed->key_name, name("ns2._transfer.example.com."));
}

TEST(AlsoNotify, RejectsMalformedValues)
{
    for (const auto* text : {"", "ns2.example.com", "127.0.0.1 key", "127.0.0.1 secret k.",
                             "2001:db8::53", "127.0.0.1:99999", "127.0.0.1 key a..b"}) {
        auto parsed = parse_also_notify(text);
        ASSERT_FALSE(parsed.has_value()) << text;
        EXPECT_EQ(parsed.error().code, Errc::invalid_argument) << text;
        EXPECT_NE(parsed.error().message.find("also-notify"), std::string::npos) << text;
    }
}

ZoneSet served(std::initializer_list<std::shared_ptr<const CompiledZone>> zones)
{
    return ZoneSet(std::vector<std::shared_ptr<const CompiledZone>>(zones));
}

std::vector<std::string> addresses(const std::vector<NotifyTarget>& targets)
{
    std::vector<std::string> result;
    for (const auto& target : targets) {
        result.push_back(target.address.to_string());
    }
    return result;
}

TEST(NotifyTargets, NsTargetsWithAddressesInOurZones)
{
    // ns1 is the SOA MNAME, the primary, so it is left out. ns2 has addresses in this zone
    // and ns3 in another served zone. ns4 has no addresses in any served zone.
    const auto example = ZoneBuilder("example.com.")
                             .name_record("@", zone::rrtype::ns, "ns1")
                             .name_record("@", zone::rrtype::ns, "ns2")
                             .name_record("@", zone::rrtype::ns, "ns3.example.net.")
                             .name_record("@", zone::rrtype::ns, "ns4.example.org.")
                             .a("ns1", "192.0.2.1")
                             .a("ns2", "192.0.2.2")
                             .aaaa("ns2", "2001:db8::2")
                             .compile();
    const auto other = ZoneBuilder("example.net.").a("ns3", "198.51.100.3").compile();

    auto targets = notify_targets(name("example.com."), served({example, other}), {}, {});
    ASSERT_TRUE(targets.has_value()) << targets.error().message;
    EXPECT_EQ(addresses(*targets),
              (std::vector<std::string>{"192.0.2.2:53", "[2001:db8::2]:53", "198.51.100.3:53"}));
    EXPECT_EQ(targets->front().source, "NS ns2.example.com.");
    EXPECT_FALSE(targets->front().key.has_value());
}

TEST(NotifyTargets, NsTargetWithGlueBelowCut)
{
    const auto example = ZoneBuilder("example.com.")
                             .name_record("@", zone::rrtype::ns, "ns.sub")
                             .name_record("sub", zone::rrtype::ns, "ns.sub")
                             .a("ns.sub", "192.0.2.9")
                             .compile();
    auto targets = notify_targets(name("example.com."), served({example}), {}, {});
    ASSERT_TRUE(targets.has_value());
    EXPECT_EQ(addresses(*targets), (std::vector<std::string>{"192.0.2.9:53"}));
}

TEST(NotifyTargets, UnservedZoneHasAlsoNotifyOnly)
{
    auto targets = notify_targets(name("example.com."), ZoneSet{}, {}, {"127.0.0.1:5301"});
    ASSERT_TRUE(targets.has_value());
    EXPECT_EQ(addresses(*targets), (std::vector<std::string>{"127.0.0.1:5301"}));
    EXPECT_EQ(targets->front().source, "also-notify");
}

TEST(NotifyTargets, KeysWithAddressLabels)
{
    const auto keys = key_table(
        {"192.0.2.1.192.0.2.7._transfer.example.com.", "192.0.2.1.192.0.2.8._transfer.com.",
         "192.0.2.1.192.0.2.9._transfer.example.org.", "ns5._transfer.example.com.",
         "192.0.2.1.192.0.2.6._notify.example.com."});
    auto targets = notify_targets(name("example.com."), ZoneSet{}, keys, {});
    ASSERT_TRUE(targets.has_value());
    ASSERT_EQ(addresses(*targets), (std::vector<std::string>{"192.0.2.8:53", "192.0.2.7:53"}));
    for (const auto& target : *targets) {
        ASSERT_TRUE(target.key.has_value());
        EXPECT_EQ(target.source, "key " + target.key->name.to_string());
    }
}

TEST(NotifyTargets, DuplicatesMergeAndKeepKey)
{
    const auto example = ZoneBuilder("example.com.")
                             .name_record("@", zone::rrtype::ns, "ns2")
                             .a("ns2", "192.0.2.7")
                             .compile();
    const auto keys =
        key_table({"192.0.2.1.192.0.2.7._transfer.example.com.", "ns2._transfer.example.com."});
    auto targets = notify_targets(
        name("example.com."), served({example}), keys,
        {"127.0.0.1:5301", "127.0.0.1:5301 key ns2._transfer.example.com", "192.0.2.7"});
    ASSERT_TRUE(targets.has_value()) << targets.error().message;
    ASSERT_EQ(addresses(*targets), (std::vector<std::string>{"127.0.0.1:5301", "192.0.2.7:53"}));

    ASSERT_TRUE((*targets)[0].key.has_value());
    EXPECT_EQ((*targets)[0].key->name, name("ns2._transfer.example.com."));
    EXPECT_EQ((*targets)[0].source, "also-notify, also-notify");

    ASSERT_TRUE((*targets)[1].key.has_value());
    EXPECT_EQ((*targets)[1].key->name, name("192.0.2.1.192.0.2.7._transfer.example.com."));
    EXPECT_EQ((*targets)[1].source,
              "also-notify, key 192.0.2.1.192.0.2.7._transfer.example.com., NS ns2.example.com.");
}

TEST(NotifyTargets, UnknownAlsoNotifyKeyFails)
{
    auto targets = notify_targets(name("example.com."), ZoneSet{}, {},
                                  {"127.0.0.1:5301 key missing._transfer.example.com"});
    ASSERT_FALSE(targets.has_value());
    EXPECT_EQ(targets.error().code, Errc::not_found);
    EXPECT_NE(targets.error().message.find("missing._transfer.example.com."), std::string::npos);
}

TEST(NotifyTargets, MalformedAlsoNotifyFails)
{
    auto targets = notify_targets(name("example.com."), ZoneSet{}, {}, {"ns2.example.com"});
    ASSERT_FALSE(targets.has_value());
    EXPECT_EQ(targets.error().code, Errc::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Exchanges with a scripted secondary

// A UDP secondary on 127.0.0.1 that hands every datagram to a script and sends what it returns.
class ScriptedSecondary {
public:
    // Returns the datagrams to send back for one received request, in order.
    using Script = std::function<std::vector<std::vector<std::uint8_t>>(
        std::span<const std::uint8_t> request, int index)>;

    // With answer_from_other_port, replies leave from a second socket, as a spoofer's would.
    explicit ScriptedSecondary(Script script, bool answer_from_other_port = false)
        : script_(std::move(script))
    {
        fd_ = bound_socket(port_);
        std::uint16_t other_port = 0;
        reply_fd_ = answer_from_other_port ? bound_socket(other_port) : fd_;
        thread_ = std::thread([this] { serve(); });
    }

    ~ScriptedSecondary()
    {
        stop_ = true;
        thread_.join();
        if (reply_fd_ != fd_) {
            ::close(reply_fd_);
        }
        ::close(fd_);
    }

    ScriptedSecondary(const ScriptedSecondary&) = delete;
    ScriptedSecondary& operator=(const ScriptedSecondary&) = delete;

    [[nodiscard]] ListenAddress address() const
    {
        return {asio::ip::make_address("127.0.0.1"), port_};
    }
    [[nodiscard]] int received() const { return received_; }

private:
    static int bound_socket(std::uint16_t& port)
    {
        const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
        }
        socklen_t length = sizeof address;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        port = ntohs(address.sin_port);
        return fd;
    }

    void serve()
    {
        std::vector<std::uint8_t> buffer(65535);
        while (!stop_) {
            pollfd poller{fd_, POLLIN, 0};
            if (::poll(&poller, 1, 20) <= 0) {
                continue;
            }
            sockaddr_in peer{};
            socklen_t length = sizeof peer;
            const auto size = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                         reinterpret_cast<sockaddr*>(&peer), &length);
            if (size <= 0) {
                continue;
            }
            const int index = received_++;
            for (const auto& reply :
                 script_({buffer.data(), static_cast<std::size_t>(size)}, index)) {
                ::sendto(reply_fd_, reply.data(), reply.size(), 0,
                         reinterpret_cast<sockaddr*>(&peer), length);
            }
        }
    }

    Script script_;
    std::uint16_t port_ = 0;
    int fd_ = -1;
    int reply_fd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<int> received_{0};
    std::thread thread_;
};

// For a secondary that answers: a wait long enough that a loaded machine still gets the answer
// in before the first retry, so attempt counts stay exact.
NotifyOptions answered_options()
{
    return NotifyOptions{.timeout = 1000ms, .attempts = 3};
}

// For a secondary that stays silent: short waits, so the test ends soon.
NotifyOptions silent_options(unsigned attempts)
{
    return NotifyOptions{.timeout = 100ms, .attempts = attempts};
}

NotifyTarget target_of(const ScriptedSecondary& secondary,
                       std::optional<tsig::Key> key = std::nullopt)
{
    return NotifyTarget{secondary.address(), std::move(key), "test"};
}

ScriptedSecondary::Script answer_with(Rcode rcode)
{
    return [rcode](std::span<const std::uint8_t> request, int) {
        return std::vector<std::vector<std::uint8_t>>{plain_answer(request, rcode)};
    };
}

TEST(SendNotify, AnsweredNoerror)
{
    std::vector<std::uint8_t> seen;
    ScriptedSecondary secondary([&seen](std::span<const std::uint8_t> request, int) {
        seen.assign(request.begin(), request.end());
        return std::vector<std::vector<std::uint8_t>>{plain_answer(request, Rcode::noerror)};
    });
    const auto outcome =
        send_notify(name("example.com."), example_soa(), target_of(secondary), answered_options());
    EXPECT_TRUE(outcome.answered) << outcome.message;
    EXPECT_EQ(outcome.status, NotifyStatus::answered);
    EXPECT_EQ(outcome.rcode, Rcode::noerror);
    EXPECT_EQ(outcome.attempts, 1U);
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(read_header(seen)->flags, notify_flags);
    EXPECT_EQ(read_header(seen)->ancount, 1);
}

TEST(SendNotify, RetriesAfterDroppedDatagram)
{
    ScriptedSecondary secondary([](std::span<const std::uint8_t> request, int index) {
        if (index == 0) {
            return std::vector<std::vector<std::uint8_t>>{};
        }
        return std::vector<std::vector<std::uint8_t>>{plain_answer(request, Rcode::noerror)};
    });
    const auto outcome = send_notify(name("example.com."), std::nullopt, target_of(secondary),
                                     NotifyOptions{.timeout = 300ms, .attempts = 3});
    EXPECT_TRUE(outcome.answered) << outcome.message;
    EXPECT_EQ(outcome.attempts, 2U);
}

TEST(SendNotify, RetryKeepsMessageId)
{
    std::vector<std::uint16_t> ids;
    ScriptedSecondary secondary([&ids](std::span<const std::uint8_t> request, int) {
        ids.push_back(read_u16(request.data()));
        return std::vector<std::vector<std::uint8_t>>{};
    });
    const auto outcome =
        send_notify(name("example.com."), std::nullopt, target_of(secondary), silent_options(3));
    EXPECT_FALSE(outcome.answered);
    ASSERT_EQ(ids.size(), 3U);
    EXPECT_EQ(ids[0], ids[1]);
    EXPECT_EQ(ids[1], ids[2]);
}

TEST(SendNotify, TimeoutNamesServerAndAttempts)
{
    ScriptedSecondary secondary([](std::span<const std::uint8_t>, int) {
        return std::vector<std::vector<std::uint8_t>>{};
    });
    const auto started = std::chrono::steady_clock::now();
    const auto outcome =
        send_notify(name("example.com."), std::nullopt, target_of(secondary), silent_options(3));
    const auto elapsed = std::chrono::steady_clock::now() - started;

    EXPECT_FALSE(outcome.answered);
    EXPECT_EQ(outcome.status, NotifyStatus::timed_out);
    EXPECT_EQ(outcome.attempts, 3U);
    EXPECT_EQ(secondary.received(), 3);
    EXPECT_EQ(outcome.message,
              fmt::format("no answer from {} after 3 attempts", secondary.address().to_string()));
    // 100 + 200 + 400 ms: the wait doubles with each attempt.
    EXPECT_GE(elapsed, 700ms);
}

TEST(SendNotify, RefusedEndsWithoutRetry)
{
    ScriptedSecondary secondary(answer_with(Rcode::refused));
    const auto outcome =
        send_notify(name("example.com."), std::nullopt, target_of(secondary), answered_options());
    EXPECT_TRUE(outcome.answered);
    EXPECT_EQ(outcome.rcode, Rcode::refused);
    EXPECT_EQ(outcome.message, "REFUSED");
    EXPECT_EQ(outcome.attempts, 1U);
    EXPECT_EQ(secondary.received(), 1);
}

TEST(SendNotify, IgnoresAnswersWithOtherId)
{
    ScriptedSecondary secondary([](std::span<const std::uint8_t> request, int) {
        auto wrong = plain_answer(request, Rcode::refused);
        write_u16(wrong.data(), static_cast<std::uint16_t>(read_u16(wrong.data()) + 1));
        return std::vector<std::vector<std::uint8_t>>{wrong, plain_answer(request, Rcode::noerror)};
    });
    const auto outcome =
        send_notify(name("example.com."), std::nullopt, target_of(secondary), answered_options());
    EXPECT_TRUE(outcome.answered);
    EXPECT_EQ(outcome.rcode, Rcode::noerror);
}

TEST(SendNotify, IgnoresAnswersFromOtherPorts)
{
    ScriptedSecondary secondary(answer_with(Rcode::noerror), /*answer_from_other_port=*/true);
    const auto outcome =
        send_notify(name("example.com."), std::nullopt, target_of(secondary), silent_options(2));
    EXPECT_FALSE(outcome.answered);
    EXPECT_EQ(outcome.status, NotifyStatus::timed_out);
    EXPECT_EQ(secondary.received(), 2);
}

// A secondary that verifies signed NOTIFYs with keys and signs its answers as RFC 8945 asks.
ScriptedSecondary::Script signing_secondary(const tsig::KeyTable& keys,
                                            Rcode rcode = Rcode::noerror)
{
    return [&keys, rcode](std::span<const std::uint8_t> request, int) {
        const auto now = static_cast<std::uint64_t>(std::time(nullptr));
        const auto verification = tsig::verify_request(request, keys.lookup(), {now, 0});
        auto answer = plain_answer(request, rcode);
        if (verification.status != tsig::Status::unsigned_message) {
            EXPECT_TRUE(tsig::sign_answer(answer, verification, now).has_value());
        }
        return std::vector<std::vector<std::uint8_t>>{answer};
    };
}

TEST(SendNotify, SignedExchangeVerifies)
{
    const auto keys = key_table({"ns2._transfer.example.com."});
    ScriptedSecondary secondary(signing_secondary(keys));
    const auto outcome = send_notify(name("example.com."), example_soa(),
                                     target_of(secondary, make_key("ns2._transfer.example.com.")),
                                     answered_options());
    EXPECT_TRUE(outcome.answered) << outcome.message;
    EXPECT_EQ(outcome.rcode, Rcode::noerror);
}

TEST(SendNotify, WrongSecretIsSignatureRejected)
{
    const auto keys = key_table({"ns2._transfer.example.com."});
    ScriptedSecondary secondary(signing_secondary(keys));
    const auto outcome = send_notify(
        name("example.com."), std::nullopt,
        target_of(secondary, make_key("ns2._transfer.example.com.", 0x17)), answered_options());
    EXPECT_FALSE(outcome.answered);
    EXPECT_EQ(outcome.status, NotifyStatus::signature_rejected);
    EXPECT_EQ(outcome.attempts, 1U);
    EXPECT_NE(outcome.message.find("BADSIG"), std::string::npos) << outcome.message;
}

TEST(SendNotify, UnknownKeyIsSignatureRejected)
{
    const auto keys = key_table({"other._transfer.example.com."});
    ScriptedSecondary secondary(signing_secondary(keys));
    const auto outcome = send_notify(name("example.com."), std::nullopt,
                                     target_of(secondary, make_key("ns2._transfer.example.com.")),
                                     answered_options());
    EXPECT_EQ(outcome.status, NotifyStatus::signature_rejected);
    EXPECT_NE(outcome.message.find("BADKEY"), std::string::npos) << outcome.message;
}

TEST(SendNotify, UnsignedAnswerToSignedRequestIsIgnored)
{
    ScriptedSecondary secondary(answer_with(Rcode::noerror));
    const auto outcome = send_notify(name("example.com."), std::nullopt,
                                     target_of(secondary, make_key("ns2._transfer.example.com.")),
                                     silent_options(2));
    EXPECT_FALSE(outcome.answered);
    EXPECT_EQ(outcome.status, NotifyStatus::timed_out);
    EXPECT_EQ(outcome.attempts, 2U);
    EXPECT_NE(outcome.message.find("answer not signed (NOERROR)"), std::string::npos)
        << outcome.message;
}

TEST(SendNotify, ManyZonesAtOnce)
{
    ScriptedSecondary secondary(answer_with(Rcode::noerror));
    std::vector<NotifyRequest> requests;
    for (const auto* zone : {"a.example.", "b.example.", "c.example."}) {
        requests.push_back(NotifyRequest{name(zone), std::nullopt, target_of(secondary)});
    }
    const auto outcomes = send_notifies(requests, answered_options());
    ASSERT_EQ(outcomes.size(), 3U);
    for (const auto& outcome : outcomes) {
        EXPECT_TRUE(outcome.answered) << outcome.message;
    }
}

TEST(SendNotify, ManyZonesOneSlot)
{
    ScriptedSecondary secondary(answer_with(Rcode::noerror));
    std::vector<NotifyRequest> requests;
    for (const auto* zone : {"a.example.", "b.example.", "c.example."}) {
        requests.push_back(NotifyRequest{name(zone), std::nullopt, target_of(secondary)});
    }
    auto options = answered_options();
    options.max_in_flight = 1;
    const auto outcomes = send_notifies(requests, options);
    ASSERT_EQ(outcomes.size(), 3U);
    for (const auto& outcome : outcomes) {
        EXPECT_TRUE(outcome.answered) << outcome.message;
    }
    EXPECT_EQ(secondary.received(), 3);
}

// ---------------------------------------------------------------------------------------------
// NotifySender

// Collects the outcomes a NotifySender reports.
class OutcomeLog {
public:
    NotifySender::OutcomeHandler handler()
    {
        return [this](const NotifyRequest& request, const NotifyOutcome& outcome) {
            const std::lock_guard lock(mutex_);
            entries_.emplace_back(request, outcome);
            changed_.notify_all();
        };
    }

    bool wait_for(std::size_t count, std::chrono::milliseconds timeout = 5000ms)
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return entries_.size() >= count; });
    }

    std::vector<std::pair<NotifyRequest, NotifyOutcome>> entries()
    {
        const std::lock_guard lock(mutex_);
        return entries_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::pair<NotifyRequest, NotifyOutcome>> entries_;
};

TEST(NotifySender, NotifiesEveryTarget)
{
    ScriptedSecondary first(answer_with(Rcode::noerror));
    ScriptedSecondary second(answer_with(Rcode::refused));
    OutcomeLog log;
    NotifySender sender(answered_options(), log.handler());
    sender.notify(*ZoneBuilder("example.com.").compile(), {target_of(first), target_of(second)});

    ASSERT_TRUE(log.wait_for(2));
    int noerror = 0;
    int refused = 0;
    for (const auto& [request, outcome] : log.entries()) {
        EXPECT_EQ(request.zone, name("example.com."));
        ASSERT_TRUE(request.soa.has_value());
        EXPECT_TRUE(outcome.answered);
        noerror += outcome.rcode == Rcode::noerror ? 1 : 0;
        refused += outcome.rcode == Rcode::refused ? 1 : 0;
    }
    EXPECT_EQ(noerror, 1);
    EXPECT_EQ(refused, 1);
}

TEST(NotifySender, QueuesBeyondMaxInFlight)
{
    ScriptedSecondary first(answer_with(Rcode::noerror));
    ScriptedSecondary second(answer_with(Rcode::noerror));
    ScriptedSecondary third(answer_with(Rcode::noerror));
    OutcomeLog log;
    auto options = answered_options();
    options.max_in_flight = 1;
    NotifySender sender(options, log.handler());
    sender.notify(example_soa(), {target_of(first), target_of(second), target_of(third)});

    ASSERT_TRUE(log.wait_for(3));
    for (const auto& [request, outcome] : log.entries()) {
        EXPECT_TRUE(outcome.answered) << request.target.address.to_string();
    }
    EXPECT_EQ(first.received(), 1);
    EXPECT_EQ(second.received(), 1);
    EXPECT_EQ(third.received(), 1);
}

TEST(NotifySender, NewerSerialReplacesQueued)
{
    ScriptedSecondary slow([](std::span<const std::uint8_t>, int) {
        return std::vector<std::vector<std::uint8_t>>{};
    });
    std::vector<std::uint32_t> serials;
    std::mutex mutex;
    ScriptedSecondary secondary([&](std::span<const std::uint8_t> request, int) {
        const std::lock_guard lock(mutex);
        serials.push_back(read_u32(request.data() + request.size() - 20));
        return std::vector<std::vector<std::uint8_t>>{plain_answer(request, Rcode::noerror)};
    });
    OutcomeLog log;
    NotifySender sender(NotifyOptions{.timeout = 100ms, .attempts = 2, .max_in_flight = 1},
                        log.handler());
    auto soa = example_soa();
    auto newer = soa;
    write_u32(newer.rdata.data() + newer.rdata.size() - 20, 2026120402U);
    // The silent target takes the only slot, so both NOTIFYs for the second target queue up.
    sender.notify(soa, {target_of(slow), target_of(secondary)});
    sender.notify(newer, {target_of(secondary)});

    ASSERT_TRUE(log.wait_for(2));
    const std::lock_guard lock(mutex);
    ASSERT_EQ(serials.size(), 1U);
    EXPECT_EQ(serials[0], 2026120402U);
}

TEST(NotifySender, NewerSerialReplacesPending)
{
    // The secondary stays silent for the first serial and answers the second.
    std::vector<std::uint32_t> serials;
    std::mutex mutex;
    ScriptedSecondary secondary([&](std::span<const std::uint8_t> request, int) {
        const auto serial = read_u32(request.data() + request.size() - 20);
        const std::lock_guard lock(mutex);
        serials.push_back(serial);
        if (serial == 2026120401U) {
            return std::vector<std::vector<std::uint8_t>>{};
        }
        return std::vector<std::vector<std::uint8_t>>{plain_answer(request, Rcode::noerror)};
    });
    OutcomeLog log;
    NotifySender sender(NotifyOptions{.timeout = 500ms, .attempts = 5}, log.handler());
    auto soa = example_soa();
    sender.notify(soa, {target_of(secondary)});
    while (secondary.received() == 0) {
        std::this_thread::sleep_for(5ms);
    }
    auto newer = soa;
    write_u32(newer.rdata.data() + newer.rdata.size() - 20, 2026120402U);
    sender.notify(newer, {target_of(secondary)});
    sender.notify(soa, {target_of(secondary)}); // older: dropped while the newer one is pending

    ASSERT_TRUE(log.wait_for(1));
    sender.stop();
    const auto entries = log.entries();
    ASSERT_EQ(entries.size(), 1U) << "the replaced exchange reports no outcome";
    EXPECT_TRUE(entries[0].second.answered);
    EXPECT_EQ(soa_serial(*entries[0].first.soa), 2026120402U);
    const std::lock_guard lock(mutex);
    EXPECT_EQ(serials.back(), 2026120402U);
}

TEST(NotifySender, StopCancelsPending)
{
    ScriptedSecondary secondary([](std::span<const std::uint8_t>, int) {
        return std::vector<std::vector<std::uint8_t>>{};
    });
    OutcomeLog log;
    NotifySender sender(NotifyOptions{.timeout = 10s, .attempts = 5}, log.handler());
    sender.notify(name("example.com."), 7, {target_of(secondary)});
    while (secondary.received() == 0) {
        std::this_thread::sleep_for(5ms);
    }
    const auto started = std::chrono::steady_clock::now();
    sender.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_TRUE(log.entries().empty());
    sender.notify(name("example.com."), 8, {target_of(secondary)}); // ignored after stop
}

} // namespace
} // namespace robur::dns
