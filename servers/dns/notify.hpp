#pragma once

// Sending DNS NOTIFY (RFC 1996) over UDP: one blocking exchange for `robur notify`, and
// NotifySender, which the server uses to tell its secondaries about a new serial without
// waiting for them.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"
#include "servers/dns/asio.hpp"
#include "servers/dns/notify_targets.hpp"
#include "servers/dns/wire.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {

// Timing and concurrency of NOTIFY exchanges.
struct NotifyOptions {
    // Wait after the first datagram. Each retry waits twice as long as the one before it.
    std::chrono::milliseconds timeout{2000};
    unsigned attempts = 5; // datagrams sent at most; 0 counts as 1
    // Exchanges running at once, each with its own socket; the rest wait in a queue.
    std::size_t max_in_flight = 64;
};

// The end state of one NOTIFY exchange.
enum class NotifyStatus : std::uint8_t {
    answered,           // a matching answer arrived, verified when the NOTIFY was signed
    timed_out,          // no acceptable answer after the last attempt
    signature_rejected, // the secondary answered with a TSIG error: BADKEY, BADSIG, BADTIME
    send_failed,        // the socket could not be opened
    cancelled,          // stopped, or replaced by a NOTIFY with a newer serial
};

// The outcome of one NOTIFY exchange with one secondary.
struct NotifyOutcome {
    bool answered = false;        // status == answered
    Rcode rcode = Rcode::noerror; // RCODE of the answer; meaningful only when answered
    std::string message;          // one line for logs and the CLI: what happened, never a secret
    unsigned attempts = 0;        // datagrams sent
    NotifyStatus status = NotifyStatus::timed_out;
};

// One NOTIFY to send: the zone, its SOA record for the answer section when known, and where to.
struct NotifyRequest {
    zone::Name zone;
    std::optional<zone::Record> soa;
    NotifyTarget target;
};

// Sends one NOTIFY for zone to target and waits for its answer, retrying on timeout. The
// answer must come from the target's address and port and carry the request's ID, QR set and
// its question. Datagrams that do not are ignored. A signed NOTIFY needs a signed answer that
// tsig::verify_answer accepts. An unsigned or badly signed answer is ignored, because an
// attacker can send those, and the timeout message names it. REFUSED, NOTAUTH, NOTIMP and
// every other RCODE end the exchange, as do TSIG errors in the answer. Only silence is retried.
[[nodiscard]] NotifyOutcome send_notify(const zone::Name& zone,
                                        const std::optional<zone::Record>& soa,
                                        const NotifyTarget& target, const NotifyOptions& options);

// Runs the exchanges of send_notify for every request at once; returns the outcomes in the
// order of requests.
[[nodiscard]] std::vector<NotifyOutcome> send_notifies(const std::vector<NotifyRequest>& requests,
                                                       const NotifyOptions& options);

// Sends NOTIFYs from its own thread. notify() returns at once; every target is tried as
// send_notify does. A NOTIFY with a newer serial for the same zone and target replaces one
// still pending, and one with the same or an older serial is dropped. Each outcome is logged
// on the "dns" logger: "notify answered zone=... target=... rcode=NOERROR attempts=2" or
// "notify failed zone=... target=... reason=...". Thread-safe.
class NotifySender {
public:
    // Called on the sender's thread after each exchange that was not replaced or stopped.
    using OutcomeHandler = std::function<void(const NotifyRequest&, const NotifyOutcome&)>;

    explicit NotifySender(NotifyOptions options, OutcomeHandler on_outcome = {});
    ~NotifySender();
    NotifySender(const NotifySender&) = delete;
    NotifySender& operator=(const NotifySender&) = delete;

    // Notifies targets of the zone that soa (an apex SOA record) belongs to.
    void notify(const zone::Record& soa, std::vector<NotifyTarget> targets);

    // Notifies targets of a served zone, with its SOA record.
    void notify(const CompiledZone& zone, std::vector<NotifyTarget> targets);

    // Notifies targets of zone without a SOA record in the answer section; serial only decides
    // which of two pending NOTIFYs is newer. Prefer the overloads above: without the SOA a
    // secondary cannot skip a refresh it does not need.
    void notify(const zone::Name& zone, std::uint32_t serial, std::vector<NotifyTarget> targets);

    // Cancels pending NOTIFYs and joins the thread; later notify() calls are ignored.
    void stop();

private:
    struct Job;

    void start(NotifyRequest request, std::optional<std::uint32_t> serial);
    void launch_queued();
    void finish(const std::string& key, const std::shared_ptr<Job>& job, NotifyOutcome outcome);

    NotifyOptions options_;
    OutcomeHandler on_outcome_;
    asio::io_context io_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::map<std::string, std::shared_ptr<Job>> jobs_; // by zone and target; sender thread only
    std::deque<std::string> queue_; // keys of jobs waiting for a slot; sender thread only
    std::size_t in_flight_ = 0;     // exchanges running; sender thread only
    bool stopping_ = false;         // sender thread only
    std::thread thread_;
};

} // namespace robur::dns
