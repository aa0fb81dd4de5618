#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "servers/dns/asio.hpp"
#include "servers/dns/log_throttle.hpp"
#include "servers/dns/query_handler.hpp"

namespace robur::dns {

// Opens a UDP socket with SO_REUSEPORT (and IPV6_V6ONLY for IPv6) bound to endpoint. Fails with
// Errc::io_error naming the endpoint, for instance when the address is not local.
Result<asio::ip::udp::socket> bind_udp_socket(asio::io_context& io,
                                              const asio::ip::udp::endpoint& endpoint);

// Listener for the queries that arrive on one UDP socket of one worker thread. It receives
// datagrams with recvmmsg(2) and sends the responses with sendmmsg(2), up to max_batch per
// system call, in buffers allocated once per listener (about 4 MiB of address space). Linux
// only. The listener and its handler must outlive run().
class UdpListener {
public:
    // Datagrams received or sent per system call.
    static constexpr std::size_t max_batch = 32;

    // System calls of max_batch datagrams in one turn of the worker. After that the listener
    // lets the worker's other sockets and connections run before it continues.
    static constexpr int max_batches_per_turn = 4;

    UdpListener(asio::ip::udp::socket socket, QueryHandler& handler);
    ~UdpListener();
    UdpListener(const UdpListener&) = delete;
    UdpListener& operator=(const UdpListener&) = delete;

    // Receives, answers and sends until close(). Waits for the socket to become readable, then
    // answers every waiting datagram before it waits again.
    asio::awaitable<void> run();

    // Stops run(); call it on the thread that runs the listener's io_context.
    void close();

    [[nodiscard]] asio::ip::udp::endpoint local_endpoint() const;

    struct SharedSocket;

private:
    struct Batch;

    // Result of receive_batch(): the datagrams received, and whether more may be waiting.
    struct Received {
        std::size_t count = 0;
        bool drained = false;
    };

    Received receive_batch();
    std::size_t answer_batch(std::size_t received);
    void send_batch(std::size_t responses);
    void defer(std::span<const std::uint8_t> query, const sockaddr_storage& client,
               socklen_t client_length);

    asio::ip::udp::socket socket_;
    QueryHandler& handler_;
    std::shared_ptr<spdlog::logger> logger_;
    LogThrottle failure_log_; // for handler failures, which a client can repeat at will
    std::unique_ptr<Batch> batch_;
    std::shared_ptr<SharedSocket> shared_socket_; // for responses to deferred queries
};

} // namespace robur::dns
