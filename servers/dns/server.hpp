#pragma once

#include <memory>
#include <vector>

#include "core/error.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/query_handler.hpp"
#include "servers/dns/tcp_listener.hpp"

namespace robur::dns {

struct ServerOptions {
    std::vector<ListenAddress> listen; // each gets a UDP socket and a TCP listener
    unsigned threads = 0;              // worker threads, or 0 for one per CPU core
    TcpOptions tcp;                    // per worker thread
};

// The DNS server's network layer. Each worker thread runs its own io_context with its own
// SO_REUSEPORT UDP socket and TCP acceptor per listen address and its own QueryHandler, so the
// query path takes no lock shared between threads.
class Server {
public:
    // Binds every listen address on every worker and starts the worker threads. Fails with
    // Errc::io_error, naming the address, when an address is in use or cannot be bound; nothing
    // is left running then.
    static Result<std::unique_ptr<Server>> start(const ServerOptions& options,
                                                 const QueryHandlerFactory& make_handler);

    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();

    // Closes every socket and connection and joins the worker threads. Safe to call more than
    // once, from any thread except a worker.
    void stop();

    // The listen addresses as bound, with a port of 0 replaced by the one the kernel chose.
    [[nodiscard]] const std::vector<ListenAddress>& listen_addresses() const { return bound_; }
    [[nodiscard]] unsigned thread_count() const;

private:
    struct Worker;

    Server();
    Result<void> bind(const ServerOptions& options);
    Result<void> bind_address(ListenAddress address);
    void run_workers();

    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<ListenAddress> bound_;
    bool stopped_ = false;
};

} // namespace robur::dns
