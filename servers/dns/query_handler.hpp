#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "servers/dns/asio.hpp"

namespace robur::dns {

// The transport a query arrived on; UDP answers are truncated to the client's payload size.
enum class QueryTransport { udp, tcp };

// The transport and client address of a deferred query, for access control and logs.
struct QueryContext {
    QueryTransport transport = QueryTransport::udp;
    asio::ip::address client;
    std::uint16_t client_port = 0;
};

// Carries the responses to one deferred query back to the client. Both calls may come from
// any thread. Messages go out in the order send() is called; over UDP every message is one
// datagram. close() ends the exchange; a stream that is destroyed without it closes itself.
class ResponseStream {
public:
    virtual ~ResponseStream() = default;
    virtual void send(std::vector<std::uint8_t> message) = 0;
    virtual void close() = 0;
};

// Turns one query message into one response message. The network layer gives each worker
// thread its own handler, so implementations need no locking.
class QueryHandler {
public:
    // Returned by handle() for a query that needs more than the fast path: the network layer
    // then passes it to handle_deferred().
    static constexpr std::size_t deferred = std::numeric_limits<std::size_t>::max();

    virtual ~QueryHandler() = default;

    // Writes the response to query into out (65535 octets) and returns its length; 0 means
    // send nothing. query is untrusted and may be any length, including zero.
    virtual std::size_t handle(std::span<const std::uint8_t> query, QueryTransport transport,
                               std::span<std::uint8_t> out) = 0;

    // Answers a query that handle() deferred, such as a zone transfer, an UPDATE or a
    // TSIG-signed query, through stream. It must not block the worker: slow work goes to
    // another thread, which answers through the stream when it is done.
    virtual void handle_deferred(std::vector<std::uint8_t> query, const QueryContext& context,
                                 std::shared_ptr<ResponseStream> stream)
    {
        static_cast<void>(query);
        static_cast<void>(context);
        stream->close();
    }

    // Drops references to data replaced since the last query, such as a zone set from before
    // a reload. The worker calls it about once a second, so an idle worker frees old data too.
    virtual void refresh() {}
};

// Creates the handler of one worker thread; called once per worker before the workers start.
using QueryHandlerFactory = std::function<std::unique_ptr<QueryHandler>()>;

} // namespace robur::dns
