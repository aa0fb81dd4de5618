#include "servers/dns/tcp_connection.hpp"

#include <algorithm>
#include <exception>
#include <mutex>

#include "core/log.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/log_quote.hpp"

namespace robur::dns {

namespace {

// Responses gathered from pipelined queries before they are written, so that a client sending
// many queries without reading cannot make the server buffer without bound.
constexpr std::size_t max_pending_output = 65536;

constexpr std::size_t max_tcp_message_size = 65535;

std::string describe_peer(const asio::ip::tcp::socket& socket)
{
    boost::system::error_code error;
    const auto peer = socket.remote_endpoint(error);
    if (error) {
        return "unknown";
    }
    return ListenAddress{peer.address(), peer.port()}.to_string();
}

} // namespace

// The responses to a deferred query, passed from the thread that answers it to the
// connection's own thread.
class TcpConnection::PendingAnswer {
public:
    explicit PendingAnswer(const std::shared_ptr<TcpConnection>& connection)
        : executor_(connection->socket_.get_executor()), connection_(connection)
    {
    }

    void add(std::vector<std::uint8_t> message)
    {
        {
            const std::lock_guard lock(mutex_);
            if (closed_) {
                return;
            }
            messages_.push_back(std::move(message));
        }
        wake_connection();
    }

    void close()
    {
        {
            const std::lock_guard lock(mutex_);
            closed_ = true;
        }
        wake_connection();
    }

    // True when messages wait or the stream is closed, so that take() has something to do.
    bool has_work()
    {
        const std::lock_guard lock(mutex_);
        return closed_ || !messages_.empty();
    }

    // Moves the messages received so far into out; returns true when no more will come.
    bool take(std::vector<std::vector<std::uint8_t>>& out)
    {
        const std::lock_guard lock(mutex_);
        out.swap(messages_);
        messages_.clear();
        return closed_;
    }

private:
    void wake_connection()
    {
        asio::post(executor_, [connection = connection_] {
            if (auto alive = connection.lock()) {
                alive->wakeup_.cancel();
            }
        });
    }

    asio::any_io_executor executor_;
    std::weak_ptr<TcpConnection> connection_;
    std::mutex mutex_;
    std::vector<std::vector<std::uint8_t>> messages_;
    bool closed_ = false;
};

namespace {

// The ResponseStream a handler gets: it closes the pending answer when the handler drops it,
// so that a handler that forgets close() cannot stall the connection.
class TcpResponseStream final : public ResponseStream {
public:
    explicit TcpResponseStream(std::shared_ptr<TcpConnection::PendingAnswer> pending)
        : pending_(std::move(pending))
    {
    }
    TcpResponseStream(const TcpResponseStream&) = delete;
    TcpResponseStream& operator=(const TcpResponseStream&) = delete;
    ~TcpResponseStream() override { pending_->close(); }

    void send(std::vector<std::uint8_t> message) override { pending_->add(std::move(message)); }
    void close() override { pending_->close(); }

private:
    std::shared_ptr<TcpConnection::PendingAnswer> pending_;
};

} // namespace

TcpConnection::TcpConnection(asio::ip::tcp::socket socket, QueryHandler& handler,
                             std::span<std::uint8_t> scratch, Clock::duration timeout,
                             LogThrottle& failure_log)
    : socket_(std::move(socket)), timer_(socket_.get_executor()),
      wakeup_(socket_.get_executor()), handler_(handler),
      scratch_(scratch), timeout_(timeout), deadline_(Clock::now() + timeout),
      last_activity_(Clock::now()), input_(initial_input_size), client_(describe_peer(socket_)),
      logger_(log::get("dns")), failure_log_(failure_log)
{
    // Responses are written whole, so Nagle's algorithm would only delay pipelined answers.
    boost::system::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

void TcpConnection::close()
{
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    wakeup_.cancel();
}

void TcpConnection::set_deadline()
{
    last_activity_ = Clock::now();
    deadline_ = last_activity_ + timeout_;
}

asio::awaitable<void> TcpConnection::run()
{
    asio::co_spawn(socket_.get_executor(), watch_deadline(shared_from_this()), asio::detached);
    try {
        co_await serve();
    } catch (const std::exception& exception) {
        if (failure_log_.allow()) {
            logger_->error("tcp connection failed client={} error={} suppressed={}", client_,
                           log_quote(exception.what()), failure_log_.take_suppressed());
        }
    }
    close();
}

// self keeps the connection alive for as long as the watchdog runs.
asio::awaitable<void>
TcpConnection::watch_deadline([[maybe_unused]] std::shared_ptr<TcpConnection> self)
{
    boost::system::error_code error;
    while (socket_.is_open()) {
        timer_.expires_at(deadline_);
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, error));

        // The deadline moves forward with every operation, so the timer may wake up early.
        // Only a deadline that has really passed closes the connection.
        if (socket_.is_open() && Clock::now() >= deadline_) {
            logger_->debug("tcp connection timed out client={} idle={}", client_, idle_);
            close();
        }
    }
}

