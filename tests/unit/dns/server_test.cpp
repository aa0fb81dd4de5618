#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "servers/dns/listen_address.hpp"
#include "servers/dns/log_throttle.hpp"
#include "servers/dns/published.hpp"
#include "servers/dns/server.hpp"
#include "servers/dns/udp_listener.hpp"
#include "core/unique_fd.hpp"

namespace robur::dns {
namespace {

using asio::ip::tcp;
using asio::ip::udp;
using Bytes = std::vector<std::uint8_t>;

// Holds every call of handle() while closed, so that the datagrams a test sends meanwhile wait
// in the socket's receive queue and reach the listener together.
class Gate {
public:
    void close()
    {
        const std::lock_guard lock(mutex_);
        open_ = false;
    }

    void open()
    {
        {
            const std::lock_guard lock(mutex_);
            open_ = true;
        }
        opened_.notify_all();
    }

    void pass()
    {
        std::unique_lock lock(mutex_);
        opened_.wait(lock, [this] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable opened_;
    bool open_ = true;
};

// Echoes each query back as its response, except: an empty query gets no response, and a query
// whose first octet is 0xff makes the handler throw. Counts calls of handle() and refresh(),
// and waits at the gate after counting a call.
class EchoHandler final : public QueryHandler {
public:
    EchoHandler(std::atomic<int>& calls, std::atomic<int>& refreshes, Gate& gate)
        : calls_(calls), refreshes_(refreshes), gate_(gate)
    {
    }

    std::size_t handle(std::span<const std::uint8_t> query, QueryTransport,
                       std::span<std::uint8_t> out) override
    {
        ++calls_;
        gate_.pass();
        if (!query.empty() && query[0] == 0xff) {
            throw std::runtime_error("handler failure");
        }
        std::copy(query.begin(), query.end(), out.begin());
        return query.size();
    }

    void refresh() override { ++refreshes_; }

private:
    std::atomic<int>& calls_;
    std::atomic<int>& refreshes_;
    Gate& gate_;
};

class ServerTest : public ::testing::Test {
protected:
    void start(const ServerOptions& options)
    {
        auto server = Server::start(
            options, [this] { return std::make_unique<EchoHandler>(calls_, refreshes_, gate_); });
        ASSERT_TRUE(server) << server.error().to_string();
        server_ = std::move(*server);
        port_ = server_->listen_addresses().front().port;
    }

    static ServerOptions loopback(unsigned threads = 2)
    {
        ServerOptions options;
        options.listen.push_back({asio::ip::make_address("127.0.0.1"), 0});
        options.threads = threads;
        options.tcp.timeout = std::chrono::seconds(1);
        return options;
    }

    // Waits until a client socket has data or end of stream, for at most timeout. Asio's
    // blocking reads ignore SO_RCVTIMEO, so every read in these tests waits here first.
    template <typename Socket>
    static bool wait_readable(Socket& socket,
                              std::chrono::milliseconds timeout = std::chrono::seconds(3))
    {
        pollfd ready{socket.native_handle(), POLLIN, 0};
        return ::poll(&ready, 1, static_cast<int>(timeout.count())) == 1;
    }

    // Reads exactly buffer.size() octets; fails the test instead of blocking forever.
    static void read_exactly(tcp::socket& socket, std::span<std::uint8_t> buffer)
    {
        std::size_t done = 0;
        while (done < buffer.size()) {
            if (!wait_readable(socket)) {
                throw std::runtime_error("timed out waiting for the server");
            }
            done +=
                socket.read_some(asio::buffer(buffer.subspan(done).data(), buffer.size() - done));
        }
    }

    tcp::socket connect()
    {
        tcp::socket socket(client_io_);
        socket.connect({asio::ip::make_address("127.0.0.1"), port_});
        socket.set_option(tcp::no_delay(true));
        return socket;
    }

    static Bytes frame(const Bytes& message)
    {
        Bytes framed{static_cast<std::uint8_t>(message.size() >> 8),
                     static_cast<std::uint8_t>(message.size() & 0xff)};
        framed.insert(framed.end(), message.begin(), message.end());
        return framed;
    }

    static Bytes read_frame(tcp::socket& socket)
    {
        std::array<std::uint8_t, 2> length{};
        read_exactly(socket, length);
        Bytes message(std::size_t{length[0]} << 8 | length[1]);
        read_exactly(socket, message);
        return message;
    }

    // True when the server closed the connection (read returns EOF or a reset).
    static bool closed_by_server(tcp::socket& socket)
    {
        if (!wait_readable(socket)) {
            return false;
        }
        std::array<std::uint8_t, 1> octet{};
        boost::system::error_code error;
        socket.read_some(asio::buffer(octet), error);
        return error == asio::error::eof || error == asio::error::connection_reset;
    }

    // A test that fails while the gate is closed must not leave stop() waiting for a worker.
    void TearDown() override
    {
        gate_.open();
        server_.reset();
    }

    // Waits until handle() has been called at least count times, for at most 3 seconds.
    bool wait_for_calls(int count)
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (calls_ < count) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }

    // Receives one datagram, or returns nullopt after 3 seconds without one.
    static std::optional<Bytes> receive(udp::socket& socket)
    {
        if (!wait_readable(socket)) {
            return std::nullopt;
        }
        Bytes datagram(64);
        udp::endpoint sender;
        datagram.resize(socket.receive_from(asio::buffer(datagram), sender));
        return datagram;
    }

    udp::endpoint udp_server() const { return {asio::ip::make_address("127.0.0.1"), port_}; }

    asio::io_context client_io_;
    Gate gate_;
    std::atomic<int> calls_{0};
    std::atomic<int> refreshes_{0};
    std::unique_ptr<Server> server_;
    std::uint16_t port_ = 0;
};

TEST(ListenAddress, ParsesIpv4WithPort)
{
    const auto address = parse_listen_address("127.0.0.1:5300");
    ASSERT_TRUE(address) << address.error().message;
    EXPECT_EQ(address->address, asio::ip::make_address("127.0.0.1"));
    EXPECT_EQ(address->port, 5300);
    EXPECT_EQ(address->to_string(), "127.0.0.1:5300");
}

TEST(ListenAddress, ParsesBracketedIpv6)
{
    const auto address = parse_listen_address("[::1]:5300");
    ASSERT_TRUE(address) << address.error().message;
    EXPECT_TRUE(address->address.is_v6());
    EXPECT_EQ(address->port, 5300);
    EXPECT_EQ(address->to_string(), "[::1]:5300");
}

TEST(ListenAddress, DefaultsToPort53)
{
    const auto v4 = parse_listen_address("192.0.2.1");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->port, 53);
    const auto v6 = parse_listen_address("[2001:db8::1]");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->port, 53);
}

TEST(ListenAddress, RejectsMalformedText)
{
    for (const auto* text :
         {"", "::1", "::1:53", "[::1", "[::1]53", "[127.0.0.1]:53", "localhost:53",
          "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:5x", "[::1]:"}) {
        const auto address = parse_listen_address(text);
        EXPECT_FALSE(address) << text;
        if (!address) {
            EXPECT_EQ(address.error().code, Errc::invalid_argument) << text;
            EXPECT_NE(address.error().message.find(text), std::string::npos) << text;
        }
    }
}

TEST(Published, ReaderFollowsPublications)
{
    Published<int> published;
    Published<int>::Reader reader(published);
    EXPECT_EQ(reader.get(), nullptr);

    EXPECT_EQ(published.publish(std::make_shared<const int>(1)), 1U);
    ASSERT_NE(reader.get(), nullptr);
    EXPECT_EQ(*reader.get(), 1);

    EXPECT_EQ(published.publish(std::make_shared<const int>(2)), 2U);
    EXPECT_EQ(*reader.get(), 2);
}

TEST(Published, ReaderKeepsItsVersionAlive)
{
    Published<int> published;
    Published<int>::Reader reader(published);
    auto first = std::make_shared<const int>(1);
    std::weak_ptr<const int> watch = first;
    published.publish(std::move(first));
    EXPECT_EQ(*reader.get(), 1);

    published.publish(std::make_shared<const int>(2));
    EXPECT_FALSE(watch.expired()) << "the reader has not called get() since the publish";
    EXPECT_EQ(*reader.get(), 2);
    EXPECT_TRUE(watch.expired());
}

TEST(Published, ConcurrentReadersSeeWholeVersions)
{
    Published<std::vector<int>> published;
    published.publish(std::make_shared<const std::vector<int>>(100, 0));
    std::atomic<bool> done{false};
    std::atomic<int> torn{0};

    std::vector<std::thread> readers;
    for (int i = 0; i < 2; ++i) {
        readers.emplace_back([&] {
            Published<std::vector<int>>::Reader reader(published);
            while (!done) {
                const auto* version = reader.get();
                if (std::adjacent_find(version->begin(), version->end(), std::not_equal_to<>()) !=
                    version->end()) {
                    ++torn;
                }
            }
        });
    }
    for (int value = 1; value <= 2000; ++value) {
        published.publish(std::make_shared<const std::vector<int>>(100, value));
    }
    done = true;
    for (auto& reader : readers) {
        reader.join();
    }
    EXPECT_EQ(torn, 0);
}

TEST(LogThrottle, SuppressesRepeatsWithinInterval)
{
    LogThrottle throttle(std::chrono::seconds(10));
    const auto start = LogThrottle::Clock::now();
    EXPECT_TRUE(throttle.allow(start));
    EXPECT_FALSE(throttle.allow(start + std::chrono::seconds(1)));
    EXPECT_FALSE(throttle.allow(start + std::chrono::seconds(9)));

    EXPECT_TRUE(throttle.allow(start + std::chrono::seconds(10)));
    EXPECT_EQ(throttle.take_suppressed(), 2U);
    EXPECT_EQ(throttle.take_suppressed(), 0U);
}

TEST_F(ServerTest, AnswersOverUdp)
{
    start(loopback());
    udp::socket client(client_io_, udp::v4());
    const Bytes query{1, 2, 3, 4, 5};
    client.send_to(asio::buffer(query), {asio::ip::make_address("127.0.0.1"), port_});

    ASSERT_TRUE(wait_readable(client));
    Bytes response(16);
    udp::endpoint sender;
    const auto length = client.receive_from(asio::buffer(response), sender);
    response.resize(length);
    EXPECT_EQ(response, query);
}

TEST_F(ServerTest, EmptyResponseSendsNothing)
{
    start(loopback(1));
    udp::socket client(client_io_, udp::v4());
    const udp::endpoint server{asio::ip::make_address("127.0.0.1"), port_};
    client.send_to(asio::buffer(Bytes{}), server);
    client.send_to(asio::buffer(Bytes{6}), server);

    // Only the second datagram gets a response.
    ASSERT_TRUE(wait_readable(client));
    Bytes response(16);
    udp::endpoint sender;
    response.resize(client.receive_from(asio::buffer(response), sender));
    EXPECT_EQ(response, Bytes{6});
    EXPECT_FALSE(wait_readable(client, std::chrono::milliseconds(200)));
    EXPECT_EQ(calls_, 2);
}

TEST_F(ServerTest, AnswersOverUdpIpv6)
{
    ServerOptions options = loopback(1);
    options.listen.front().address = asio::ip::make_address("::1");
    auto server = Server::start(
        options, [this] { return std::make_unique<EchoHandler>(calls_, refreshes_, gate_); });
    if (!server) {
        GTEST_SKIP() << "cannot listen on [::1], skipping: " << server.error().to_string();
    }
    server_ = std::move(*server);

    udp::socket client(client_io_, udp::v6());
    const Bytes query{6, 6, 6};
    client.send_to(asio::buffer(query),
                   {asio::ip::make_address("::1"), server_->listen_addresses().front().port});
    EXPECT_EQ(receive(client), query);
}

// Queries that wait in the socket queue exceed several receive batches and one turn of the
// worker. Every one is answered, although no further datagram arrives to signal readiness, and
// each response goes to the client that sent its query.
TEST_F(ServerTest, AnswersQueuedDatagramsOfManyClients)
{
    constexpr int clients = 4;
    constexpr int queries_per_client = 40;
    static_assert(std::size_t{clients * queries_per_client} >
                  UdpListener::max_batch * UdpListener::max_batches_per_turn);
    gate_.close();
    start(loopback(1));

    std::vector<udp::socket> sockets;
    for (int i = 0; i < clients; ++i) {
        sockets.emplace_back(client_io_, udp::v4());
        sockets.back().set_option(asio::socket_base::receive_buffer_size(1 << 20));
    }
    sockets[0].send_to(asio::buffer(Bytes{0xaa}), udp_server());
    ASSERT_TRUE(wait_for_calls(1)) << "the worker did not receive the first query";

    for (std::uint8_t sequence = 0; sequence < queries_per_client; ++sequence) {
        for (int i = 0; i < clients; ++i) {
            sockets[static_cast<std::size_t>(i)].send_to(
                asio::buffer(Bytes{static_cast<std::uint8_t>(i), sequence}), udp_server());
        }
    }
    gate_.open();

    EXPECT_EQ(receive(sockets[0]), Bytes{0xaa});
    for (int i = 0; i < clients; ++i) {
        for (std::uint8_t sequence = 0; sequence < queries_per_client; ++sequence) {
            const auto response = receive(sockets[static_cast<std::size_t>(i)]);
            ASSERT_TRUE(response) << "client " << i << " got no response " << int{sequence};
            EXPECT_EQ(*response, (Bytes{static_cast<std::uint8_t>(i), sequence}));
        }
    }
    EXPECT_EQ(calls_, 1 + clients * queries_per_client);
}

TEST_F(ServerTest, HandlerFailureSkipsOnlyItsDatagram)
{
    gate_.close();
    start(loopback(1));
    udp::socket client(client_io_, udp::v4());
    client.send_to(asio::buffer(Bytes{1}), udp_server());
    ASSERT_TRUE(wait_for_calls(1));

    // These arrive in one receive batch: a failing query and an empty response in between.
    for (const auto& query : {Bytes{2}, Bytes{0xff}, Bytes{}, Bytes{3}}) {
        client.send_to(asio::buffer(query), udp_server());
    }
    gate_.open();

    EXPECT_EQ(receive(client), Bytes{1});
    EXPECT_EQ(receive(client), Bytes{2});
    EXPECT_EQ(receive(client), Bytes{3});
    EXPECT_FALSE(wait_readable(client, std::chrono::milliseconds(200)));
    EXPECT_EQ(calls_, 5);
}

// Linux rejects a send to UDP port 0 with EINVAL. A query from port 0, sent through a raw
// socket, thus makes one response in the middle of a sendmmsg(2) batch fail.
TEST_F(ServerTest, SendsRestOfBatchAfterFailedResponse)
{
    const int raw = ::socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
    if (raw < 0) {
        GTEST_SKIP() << "raw sockets need CAP_NET_RAW, skipping";
    }
    const UniqueFd raw_socket(raw);
    gate_.close();
    start(loopback(1));
    udp::socket client(client_io_, udp::v4());
    client.send_to(asio::buffer(Bytes{1}), udp_server());
    ASSERT_TRUE(wait_for_calls(1));

    client.send_to(asio::buffer(Bytes{2}), udp_server());
    // UDP header: source port 0, destination port, length, checksum 0 (none, RFC 768).
    const std::array<std::uint8_t, 9> from_port_zero{0,
                                                     0,
                                                     static_cast<std::uint8_t>(port_ >> 8),
                                                     static_cast<std::uint8_t>(port_ & 0xff),
                                                     0,
                                                     9,
                                                     0,
                                                     0,
                                                     7};
    sockaddr_in loopback_address{};
    loopback_address.sin_family = AF_INET;
    loopback_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::sendto(raw, from_port_zero.data(), from_port_zero.size(), 0,
                       reinterpret_cast<const sockaddr*>(&loopback_address),
                       sizeof(loopback_address)),
              static_cast<ssize_t>(from_port_zero.size()));
    client.send_to(asio::buffer(Bytes{3}), udp_server());
    gate_.open();

