#include "servers/dns/udp_listener.hpp"

#include <exception>
#include <span>

#include <fmt/format.h>

#include "core/log.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/log_quote.hpp"

namespace robur::dns {

namespace {

// Datagrams answered per wake-up, so that a flood on one socket leaves the other sockets and
// connections of the worker a turn.
constexpr int max_batch = 64;

std::string describe(const asio::ip::udp::endpoint& endpoint)
{
    return ListenAddress{endpoint.address(), endpoint.port()}.to_string();
}

} // namespace

Result<asio::ip::udp::socket> bind_udp_socket(asio::io_context& io,
                                              const asio::ip::udp::endpoint& endpoint)
{
    asio::ip::udp::socket socket(io);
    boost::system::error_code error;

    socket.open(endpoint.protocol(), error);
    if (!error) {
        socket.set_option(reuse_port(true), error);
    }
    if (!error && endpoint.address().is_v6()) {
        // An IPv6 wildcard then leaves IPv4 to its own listen address.
        socket.set_option(asio::ip::v6_only(true), error);
    }
    if (!error) {
        socket.bind(endpoint, error);
    }
    if (!error) {
        // Sends never wait, so a response that does not fit into the socket buffer is dropped.
        socket.non_blocking(true, error);
    }
    if (error) {
        return make_error(Errc::io_error, fmt::format("cannot bind UDP socket to {}: {}",
                                                      describe(endpoint), error.message()));
    }
    return socket;
}

UdpListener::UdpListener(asio::ip::udp::socket socket, QueryHandler& handler)
    : socket_(std::move(socket)), handler_(handler), logger_(log::get("dns"))
{
}

asio::ip::udp::endpoint UdpListener::local_endpoint() const
{
    boost::system::error_code error;
    return socket_.local_endpoint(error);
}

void UdpListener::close()
{
    boost::system::error_code ignored;
    socket_.close(ignored);
}

asio::awaitable<void> UdpListener::run()
{
    asio::ip::udp::endpoint client;

    while (socket_.is_open()) {
        boost::system::error_code error;
        co_await socket_.async_wait(asio::ip::udp::socket::wait_read,
                                    asio::redirect_error(asio::use_awaitable, error));
        if (error == asio::error::operation_aborted || !socket_.is_open()) {
            co_return;
        }

        // Answers the waiting datagrams without suspending between them.
        for (int batch = 0; batch < max_batch; ++batch) {
            const auto length = socket_.receive_from(asio::buffer(query_), client, 0, error);
            if (error == asio::error::would_block || error == asio::error::bad_descriptor) {
                break;
            }
            if (error) {
                // Linux reports an ICMP error for an earlier send on the next receive.
                logger_->debug("udp receive failed error={}", log_quote(error.message()));
                continue;
            }
            answer(length, client);
        }
    }
}

void UdpListener::answer(std::size_t query_length, const asio::ip::udp::endpoint& client)
{
    std::size_t response_length = 0;
    try {
        response_length =
            handler_.handle(std::span(query_.data(), query_length), QueryTransport::udp, response_);
    } catch (const std::exception& exception) {
        if (failure_log_.allow()) {
            logger_->error("query failed client={} error={} suppressed={}", describe(client),
                           log_quote(exception.what()), failure_log_.take_suppressed());
        }
        return;
    }
    if (response_length == 0) {
        return;
    }

    boost::system::error_code error;
    socket_.send_to(asio::buffer(response_.data(), response_length), client, 0, error);
    if (error) {
        logger_->debug("udp send failed client={} error={}", describe(client),
                       log_quote(error.message()));
    }
}

} // namespace robur::dns
