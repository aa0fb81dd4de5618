#include "servers/dns/udp_listener.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include <fmt/format.h>
#include <sys/socket.h>

#include "core/log.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/log_quote.hpp"

namespace robur::dns {

namespace {

// The largest UDP payload; IP fragments it when it exceeds the path MTU.
constexpr std::size_t max_message_size = 65535;

std::string describe(const asio::ip::udp::endpoint& endpoint)
{
    return ListenAddress{endpoint.address(), endpoint.port()}.to_string();
}

// The client address that recvmmsg(2) stored, or nothing for an unexpected address family.
std::optional<asio::ip::udp::endpoint> to_endpoint(const sockaddr_storage& address,
                                                    socklen_t length)
{
    asio::ip::udp::endpoint endpoint;
    if (length > endpoint.capacity() ||
        (address.ss_family != AF_INET && address.ss_family != AF_INET6)) {
        return std::nullopt;
    }
    std::memcpy(endpoint.data(), &address, length);
    endpoint.resize(length);
    return endpoint;
}

// Formats the peer address that recvmmsg(2) stored, for log lines.
std::string describe(const sockaddr_storage& address, socklen_t length)
{
    const auto endpoint = to_endpoint(address, length);
    if (!endpoint) {
        return fmt::format("(address family {})", address.ss_family);
    }
    return describe(*endpoint);
}

std::string describe_errno(int number)
{
    return boost::system::error_code(number, boost::system::system_category()).message();
}

} // namespace

// The listener's socket as the responses to deferred queries use it. Those are sent from other
// threads, so the listener clears the descriptor under the lock before it closes the socket.
struct UdpListener::SharedSocket {
    std::mutex mutex;
    int fd = -1;
};

namespace {

// Sends each response of a deferred query as one datagram to the client it came from.
class UdpResponseStream final : public ResponseStream {
public:
    UdpResponseStream(std::shared_ptr<UdpListener::SharedSocket> socket,
                      const sockaddr_storage& client, socklen_t client_length)
        : socket_(std::move(socket)), client_(client), client_length_(client_length)
    {
    }

    void send(std::vector<std::uint8_t> message) override
    {
        const std::lock_guard lock(socket_->mutex);
        if (socket_->fd < 0) {
            return;
        }
        // As on the fast path, a response that does not fit into the socket buffer is dropped.
        static_cast<void>(::sendto(socket_->fd, message.data(), message.size(), MSG_DONTWAIT,
                                   reinterpret_cast<const sockaddr*>(&client_), client_length_));
    }

    void close() override {}

private:
    std::shared_ptr<UdpListener::SharedSocket> socket_;
    sockaddr_storage client_;
    socklen_t client_length_;
};

} // namespace

// Message headers and buffers of one listener, set up once so that a batch allocates nothing.
struct UdpListener::Batch {
    // Distance between two buffers. The extra 256 octets keep the buffers from all starting in
    // the same cache sets, which a distance of exactly 64 KiB would do.
    static constexpr std::size_t stride = max_message_size + 1 + 256;

    Batch()
    {
        for (std::size_t i = 0; i < max_batch; ++i) {
            query_vectors[i] = {.iov_base = query_buffer(i), .iov_len = max_message_size};
            queries[i].msg_hdr.msg_name = &clients[i];
            queries[i].msg_hdr.msg_iov = &query_vectors[i];
            queries[i].msg_hdr.msg_iovlen = 1;

            response_vectors[i].iov_base = response_buffer(i);
            responses[i].msg_hdr.msg_iov = &response_vectors[i];
            responses[i].msg_hdr.msg_iovlen = 1;
        }
    }

    std::uint8_t* query_buffer(std::size_t i) { return memory.get() + i * stride; }
    std::uint8_t* response_buffer(std::size_t i) { return memory.get() + (max_batch + i) * stride; }