    EXPECT_EQ(receive(client), Bytes{1});
    EXPECT_EQ(receive(client), Bytes{2});
    EXPECT_EQ(receive(client), Bytes{3});
    EXPECT_EQ(calls_, 4) << "the query from port 0 reached the handler too";
}

TEST_F(ServerTest, PortZeroGivesEveryWorkerTheSamePort)
{
    start(loopback(3));
    EXPECT_NE(port_, 0);
    EXPECT_EQ(server_->thread_count(), 3U);
    // Every worker's TCP acceptor listens on the port the first UDP socket got.
    for (int i = 0; i < 6; ++i) {
        auto socket = connect();
        asio::write(socket, asio::buffer(frame({9, 9})));
        EXPECT_EQ(read_frame(socket), (Bytes{9, 9}));
    }
}

TEST_F(ServerTest, AnswersPipelinedTcpQueriesInOrder)
{
    start(loopback());
    auto socket = connect();
    Bytes batch;
    for (std::uint8_t i = 1; i <= 50; ++i) {
        const auto framed = frame(Bytes(i, i));
        batch.insert(batch.end(), framed.begin(), framed.end());
    }
    asio::write(socket, asio::buffer(batch));

    for (std::uint8_t i = 1; i <= 50; ++i) {
        EXPECT_EQ(read_frame(socket), Bytes(i, i));
    }
}

