#include "servers/dns/notify.hpp"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "core/log.hpp"
#include "formats/zone/serial.hpp"
#include "servers/dns/log_quote.hpp"
#include "servers/dns/notify_exchange.hpp"
#include "servers/dns/notify_message.hpp"

namespace robur::dns {

namespace {

NotifyOutcome internal_failure(std::exception_ptr exception)
{
    std::string reason = "unknown exception";
    try {
        std::rethrow_exception(exception);
    } catch (const std::exception& error) {
        reason = error.what();
    } catch (...) {
    }
    return NotifyOutcome{.answered = false,
                         .rcode = Rcode::noerror,
                         .message = fmt::format("NOTIFY exchange failed: {}", reason),
                         .attempts = 0,
                         .status = NotifyStatus::send_failed};
}

// The key of a pending NOTIFY: the zone (lower case) and the target's address and port.
std::string job_key(const zone::Name& zone, const NotifyTarget& target)
{
    return zone.lowercase().to_string() + " " + target.address.to_string();
}

void log_outcome(const NotifyRequest& request, const NotifyOutcome& outcome)
{
    const auto logger = log::get("dns");
    const auto zone = request.zone.to_string();
    const auto target = request.target.address.to_string();
    if (outcome.answered && outcome.rcode == Rcode::noerror) {
        logger->info("notify answered zone={} target={} rcode=NOERROR attempts={}", zone, target,
                     outcome.attempts);
    } else if (outcome.answered) {
        logger->warn("notify answered zone={} target={} source={} rcode={} attempts={}", zone,
                     target, log_quote(request.target.source), rcode_name(outcome.rcode),
                     outcome.attempts);
    } else {
        logger->warn("notify failed zone={} target={} source={} attempts={} reason={}", zone,
                     target, log_quote(request.target.source), outcome.attempts,
                     log_quote(outcome.message));
    }
}

} // namespace

NotifyOutcome send_notify(const zone::Name& zone, const std::optional<zone::Record>& soa,
                          const NotifyTarget& target, const NotifyOptions& options)
{
    auto outcomes = send_notifies({NotifyRequest{zone, soa, target}}, options);
    return std::move(outcomes.front());
}

std::vector<NotifyOutcome> send_notifies(const std::vector<NotifyRequest>& requests,
                                         const NotifyOptions& options)
{
    asio::io_context io;
    std::vector<NotifyOutcome> outcomes(requests.size());
    std::size_t next = 0;

    // Each worker runs one exchange at a time, so at most max_in_flight sockets are open.
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < requests.size()) {
            const std::size_t index = next++;
            auto state = std::make_shared<detail::ExchangeState>(io.get_executor());
            try {
                outcomes[index] = co_await detail::run_exchange(requests[index], options, state);
            } catch (const std::exception&) {
                outcomes[index] = internal_failure(std::current_exception());
            }
        }
    };
    const std::size_t workers =
        std::min(requests.size(), std::max<std::size_t>(options.max_in_flight, 1));
    for (std::size_t i = 0; i < workers; ++i) {
        asio::co_spawn(io, worker(), asio::detached);
    }
    io.run();
    return outcomes;
}

// One NOTIFY of the sender, queued until an exchange slot is free. state is null until then.
struct NotifySender::Job {
    NotifyRequest request;
    std::optional<std::uint32_t> serial;
    std::shared_ptr<detail::ExchangeState> state;
};

NotifySender::NotifySender(NotifyOptions options, OutcomeHandler on_outcome)
    : options_(options), on_outcome_(std::move(on_outcome)), work_(io_.get_executor())
{
    thread_ = std::thread([this] { io_.run(); });
}

NotifySender::~NotifySender()
{
    stop();
}

void NotifySender::notify(const zone::Record& soa, std::vector<NotifyTarget> targets)
{
    asio::post(io_, [this, soa, targets = std::move(targets)]() mutable {
        const auto serial = soa_serial(soa);
        for (auto& target : targets) {
            start(NotifyRequest{soa.owner, soa, std::move(target)}, serial);
        }
    });
}

void NotifySender::notify(const CompiledZone& zone, std::vector<NotifyTarget> targets)
{
    if (auto soa = soa_record(zone)) {
        notify(*soa, std::move(targets));
        return;
    }
    notify(zone.origin(), zone.serial(), std::move(targets));
}

void NotifySender::notify(const zone::Name& zone, std::uint32_t serial,
                          std::vector<NotifyTarget> targets)
{
    asio::post(io_, [this, zone, serial, targets = std::move(targets)]() mutable {
        for (auto& target : targets) {
            start(NotifyRequest{zone, std::nullopt, std::move(target)}, serial);
        }
    });
}

void NotifySender::start(NotifyRequest request, std::optional<std::uint32_t> serial)
{
    if (stopping_) {
        return;
    }
    const auto logger = log::get("dns");
    const std::string key = job_key(request.zone, request.target);
    if (const auto pending = jobs_.find(key); pending != jobs_.end()) {
        Job& job = *pending->second;
        if (job.serial && serial && !zone::serial_gt(*serial, *job.serial)) {
            logger->debug("notify already pending zone={} target={} serial={}",
                          request.zone.to_string(), request.target.address.to_string(),
                          *job.serial);
            return;
        }
        logger->debug("notify replaced zone={} target={}", request.zone.to_string(),
                      request.target.address.to_string());
        if (!job.state) {
            // Still queued: the queue entry picks up the newer request.
            job.request = std::move(request);
            job.serial = serial;
            return;
        }
        job.state->cancel();
    }

    jobs_[key] = std::make_shared<Job>(Job{std::move(request), serial, nullptr});
    queue_.push_back(key);
    launch_queued();
}

void NotifySender::launch_queued()
{
    while (in_flight_ < std::max<std::size_t>(options_.max_in_flight, 1) && !queue_.empty()) {
        const std::string key = std::move(queue_.front());
        queue_.pop_front();
        const auto found = jobs_.find(key);
        if (found == jobs_.end() || found->second->state) {
            continue;
        }

        const auto job = found->second;
        job->state = std::make_shared<detail::ExchangeState>(io_.get_executor());
        ++in_flight_;
        log::get("dns")->debug(
            "notify sending zone={} target={} source={} signed={}", job->request.zone.to_string(),
            job->request.target.address.to_string(), log_quote(job->request.target.source),
            job->request.target.key ? "yes" : "no");
        asio::co_spawn(io_, detail::run_exchange(job->request, options_, job->state),
                       [this, key, job](std::exception_ptr exception, NotifyOutcome outcome) {
                           finish(key, job,
                                  exception ? internal_failure(exception) : std::move(outcome));
                       });
    }
}

void NotifySender::finish(const std::string& key, const std::shared_ptr<Job>& job,
                          NotifyOutcome outcome)
{
    --in_flight_;
    const auto current = jobs_.find(key);
    if (current != jobs_.end() && current->second == job) {
        jobs_.erase(current);
    }
    if (outcome.status != NotifyStatus::cancelled) {
        log_outcome(job->request, outcome);
        if (on_outcome_) {
            on_outcome_(job->request, outcome);
        }
    }
    launch_queued();
}

void NotifySender::stop()
{
    if (!thread_.joinable()) {
        return;
    }
    asio::post(io_, [this] {
        stopping_ = true;
        if (!jobs_.empty()) {
            log::get("dns")->info("notify sender stopped pending={}", jobs_.size());
        }
        queue_.clear();
        for (auto& [key, job] : jobs_) {
            if (job->state) {
                job->state->cancel();
            }
        }
    });
    work_.reset();
    thread_.join();
}

} // namespace robur::dns