    // Left uninitialised, because the kernel and the handler write each buffer before it is read.
    // Pages that are never written then take no memory.
    std::unique_ptr<std::uint8_t[]> memory =
        std::make_unique_for_overwrite<std::uint8_t[]>(2 * max_batch * stride);
    std::array<mmsghdr, max_batch> queries{};
    std::array<iovec, max_batch> query_vectors{};
    std::array<sockaddr_storage, max_batch> clients{};
    std::array<mmsghdr, max_batch> responses{};
    std::array<iovec, max_batch> response_vectors{};
};

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
    : socket_(std::move(socket)), handler_(handler), logger_(log::get("dns")),
      batch_(std::make_unique<Batch>()), shared_socket_(std::make_shared<SharedSocket>())
{
    shared_socket_->fd = socket_.native_handle();
}

UdpListener::~UdpListener() = default;

asio::ip::udp::endpoint UdpListener::local_endpoint() const
{
    boost::system::error_code error;
    return socket_.local_endpoint(error);
}

void UdpListener::close()
{
    {
        const std::lock_guard lock(shared_socket_->mutex);
        shared_socket_->fd = -1;
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
}

asio::awaitable<void> UdpListener::run()
{
    while (socket_.is_open()) {
        boost::system::error_code error;
        co_await socket_.async_wait(asio::ip::udp::socket::wait_read,
                                    asio::redirect_error(asio::use_awaitable, error));
        if (error == asio::error::operation_aborted || !socket_.is_open()) {
            co_return;
        }

        // Every async_wait costs an epoll_ctl(2) besides the epoll_wait(2), because Asio re-arms
        // the socket for it. So the listener receives until a short batch shows that the queue
        // is empty, and only then waits again.
        bool drained = false;
        while (!drained && socket_.is_open()) {
            std::size_t received_in_turn = 0;
            for (int call = 0; call < max_batches_per_turn && !drained; ++call) {
                const auto received = receive_batch();
                received_in_turn += received.count;
                drained = received.drained;
                if (received.count > 0) {
                    send_batch(answer_batch(received.count));
                }
            }

            if (received_in_turn == 0) {
                // Nothing was received in this turn. Waiting for readiness instead of retrying
                // at once keeps an error that persists from spinning the worker.
                break;
            }
            if (!drained) {
                // Lets the worker's other sockets and connections run before the next turn. A
                // posted continuation costs one epoll_wait(2) with no timeout, not a new wait.
                co_await asio::post(socket_.get_executor(), asio::use_awaitable);
            }
        }
    }
}

UdpListener::Received UdpListener::receive_batch()
{
    for (auto& query : batch_->queries) {
        query.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    }

    const int count = ::recvmmsg(socket_.native_handle(), batch_->queries.data(),
                                 static_cast<unsigned>(max_batch), MSG_DONTWAIT, nullptr);
    if (count >= 0) {
        // A short batch means that no further datagram was waiting, or that receiving one
        // failed. Linux keeps such an error for the next call, and poll(2) meanwhile reports
        // the socket as ready.
        const auto received = static_cast<std::size_t>(count);
        return {.count = received, .drained = received < max_batch};
    }

    const int number = errno;
    if (number == EAGAIN || number == EWOULDBLOCK || number == EBADF) {
        return {.count = 0, .drained = true};
    }
    if (number != EINTR) {
        // Typically the error that the previous call kept (see above).
        logger_->debug("udp receive failed error={}", log_quote(describe_errno(number)));
    }
    return {.count = 0, .drained = false};
}

std::size_t UdpListener::answer_batch(std::size_t received)
{
    auto& batch = *batch_;
    std::size_t responses = 0;

    for (std::size_t i = 0; i < received; ++i) {
        const auto& query = batch.queries[i];
        if ((query.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
            // Only an IPv6 jumbogram exceeds the buffer, and a truncated query would get a wrong
            // response.
            logger_->debug("udp query dropped client={} reason=\"larger than 65535 octets\"",
                           describe(batch.clients[i], query.msg_hdr.msg_namelen));
            continue;
        }

        std::size_t length = 0;
        try {
            length = handler_.handle(std::span(batch.query_buffer(i), query.msg_len),
                                     QueryTransport::udp,
                                     std::span(batch.response_buffer(responses), max_message_size));
        } catch (const std::exception& exception) {
            if (failure_log_.allow()) {
                logger_->error("query failed client={} error={} suppressed={}",
                               describe(batch.clients[i], query.msg_hdr.msg_namelen),
                               log_quote(exception.what()), failure_log_.take_suppressed());
            }
            continue;
        }
        if (length == QueryHandler::deferred) {
            defer(std::span(batch.query_buffer(i), query.msg_len), batch.clients[i],
                  query.msg_hdr.msg_namelen);
            continue;
        }
        if (length == 0) {
            continue;
        }

        auto& response = batch.responses[responses];
        response.msg_hdr.msg_name = &batch.clients[i];
        response.msg_hdr.msg_namelen = query.msg_hdr.msg_namelen;
        batch.response_vectors[responses].iov_len = length;
        ++responses;
    }
    return responses;
}

void UdpListener::defer(std::span<const std::uint8_t> query, const sockaddr_storage& client,
                        socklen_t client_length)
{
    const auto endpoint = to_endpoint(client, client_length);
    if (!endpoint) {
        return;
    }
    const QueryContext context{.transport = QueryTransport::udp,
                               .client = endpoint->address(),
                               .client_port = endpoint->port()};
    handler_.handle_deferred(std::vector<std::uint8_t>(query.begin(), query.end()), context,
                             std::make_shared<UdpResponseStream>(shared_socket_, client,
                                                                 client_length));
}

void UdpListener::send_batch(std::size_t responses)
{
    auto& batch = *batch_;
    std::size_t next = 0;

    while (next < responses) {
        const int sent = ::sendmmsg(socket_.native_handle(), &batch.responses[next],
                                    static_cast<unsigned>(responses - next), MSG_DONTWAIT);
        if (sent > 0) {
            next += static_cast<std::size_t>(sent);
            continue;
        }

        if (sent == 0) {
            // Only an empty vector gives 0, and the loop condition excludes it.
            break;
        }

        // The response at index next failed. sendmmsg(2) returns the error only when it is the
        // first message of the call, so a partial count is followed by a retry from there.
        const int number = errno;
        if (number == EINTR) {
            continue;
        }
        const auto& failed = batch.responses[next].msg_hdr;
        // A full socket buffer rejects the rest of the batch as well, so it is dropped at once.
        const bool buffer_full = number == EAGAIN || number == EWOULDBLOCK || number == ENOBUFS;
        const std::size_t dropped = buffer_full ? responses - next : 1;
        logger_->debug(
            "udp send failed client={} error={} dropped={}",
            describe(*static_cast<const sockaddr_storage*>(failed.msg_name), failed.msg_namelen),
            log_quote(describe_errno(number)), dropped);
        next += dropped;
    }
}

} // namespace robur::dns