TEST_F(ServerTest, ReassemblesQuerySplitAcrossSegments)
{
    start(loopback());
    auto socket = connect();
    const auto framed = frame(Bytes(300, 7));
    // The split falls inside the length prefix, then inside the message.
    for (const auto& piece : {Bytes(framed.begin(), framed.begin() + 1),
                              Bytes(framed.begin() + 1, framed.begin() + 100),
                              Bytes(framed.begin() + 100, framed.end())}) {
        asio::write(socket, asio::buffer(piece));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(read_frame(socket), Bytes(300, 7));
}

TEST_F(ServerTest, AnswersMaximumSizeMessage)
{
    start(loopback(1));
    auto socket = connect();
    const Bytes query(65535, 1);
    asio::write(socket, asio::buffer(frame(query)));
    EXPECT_EQ(read_frame(socket), query);
}

TEST_F(ServerTest, ClosesIdleTcpConnection)
{
    start(loopback(1));
    auto socket = connect();
    asio::write(socket, asio::buffer(frame({1})));
    EXPECT_EQ(read_frame(socket), Bytes{1});

    const auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(closed_by_server(socket));
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(800));
}

TEST_F(ServerTest, ClosesConnectionStalledInsideMessage)
{
    start(loopback(1));
    auto socket = connect();
    asio::write(socket, asio::buffer(Bytes{0, 10, 1, 2}));
    EXPECT_TRUE(closed_by_server(socket));
}

