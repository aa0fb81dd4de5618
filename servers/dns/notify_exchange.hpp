#pragma once

// One NOTIFY exchange as an Asio coroutine, shared by send_notify and NotifySender.

#include <memory>

#include "servers/dns/asio.hpp"
#include "servers/dns/notify.hpp"

namespace robur::dns::detail {

// The socket and timer of one exchange, which cancel() may close from the exchange's
// executor while the coroutine waits on them.
struct ExchangeState {
    explicit ExchangeState(const asio::any_io_executor& executor)
        : socket(executor), timer(executor)
    {
    }

    // Ends the exchange at its next step with NotifyStatus::cancelled.
    void cancel();

    asio::ip::udp::socket socket;
    asio::steady_timer timer;
    bool cancelled = false;
};

// Runs one exchange (see send_notify) on state's executor.
asio::awaitable<NotifyOutcome> run_exchange(NotifyRequest request, NotifyOptions options,
                                            std::shared_ptr<ExchangeState> state);

} // namespace robur::dns::detail
