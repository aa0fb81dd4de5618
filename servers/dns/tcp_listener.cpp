#include "servers/dns/tcp_listener.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/log.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/log_quote.hpp"

namespace robur::dns {

namespace {

// The largest DNS message, as the two-octet length prefix limits it (RFC 1035 section 4.2.2).
constexpr std::size_t max_message_size = 65535;

// Pause after an accept() failure such as EMFILE, so that the loop does not spin.
constexpr auto accept_retry_delay = std::chrono::milliseconds(100);

std::string describe(const asio::ip::tcp::endpoint& endpoint)
{
    return ListenAddress{endpoint.address(), endpoint.port()}.to_string();
}

} // namespace

Result<asio::ip::tcp::acceptor> bind_tcp_acceptor(asio::io_context& io,
                                                  const asio::ip::tcp::endpoint& endpoint)
{
    asio::ip::tcp::acceptor acceptor(io);
    boost::system::error_code error;

    acceptor.open(endpoint.protocol(), error);
    if (!error) {
        acceptor.set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) {
        acceptor.set_option(reuse_port(true), error);
    }
    if (!error && endpoint.address().is_v6()) {
        acceptor.set_option(asio::ip::v6_only(true), error);
    }
    if (!error) {
        acceptor.bind(endpoint, error);
    }
    if (!error) {
        acceptor.listen(asio::socket_base::max_listen_connections, error);
    }
    if (error) {
        return make_error(Errc::io_error, fmt::format("cannot listen on TCP {}: {}",
                                                      describe(endpoint), error.message()));
    }
    return acceptor;
}

TcpListener::TcpListener(QueryHandler& handler, TcpOptions options)
    : handler_(handler), options_(options), scratch_(max_message_size), logger_(log::get("dns"))
{
}

void TcpListener::add(asio::ip::tcp::acceptor acceptor)
{
    acceptors_.push_back(std::move(acceptor));
}

void TcpListener::start()
{
    for (auto& acceptor : acceptors_) {
        asio::co_spawn(acceptor.get_executor(), accept(acceptor), asio::detached);
    }
}

void TcpListener::close()
{
    for (auto& acceptor : acceptors_) {
        boost::system::error_code ignored;
        acceptor.close(ignored);
    }
    // Closing makes each connection's coroutine end and remove itself from the list.
    for (const auto& connection : connections_) {
        connection->close();
    }
}

asio::awaitable<void> TcpListener::accept(asio::ip::tcp::acceptor& acceptor)
{
    asio::steady_timer retry_timer(acceptor.get_executor());
    boost::system::error_code error;

    while (acceptor.is_open()) {
        auto socket =
            co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
        if (error == asio::error::operation_aborted || !acceptor.is_open()) {
            co_return;
        }
        if (error) {
            if (accept_failure_log_.allow()) {
                const auto message = error.message();
                logger_->warn("tcp accept failed listen={} error={} suppressed={}",
                              describe(acceptor.local_endpoint(error)), log_quote(message),
                              accept_failure_log_.take_suppressed());
            }
            retry_timer.expires_after(accept_retry_delay);
            co_await retry_timer.async_wait(asio::redirect_error(asio::use_awaitable, error));
            continue;
        }

        if (!make_room_for_connection()) {
            logger_->debug("tcp connection rejected, limit reached max_connections={}",
                           options_.max_connections);
            socket.close(error);
            continue;
        }

        auto connection = std::make_shared<TcpConnection>(
            std::move(socket), handler_, scratch_, options_.timeout, connection_failure_log_);
        connections_.push_front(connection);
        connection->position = connections_.begin();
        asio::co_spawn(acceptor.get_executor(), serve(std::move(connection)), asio::detached);
    }
}

asio::awaitable<void> TcpListener::serve(std::shared_ptr<TcpConnection> connection)
{
    co_await connection->run();
    connections_.erase(connection->position);
}

bool TcpListener::make_room_for_connection()
{
    if (connections_.size() < options_.max_connections) {
        return true;
    }

    // Closed connections stay listed until their coroutine ends, so they are not counted.
    std::size_t open = 0;
    auto oldest_idle = connections_.end();
    for (auto it = connections_.begin(); it != connections_.end(); ++it) {
        if (!(*it)->is_open()) {
            continue;
        }
        ++open;
        if ((*it)->idle() && (oldest_idle == connections_.end() ||
                              (*it)->last_activity() < (*oldest_idle)->last_activity())) {
            oldest_idle = it;
        }
    }
    if (open < options_.max_connections) {
        return true;
    }

    // Closing an idle connection loses no query in progress, so idle connections go first.
    if (oldest_idle == connections_.end()) {
        return false;
    }
    (*oldest_idle)->close();
    return true;
}

} // namespace robur::dns