TEST_F(ServerTest, ClosesConnectionSendingOneOctetAtATime)
{
    start(loopback(1));
    auto socket = connect();
    const auto started = std::chrono::steady_clock::now();
    asio::write(socket, asio::buffer(Bytes{0, 50}));

    // Each octet arrives well within the timeout, but the message as a whole does not.
    bool closed = false;
    for (int i = 0; i < 15 && !closed; ++i) {
        if (wait_readable(socket, std::chrono::milliseconds(200))) {
            closed = closed_by_server(socket);
            break;
        }
        boost::system::error_code error;
        asio::write(socket, asio::buffer(Bytes{1}), error);
        closed = static_cast<bool>(error);
    }
    EXPECT_TRUE(closed);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2000));
}

TEST_F(ServerTest, HandlerExceptionClosesOnlyThatConnection)
{
    start(loopback(1));
    auto failing = connect();
    auto healthy = connect();
    asio::write(failing, asio::buffer(frame({0xff})));
    EXPECT_TRUE(closed_by_server(failing));

    asio::write(healthy, asio::buffer(frame({4, 2})));
    EXPECT_EQ(read_frame(healthy), (Bytes{4, 2}));
}

TEST_F(ServerTest, ConnectionLimitClosesOldestIdle)
{
    auto options = loopback(1);
    options.tcp.max_connections = 3;
    options.tcp.timeout = std::chrono::seconds(5);
    start(options);

    std::vector<tcp::socket> sockets;
    for (int i = 0; i < 3; ++i) {
        sockets.push_back(connect());
        // A round trip makes sure the server has accepted it, in this order.
        asio::write(sockets.back(), asio::buffer(frame({1})));
        read_frame(sockets.back());
    }
    auto extra = connect();
    asio::write(extra, asio::buffer(frame({2})));
    EXPECT_EQ(read_frame(extra), Bytes{2});

    EXPECT_TRUE(closed_by_server(sockets[0]));
    asio::write(sockets[2], asio::buffer(frame({3})));
    EXPECT_EQ(read_frame(sockets[2]), Bytes{3});
}

