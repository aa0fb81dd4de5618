#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "servers/dns/asio.hpp"
#include "servers/dns/log_throttle.hpp"
#include "servers/dns/query_handler.hpp"
#include "servers/dns/tcp_connection.hpp"

namespace robur::dns {

// Opens a listening TCP socket with SO_REUSEADDR and SO_REUSEPORT (and IPV6_V6ONLY for IPv6)
// bound to endpoint. Fails with Errc::io_error naming the endpoint.
Result<asio::ip::tcp::acceptor> bind_tcp_acceptor(asio::io_context& io,
                                                  const asio::ip::tcp::endpoint& endpoint);

struct TcpOptions {
    // How long a connection may wait for the next query, for the rest of a message after its
    // first octets, or for a write to finish, before it is closed. RFC 7766 advises an idle
    // timeout of at least a few seconds.
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(10);
    // Open connections per worker thread. At the limit a new connection closes the one idle
    // the longest, or is closed itself when none is idle.
    std::size_t max_connections = 256;
};

// Accepts DNS-over-TCP connections on the acceptors of one worker thread and serves them with
// that worker's handler. The listener must outlive the io_context's run().
class TcpListener {
public:
    TcpListener(QueryHandler& handler, TcpOptions options);

    // Takes an acceptor from bind_tcp_acceptor(); call before start().
    void add(asio::ip::tcp::acceptor acceptor);

    // Starts accepting on every acceptor on the io_context they belong to.
    void start();

    // Closes the acceptors and every connection; call it on the io_context's thread.
    void close();

    [[nodiscard]] std::size_t connection_count() const { return connections_.size(); }

private:
    asio::awaitable<void> accept(asio::ip::tcp::acceptor& acceptor);
    asio::awaitable<void> serve(std::shared_ptr<TcpConnection> connection);
    bool make_room_for_connection();

    QueryHandler& handler_;
    TcpOptions options_;
    std::list<asio::ip::tcp::acceptor> acceptors_;
    std::list<std::shared_ptr<TcpConnection>> connections_;
    std::vector<std::uint8_t> scratch_;
    std::shared_ptr<spdlog::logger> logger_;
    LogThrottle accept_failure_log_;     // accept() fails in a loop while file descriptors last
    LogThrottle connection_failure_log_; // shared by the connections, like the handler
};

} // namespace robur::dns