asio::awaitable<void> TcpConnection::serve()
{
    boost::system::error_code error;
    for (;;) {
        answer_complete_queries();
        if (!output_.empty()) {
            if (!co_await write_output()) {
                co_return;
            }
            // More complete queries may be buffered behind the ones just answered.
            continue;
        }
        if (pending_) {
            if (!co_await write_pending_answer()) {
                co_return;
            }
            continue;
        }

        make_room_for_next_message();
        idle_ = input_begin_ == input_end_;
        // A message in progress keeps the deadline set when its first octets arrived, so a
        // client cannot hold the connection by sending one octet at a time.
        if (idle_) {
            set_deadline();
        }
        const auto length = co_await socket_.async_read_some(
            asio::buffer(input_.data() + input_end_, input_.size() - input_end_),
            asio::redirect_error(asio::use_awaitable, error));
        if (error) {
            if (error != asio::error::eof && error != asio::error::operation_aborted) {
                logger_->debug("tcp read failed client={} error={}", client_,
                               log_quote(error.message()));
            }
            co_return;
        }
        input_end_ += length;
        if (idle_) {
            set_deadline();
        }
    }
}

// Writes the framed responses in output_; returns false when the connection failed.
asio::awaitable<bool> TcpConnection::write_output()
{
    boost::system::error_code error;
    idle_ = false;
    set_deadline();
    co_await asio::async_write(socket_, asio::buffer(output_),
                               asio::redirect_error(asio::use_awaitable, error));
    if (error) {
        logger_->debug("tcp write failed client={} error={}", client_, log_quote(error.message()));
        co_return false;
    }
    output_.clear();
    co_return true;
}

// Waits for the responses of the deferred query and writes them until its handler closes the
// stream. Returns false when the connection failed or was closed meanwhile.
asio::awaitable<bool> TcpConnection::write_pending_answer()
{
    std::vector<std::vector<std::uint8_t>> messages;
    for (;;) {
        const bool finished = pending_->take(messages);
        for (const auto& message : messages) {
            if (message.empty() || message.size() > max_tcp_message_size) {
                continue;
            }
            output_.push_back(static_cast<std::uint8_t>(message.size() >> 8));
            output_.push_back(static_cast<std::uint8_t>(message.size() & 0xff));
            output_.insert(output_.end(), message.begin(), message.end());
        }
        messages.clear();
        if (!output_.empty() && !co_await write_output()) {
            co_return false;
        }
        if (finished) {
            pending_.reset();
            co_return true;
        }
        if (!socket_.is_open()) {
            co_return false;
        }
        // The answering thread cancels the wait when it adds a message or closes the stream.
        // A cancel that ran while the write above was suspended found no wait and is lost, so
        // the queue is checked again here. Nothing else runs on this connection's thread
        // between this check and the wait.
        if (pending_->has_work()) {
            continue;
        }
        boost::system::error_code error;
        wakeup_.expires_at(Clock::time_point::max());
        co_await wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, error));
    }
}

void TcpConnection::defer(std::span<const std::uint8_t> query)
{
    boost::system::error_code error;
    const auto peer = socket_.remote_endpoint(error);
    pending_ = std::make_shared<PendingAnswer>(shared_from_this());
    QueryContext context;
    context.transport = QueryTransport::tcp;
    if (!error) {
        context.client = peer.address();
        context.client_port = peer.port();
    }
    handler_.handle_deferred(std::vector<std::uint8_t>(query.begin(), query.end()), context,
                             std::make_shared<TcpResponseStream>(pending_));
}

void TcpConnection::answer_complete_queries()
{
    while (!pending_ && input_end_ - input_begin_ >= length_size && output_.size() < max_pending_output) {
        const std::size_t length =
            std::size_t{input_[input_begin_]} << 8 | std::size_t{input_[input_begin_ + 1]};
        if (input_end_ - input_begin_ < length_size + length) {
            return;
        }

        const std::span query(input_.data() + input_begin_ + length_size, length);
        const auto response_length = handler_.handle(query, QueryTransport::tcp, scratch_);
        input_begin_ += length_size + length;
        if (response_length == QueryHandler::deferred) {
            defer(query);
            return;
        }
        if (response_length == 0) {
            continue;
        }

        output_.push_back(static_cast<std::uint8_t>(response_length >> 8));
        output_.push_back(static_cast<std::uint8_t>(response_length & 0xff));
        output_.insert(output_.end(), scratch_.begin(),
                       scratch_.begin() + static_cast<std::ptrdiff_t>(response_length));
    }
}

void TcpConnection::make_room_for_next_message()
{
    // Moves the start of the message in progress to the front of the buffer.
    if (input_begin_ > 0) {
        std::copy(input_.begin() + static_cast<std::ptrdiff_t>(input_begin_),
                  input_.begin() + static_cast<std::ptrdiff_t>(input_end_), input_.begin());
        input_end_ -= input_begin_;
        input_begin_ = 0;
    }

    // Grows the buffer to hold the whole message once its length is known (at most 65537).
    if (input_end_ >= length_size) {
        const std::size_t needed =
            length_size + (std::size_t{input_[0]} << 8 | std::size_t{input_[1]});
        if (needed > input_.size()) {
            input_.resize(needed);
        }
    }
}

} // namespace robur::dns