TEST_F(ServerTest, StopClosesOpenConnections)
{
    start(loopback());
    auto socket = connect();
    asio::write(socket, asio::buffer(frame({1})));
    read_frame(socket);

    server_->stop();
    EXPECT_TRUE(closed_by_server(socket));
    server_->stop();
}

TEST_F(ServerTest, RefreshesIdleWorkers)
{
    start(loopback(2));
    for (int i = 0; i < 40 && refreshes_ < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_GE(refreshes_, 2) << "each worker refreshes its handler about once a second";
    EXPECT_EQ(calls_, 0);
}

TEST_F(ServerTest, ReportsAddressInUse)
{
    start(loopback(1));
    ServerOptions second = loopback(1);
    second.listen.front().port = port_;
    const auto result = Server::start(
        second, [this] { return std::make_unique<EchoHandler>(calls_, refreshes_, gate_); });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::io_error);
    EXPECT_NE(result.error().message.find(fmt::format("127.0.0.1:{}", port_)), std::string::npos)
        << result.error().message;
}

TEST_F(ServerTest, ReportsAddressThatIsNotLocal)
{
    ServerOptions options;
    options.listen.push_back({asio::ip::make_address("192.0.2.1"), 0});
    options.threads = 1;
    const auto result = Server::start(
        options, [this] { return std::make_unique<EchoHandler>(calls_, refreshes_, gate_); });
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("192.0.2.1"), std::string::npos);
}

TEST_F(ServerTest, RejectsEmptyListenList)
{
    const auto result = Server::start(
        {}, [this] { return std::make_unique<EchoHandler>(calls_, refreshes_, gate_); });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::invalid_argument);
}

} // namespace
} // namespace robur::dns
