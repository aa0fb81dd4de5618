#include "servers/dns/server.hpp"

#include <algorithm>
#include <exception>
#include <list>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "core/log.hpp"
#include "servers/dns/log_quote.hpp"
#include "servers/dns/udp_listener.hpp"

namespace robur::dns {

struct Server::Worker {
    asio::io_context io{1};
    asio::steady_timer refresh_timer{io};
    std::unique_ptr<QueryHandler> handler;
    std::list<UdpListener> udp;
    std::unique_ptr<TcpListener> tcp;
    std::thread thread;
};

namespace {

// Fails when another socket is bound to address. The listeners themselves bind with
// SO_REUSEPORT, which would let them share a port with another process of the same user
// instead of failing, so a plain bind is tried first.
// NOTE: another process can still take the port between this check and the real bind.
Result<void> check_address_free(asio::io_context& io, const ListenAddress& address)
{
    boost::system::error_code error;
    asio::ip::udp::socket udp(io);
    udp.open(address.address.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4(), error);
    if (!error) {
        udp.bind({address.address, address.port}, error);
    }
    if (error) {
        return make_error(Errc::io_error, fmt::format("cannot bind UDP socket to {}: {}",
                                                      address.to_string(), error.message()));
    }

    asio::ip::tcp::acceptor tcp(io);
    tcp.open(address.address.is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), error);
    if (!error) {
        tcp.set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) {
        tcp.bind({address.address, address.port}, error);
    }
    if (error) {
        return make_error(Errc::io_error, fmt::format("cannot listen on TCP {}: {}",
                                                      address.to_string(), error.message()));
    }
    return {};
}

// Tries to find a port that is free for both UDP and TCP when the kernel chooses it.
constexpr int max_port_attempts = 16;

// Binds a UDP socket to address, and a TCP acceptor to the same address and the UDP socket's
// port, which the kernel chose when address.port is 0.
Result<std::pair<asio::ip::udp::socket, asio::ip::tcp::acceptor>>
bind_socket_pair(asio::io_context& io, const ListenAddress& address)
{
    auto udp = bind_udp_socket(io, {address.address, address.port});
    if (!udp) {
        return tl::unexpected(udp.error());
    }
    boost::system::error_code error;
    const auto port = udp->local_endpoint(error).port();
    if (error) {
        return make_error(Errc::io_error, fmt::format("cannot read the port of UDP socket {}: {}",
                                                      address.to_string(), error.message()));
    }
    auto tcp = bind_tcp_acceptor(io, {address.address, port});
    if (!tcp) {
        return tl::unexpected(tcp.error());
    }
    return std::make_pair(std::move(*udp), std::move(*tcp));
}

// Calls the handler's refresh() every second until the timer is cancelled.
asio::awaitable<void> refresh_periodically(asio::steady_timer& timer, QueryHandler& handler)
{
    for (;;) {
        boost::system::error_code error;
        timer.expires_after(std::chrono::seconds(1));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, error));
        if (error) {
            co_return;
        }
        handler.refresh();
    }
}

// Spawns a coroutine whose escaping exception is logged instead of being dropped.
void spawn_logged(asio::io_context& io, asio::awaitable<void> task, const char* task_name)
{
    asio::co_spawn(io, std::move(task), [task_name](const std::exception_ptr& failure) {
        if (!failure) {
            return;
        }
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& exception) {
            log::get("dns")->error("{} stopped error={}", task_name, log_quote(exception.what()));
        }
    });
}

} // namespace

Server::Server() = default;

Server::~Server()
{
    stop();
}

unsigned Server::thread_count() const
{
    return static_cast<unsigned>(workers_.size());
}

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options,
                                              const QueryHandlerFactory& make_handler)
{
    if (options.listen.empty()) {
        return make_error(Errc::invalid_argument, "no listen address given");
    }
    auto server = std::unique_ptr<Server>(new Server());

    const unsigned threads =
        options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i) {
        auto worker = std::make_unique<Worker>();
        worker->handler = make_handler();
        worker->tcp = std::make_unique<TcpListener>(*worker->handler, options.tcp);
        server->workers_.push_back(std::move(worker));
    }

    if (auto bound = server->bind(options); !bound) {
        return tl::unexpected(bound.error());
    }
    server->run_workers();
    return server;
}

Result<void> Server::bind(const ServerOptions& options)
{
    std::vector<ListenAddress> unique;
    for (const auto& address : options.listen) {
        if (std::find(unique.begin(), unique.end(), address) == unique.end()) {
            unique.push_back(address);
        }
    }

    for (const auto& address : unique) {
        if (auto bound = bind_address(address); !bound) {
            return bound;
        }
    }
    return {};
}

Result<void> Server::bind_address(ListenAddress address)
{
    const bool any_port = address.port == 0;
    if (!any_port) {
        if (auto free = check_address_free(workers_.front()->io, address); !free) {
            return free;
        }
    }

    for (std::size_t index = 0; index < workers_.size(); ++index) {
        Worker& worker = *workers_[index];
        auto sockets = bind_socket_pair(worker.io, address);

        // The port the kernel picks for UDP may be taken for TCP, so the first worker then tries
        // other ports. The remaining workers share the port that worked.
        for (int attempt = 1; !sockets && any_port && index == 0 && attempt < max_port_attempts;
             ++attempt) {
            sockets = bind_socket_pair(worker.io, address);
        }
        if (!sockets) {
            return tl::unexpected(sockets.error());
        }
        address.port = sockets->first.local_endpoint().port();
        worker.udp.emplace_back(std::move(sockets->first), *worker.handler);
        worker.tcp->add(std::move(sockets->second));
    }
    bound_.push_back(address);
    return {};
}

void Server::run_workers()
{
    for (auto& worker : workers_) {
        for (auto& listener : worker->udp) {
            spawn_logged(worker->io, listener.run(), "udp listener");
        }
        worker->tcp->start();
        spawn_logged(worker->io, refresh_periodically(worker->refresh_timer, *worker->handler),
                     "handler refresh");

        worker->thread = std::thread([&io = worker->io] {
            try {
                io.run();
            } catch (const std::exception& exception) {
                log::get("dns")->critical("dns worker stopped error={}",
                                          log_quote(exception.what()));
            }
        });
    }
}

void Server::stop()
{
    if (stopped_) {
        return;
    }
    stopped_ = true;

    for (auto& worker : workers_) {
        asio::post(worker->io, [&worker = *worker] {
            for (auto& listener : worker.udp) {
                listener.close();
            }
            worker.tcp->close();
            worker.refresh_timer.cancel();
        });
    }
    for (auto& worker : workers_) {
        if (worker->thread.joinable()) {
            worker->thread.join();
        }
    }
}

} // namespace robur::dns
