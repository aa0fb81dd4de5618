#include "servers/dns/notify_exchange.hpp"

#include <array>
#include <ctime>

#include <fmt/format.h>

#include "core/log.hpp"
#include "servers/dns/log_quote.hpp"
#include "servers/dns/notify_message.hpp"
#include "servers/dns/tsig.hpp"

namespace robur::dns::detail {

namespace {

using udp = asio::ip::udp;
using Clock = std::chrono::steady_clock;

// Long enough for any UDP answer, so that an oversized one is read whole and then ignored.
constexpr std::size_t receive_buffer_size = 65535;

// Maximum wait for one attempt, so that doubling a large timeout cannot overflow.
constexpr std::chrono::milliseconds max_attempt_wait{std::chrono::hours(1)};

std::uint64_t unix_now()
{
    return static_cast<std::uint64_t>(std::time(nullptr));
}

std::string attempts_text(unsigned attempts)
{
    return fmt::format("{} attempt{}", attempts, attempts == 1 ? "" : "s");
}

NotifyOutcome ended(NotifyStatus status, unsigned attempts, std::string message,
                    Rcode rcode = Rcode::noerror)
{
    return NotifyOutcome{.answered = status == NotifyStatus::answered,
                         .rcode = rcode,
                         .message = std::move(message),
                         .attempts = attempts,
                         .status = status};
}

// The wait after attempt (1-based): the timeout, doubled for every attempt before it.
std::chrono::milliseconds attempt_wait(const NotifyOptions& options, unsigned attempt)
{
    auto wait = std::max(options.timeout, std::chrono::milliseconds(1));
    for (unsigned i = 1; i < attempt && wait < max_attempt_wait; ++i) {
        wait *= 2;
    }
    return std::min(wait, max_attempt_wait);
}

// A datagram, or the error that ended the wait for one (operation_aborted at the deadline).
struct Received {
    std::size_t size = 0;
    boost::system::error_code error;
};

asio::awaitable<Received> receive_until(const std::shared_ptr<ExchangeState>& state,
                                        std::span<std::uint8_t> buffer, udp::endpoint& sender,
                                        Clock::time_point deadline)
{
    state->timer.expires_at(deadline);
    state->timer.async_wait([state](const boost::system::error_code& error) {
        if (!error) {
            boost::system::error_code ignored;
            state->socket.cancel(ignored);
        }
    });

    Received received;
    received.size = co_await state->socket.async_receive_from(
        asio::buffer(buffer.data(), buffer.size()), sender,
        asio::redirect_error(asio::use_awaitable, received.error));
    state->timer.cancel();
    co_return received;
}

// What to do with an answer that matched the request.
struct Verdict {
    bool accept = false;             // end the exchange with this answer
    bool signature_rejected = false; // the answer carries a TSIG error: end with it
    std::string reason;              // why the answer was ignored or rejected
};

// RFC 8945 section 5.3: the answer to a signed request must be signed with the same key and
// cover the request's MAC. Each attempt was signed anew, so a late answer to an earlier attempt
// is checked against that attempt's MAC.
Verdict check_signature(std::span<const std::uint8_t> answer, const tsig::Key& key,
                        const std::vector<std::vector<std::uint8_t>>& macs)
{
    const tsig::VerifyOptions verify_options{.now = unix_now(), .min_mac_size = 0};
    std::optional<tsig::Verification> newest;
    for (auto mac = macs.rbegin(); mac != macs.rend(); ++mac) {
        auto verification = tsig::verify_answer(answer, key, *mac, verify_options);
        if (verification.status == tsig::Status::verified) {
            return Verdict{.accept = true, .signature_rejected = false, .reason = {}};
        }
        if (!newest) {
            newest = std::move(verification);
        }
    }
    if (!newest || newest->status == tsig::Status::unsigned_message) {
        return Verdict{.accept = false, .signature_rejected = false, .reason = "answer not signed"};
    }
    // An error the secondary put in the TSIG record: it rejected our signature or our clock.
    if (newest->record && newest->record->error != 0) {
        return Verdict{.accept = false,
                       .signature_rejected = true,
                       .reason =
                           fmt::format("{}: {}", tsig::to_string(newest->status), newest->message)};
    }
    return Verdict{.accept = false,
                   .signature_rejected = false,
                   .reason = fmt::format("answer signature failed verification ({}: {})",
                                         tsig::to_string(newest->status), newest->message)};
}

// Builds the request of one attempt; signed requests keep their MAC in macs.
std::optional<std::vector<std::uint8_t>> build_attempt(const NotifyRequest& request,
                                                       std::uint16_t id,
                                                       std::vector<std::vector<std::uint8_t>>& macs,
                                                       std::string& error)
{
    auto message = build_notify_request(request.zone, request.soa, id);
    if (!request.target.key) {
        return message;
    }
    tsig::SignOptions sign_options;
    sign_options.time_signed = unix_now();
    auto mac = tsig::sign_request(message, *request.target.key, sign_options);
    if (!mac) {
        error = mac.error().message;
        return std::nullopt;
    }
    macs.push_back(std::move(*mac));
    return message;
}

// The state one exchange keeps from attempt to attempt.
struct Exchange {
    NotifyRequest request;
    std::shared_ptr<ExchangeState> state;
    udp::endpoint destination;
    std::vector<std::vector<std::uint8_t>> macs; // of every signed attempt, oldest first
    std::string ignored_reason; // why the last matching answer was ignored, for the timeout
    unsigned sent = 0;
};

// Waits until deadline for an acceptable answer to message. Returns the outcome it ends the
// exchange with, or nullopt when the deadline passed or the exchange was cancelled.
asio::awaitable<std::optional<NotifyOutcome>> await_answer(Exchange& exchange,
                                                           std::span<const std::uint8_t> message,
                                                           std::vector<std::uint8_t>& buffer,
                                                           Clock::time_point deadline)
{
    const auto& target = exchange.request.target;
    while (!exchange.state->cancelled && Clock::now() < deadline) {
        udp::endpoint sender;
        const auto received = co_await receive_until(exchange.state, buffer, sender, deadline);
        if (received.error) {
            break;
        }
        const std::span<const std::uint8_t> answer(buffer.data(), received.size);
        if (sender != exchange.destination ||
            match_notify_answer(answer, message) != AnswerMatch::matches) {
            log::get("dns")->debug("notify ignored a datagram zone={} target={} from={}:{}",
                                   exchange.request.zone.to_string(), target.address.to_string(),
                                   sender.address().to_string(), sender.port());
            continue;
        }

        const Rcode rcode = header_rcode(answer);
        if (!target.key) {
            co_return ended(NotifyStatus::answered, exchange.sent, rcode_name(rcode), rcode);
        }
        auto verdict = check_signature(answer, *target.key, exchange.macs);
        if (verdict.accept) {
            co_return ended(NotifyStatus::answered, exchange.sent, rcode_name(rcode), rcode);
        }
        if (verdict.signature_rejected) {
            co_return ended(NotifyStatus::signature_rejected, exchange.sent,
                            fmt::format("{} rejected our TSIG signature with key {} ({})",
                                        target.address.to_string(), target.key->name.to_string(),
                                        verdict.reason),
                            rcode);
        }
        exchange.ignored_reason = fmt::format("{} ({})", verdict.reason, rcode_name(rcode));
    }
    co_return std::nullopt;
}

// Sends one attempt's datagram. A failed send is kept for the timeout message, and the
// attempt still waits for its deadline so that retries keep their pace.
asio::awaitable<void> send_attempt(Exchange& exchange, std::span<const std::uint8_t> message)
{
    boost::system::error_code error;
    co_await exchange.state->socket.async_send_to(asio::buffer(message.data(), message.size()),
                                                  exchange.destination,
                                                  asio::redirect_error(asio::use_awaitable, error));
    ++exchange.sent;
    if (error && !exchange.state->cancelled) {
        exchange.ignored_reason = fmt::format("send failed: {}", error.message());
        log::get("dns")->debug(
            "notify send failed zone={} target={} error={}", exchange.request.zone.to_string(),
            exchange.request.target.address.to_string(), log_quote(error.message()));
    }
}

} // namespace

void ExchangeState::cancel()
{
    cancelled = true;
    boost::system::error_code ignored;
    socket.close(ignored);
    timer.cancel();
}

asio::awaitable<NotifyOutcome> run_exchange(NotifyRequest request, NotifyOptions options,
                                            std::shared_ptr<ExchangeState> state)
{
    const udp::endpoint destination(request.target.address.address, request.target.address.port);
    Exchange exchange{std::move(request), std::move(state), destination, {}, {}, 0};
    boost::system::error_code error;
    exchange.state->socket.open(destination.protocol(), error);
    if (error) {
        co_return ended(NotifyStatus::send_failed, 0,
                        fmt::format("cannot open a UDP socket: {}", error.message()));
    }

    const std::uint16_t id = random_message_id();
    const unsigned attempts = std::max(options.attempts, 1U);
    std::vector<std::uint8_t> buffer(receive_buffer_size);
    for (unsigned attempt = 1; attempt <= attempts && !exchange.state->cancelled; ++attempt) {
        std::string sign_error;
        const auto message = build_attempt(exchange.request, id, exchange.macs, sign_error);
        if (!message) {
            co_return ended(NotifyStatus::send_failed, exchange.sent,
                            fmt::format("cannot sign the NOTIFY: {}", sign_error));
        }

        const auto wait = attempt_wait(options, attempt);
        if (attempt > 1) {
            log::get("dns")->info("notify retry zone={} target={} attempt={} wait_ms={}",
                                  exchange.request.zone.to_string(),
                                  exchange.request.target.address.to_string(), attempt,
                                  wait.count());
        }
        co_await send_attempt(exchange, *message);
        auto outcome = co_await await_answer(exchange, *message, buffer, Clock::now() + wait);
        if (outcome) {
            co_return std::move(*outcome);
        }
    }

    if (exchange.state->cancelled) {
        co_return ended(NotifyStatus::cancelled, exchange.sent, "cancelled");
    }
    std::string message =
        fmt::format("no answer from {} after {}", exchange.request.target.address.to_string(),
                    attempts_text(exchange.sent));
    if (!exchange.ignored_reason.empty()) {
        message += fmt::format("; last answer ignored: {}", exchange.ignored_reason);
    }
    co_return ended(NotifyStatus::timed_out, exchange.sent, std::move(message));
}

} // namespace robur::dns::detail
