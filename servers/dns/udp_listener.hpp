#pragma once

#include <array>
#include <cstdint>
#include <memory>

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

// Answers the queries that arrive on one UDP socket of one worker thread. The listener and its
// handler must outlive run().
class UdpListener {
public:
    UdpListener(asio::ip::udp::socket socket, QueryHandler& handler);

    // Receives, answers and sends until close(). Datagrams waiting in the socket are answered
    // in a batch before the coroutine waits again.
    asio::awaitable<void> run();

    // Stops run(); call it on the thread that runs the listener's io_context.
    void close();

    [[nodiscard]] asio::ip::udp::endpoint local_endpoint() const;

private:
    void answer(std::size_t query_length, const asio::ip::udp::endpoint& client);

    // The largest UDP payload; IP fragments it when it exceeds the path MTU.
    static constexpr std::size_t max_message_size = 65535;

    asio::ip::udp::socket socket_;
    QueryHandler& handler_;
    std::shared_ptr<spdlog::logger> logger_;
    LogThrottle failure_log_; // for handler failures, which a client can repeat at will
    std::array<std::uint8_t, max_message_size> query_{};
    std::array<std::uint8_t, max_message_size> response_{};
};

} // namespace robur::dns
