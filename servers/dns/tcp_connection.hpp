#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <vector>

#include <spdlog/spdlog.h>

#include "servers/dns/asio.hpp"
#include "servers/dns/log_throttle.hpp"
#include "servers/dns/query_handler.hpp"

namespace robur::dns {

// One DNS-over-TCP client connection (RFC 7766). Messages are framed by a two-octet length and
// pipelined queries are answered in order. The connection is closed when it has been idle,
// has taken to deliver one message, or has waited for one write, for longer than the timeout.
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
public:
    using Clock = std::chrono::steady_clock;

    // scratch is the worker's response buffer (65535 octets). The handler, scratch and
    // failure_log are shared by the worker's connections and must outlive this one.
    TcpConnection(asio::ip::tcp::socket socket, QueryHandler& handler,
                  std::span<std::uint8_t> scratch, Clock::duration timeout,
                  LogThrottle& failure_log);

    // Serves queries until the client closes, the timeout fires or close() is called.
    asio::awaitable<void> run();

    // Closes the socket, which makes run() end. Call it on the thread that runs the io_context.
    void close();

    // True while the connection waits for the first octet of a message with nothing pending.
    [[nodiscard]] bool idle() const { return idle_; }
    [[nodiscard]] bool is_open() const { return socket_.is_open(); }
    [[nodiscard]] Clock::time_point last_activity() const { return last_activity_; }

    // Position in the owning listener's connection list, kept here for O(1) removal.
    std::list<std::shared_ptr<TcpConnection>>::iterator position;

    class PendingAnswer;

private:

    asio::awaitable<void> serve();
    asio::awaitable<bool> write_pending_answer();
    asio::awaitable<bool> write_output();
    asio::awaitable<void> watch_deadline(std::shared_ptr<TcpConnection> self);
    void answer_complete_queries();
    void defer(std::span<const std::uint8_t> query);
    void make_room_for_next_message();
    void set_deadline();

    static constexpr std::size_t length_size = 2;
    static constexpr std::size_t initial_input_size = 4096;

    asio::ip::tcp::socket socket_;
    asio::steady_timer timer_;
    asio::steady_timer wakeup_; // cancelled when a deferred query has a response to write
    QueryHandler& handler_;
    std::span<std::uint8_t> scratch_;
    Clock::duration timeout_;
    Clock::time_point deadline_;
    Clock::time_point last_activity_;
    bool idle_ = true;

    // Received octets not yet answered are input_[input_begin_, input_end_).
    std::vector<std::uint8_t> input_;
    std::size_t input_begin_ = 0;
    std::size_t input_end_ = 0;
    std::vector<std::uint8_t> output_; // framed responses waiting to be written
    // The deferred query being answered; queries after it wait, so answers stay in order.
    std::shared_ptr<PendingAnswer> pending_;

    std::string client_;
    std::shared_ptr<spdlog::logger> logger_;
    LogThrottle& failure_log_;
};

} // namespace robur::dns
