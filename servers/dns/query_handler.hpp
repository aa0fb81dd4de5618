#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

namespace robur::dns {

// The transport a query arrived on; UDP answers are truncated to the client's payload size.
enum class QueryTransport { udp, tcp };

// Turns one query message into one response message. The network layer gives each worker
// thread its own handler, so implementations need no locking.
class QueryHandler {
public:
    virtual ~QueryHandler() = default;

    // Writes the response to query into out (65535 octets) and returns its length; 0 means
    // send nothing. query is untrusted and may be any length, including zero.
    virtual std::size_t handle(std::span<const std::uint8_t> query, QueryTransport transport,
                               std::span<std::uint8_t> out) = 0;

    // Drops references to data replaced since the last query, such as a zone set from before
    // a reload. The worker calls it about once a second, so an idle worker frees old data too.
    virtual void refresh() {}
};

// Creates the handler of one worker thread; called once per worker before the workers start.
using QueryHandlerFactory = std::function<std::unique_ptr<QueryHandler>()>;

} // namespace robur::dns
