#include "servers/dns/primary.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "core/log.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/log_quote.hpp"
#include "servers/dns/notify.hpp"
#include "servers/dns/notify_message.hpp"
#include "servers/dns/notify_targets.hpp"
#include "servers/dns/reloader.hpp"
#include "servers/dns/signed_journal.hpp"
#include "servers/dns/transfer.hpp"
#include "servers/dns/update.hpp"
#include "servers/dns/update_serial.hpp"
#include "servers/dns/zone_history.hpp"
#include "servers/dns/wire.hpp"
#include "store/config.hpp"

namespace robur::dns {

namespace {

std::uint64_t unix_now()
{
    return static_cast<std::uint64_t>(std::time(nullptr));
}

// Reads the keys and access settings of a commit.
Result<PrimaryState> read_state(const store::Snapshot& snapshot)
{
    PrimaryState state;
    state.commit = snapshot.commit_id();
    auto keys = load_repository_keys(snapshot);
    if (!keys) {
        return tl::unexpected(keys.error());
    }
    state.keys = std::move(*keys);
    auto config = store::Config::load(snapshot);
    if (config) {
        auto policy = AccessPolicy::from_config(*config);
        if (!policy) {
            return tl::unexpected(policy.error());
        }
        state.policy = std::move(*policy);
    } else if (config.error().code != Errc::not_found) {
        return tl::unexpected(config.error());
    }
    return state;
}

// True for the address blocks reserved for documentation (RFC 5737, RFC 3849), which example
// zones use and which no secondary can have.
bool is_documentation_address(const asio::ip::address& address)
{
    if (address.is_v4()) {
        const auto bytes = address.to_v4().to_bytes();
        return (bytes[0] == 192 && bytes[1] == 0 && bytes[2] == 2) ||
               (bytes[0] == 198 && bytes[1] == 51 && bytes[2] == 100) ||
               (bytes[0] == 203 && bytes[1] == 0 && bytes[2] == 113);
    }
    const auto bytes = address.to_v6().to_bytes();
    return bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8;
}

// The size of the TSIG record that signs the answer to a verified request (RFC 8945 section
// 4.2): owner, the fixed RR fields, algorithm name, time, fudge, MAC with its length, original
// ID, error and an empty Other Data.
std::size_t tsig_record_size(const tsig::Verification& verification)
{
    if (verification.status != tsig::Status::verified || verification.key == nullptr) {
        return 0;
    }
    const auto& key = *verification.key;
    constexpr std::size_t fixed_rr_fields = 10;    // type, class, TTL, RDLENGTH
    constexpr std::size_t fixed_rdata_fields = 16; // time 6, fudge 2, MAC size 2, ID 2, error 2,
                                                   // other length 2
    return key.name.wire_length() + fixed_rr_fields +
           tsig::algorithm_name(key.algorithm).wire_length() + fixed_rdata_fields +
           tsig::digest_size(key.algorithm);
}

} // namespace

// One deferred request, with what its checks found.
struct Primary::Request {
    std::vector<std::uint8_t> query;
    QueryContext context;
    std::shared_ptr<ResponseStream> stream;

    std::shared_ptr<const PrimaryState> state; // null before the first load
    std::shared_ptr<const ZoneSet> zones;
    Query parsed;
    zone::Name qname;
    tsig::Verification tsig;
    const tsig::KeyEntry* key = nullptr; // the verified key, when the request is signed
    std::uint64_t now = 0;

    [[nodiscard]] std::string client() const
    {
        return ListenAddress{context.client, context.client_port}.to_string();
    }
    [[nodiscard]] std::string key_name() const
    {
        return key != nullptr ? key->key.name.to_string() : std::string("none");
    }
};

Primary::Primary(const Published<ZoneSet>& zones, store::Repository repository,
                 store::Repository history_repository, PrimaryOptions options)
    : zones_(zones), options_(std::move(options)),
      history_(std::make_unique<ZoneHistory>(std::move(history_repository), options_.branch)),
      logger_(log::get("dns"))
{
    UpdateOptions update_options;
    update_options.branch = options_.branch;
    update_options.push_remote = options_.push_remote;
    updater_ = std::make_unique<ZoneUpdater>(std::move(repository), std::move(update_options));
}

Primary::~Primary()
{
    stop();
}

void Primary::set_reloader(Reloader& reloader)
{
    reloader_ = &reloader;
    history_->set_journal(reloader.journal());
}

void Primary::start()
{
    notifier_ = std::make_unique<NotifySender>(NotifyOptions{});
    transfer_work_.emplace(transfer_io_.get_executor());
    update_work_.emplace(update_io_.get_executor());
    transfer_thread_ = std::thread([this] { transfer_io_.run(); });
    update_thread_ = std::thread([this] { update_io_.run(); });
}

void Primary::stop()
{
    if (notifier_) {
        notifier_->stop();
    }
    transfer_work_.reset();
    update_work_.reset();
    transfer_io_.stop();
    update_io_.stop();
    if (transfer_thread_.joinable()) {
        transfer_thread_.join();
    }
    if (update_thread_.joinable()) {
        update_thread_.join();
    }
}

void Primary::submit(std::vector<std::uint8_t> query, const QueryContext& context,
                     std::shared_ptr<ResponseStream> stream)
{
    auto request = std::make_shared<Request>();
    request->query = std::move(query);
    request->context = context;
    request->stream = std::move(stream);
    const auto header = read_header(request->query);
    const bool slow = header && (header->opcode() == static_cast<std::uint8_t>(Opcode::update) ||
                                 header->opcode() == static_cast<std::uint8_t>(Opcode::notify));
    asio::post(slow ? update_io_ : transfer_io_, [this, request] {
        try {
            process(*request);
        } catch (const std::exception& exception) {
            logger_->error("request failed client={} error={}", request->client(),
                           log_quote(exception.what()));
            send_rcode(*request, Rcode::servfail);
        }
        request->stream->close();
    });
}

void Primary::process(Request& request)
{
    request.state = state_.load();
    request.zones = zones_.load();
    request.now = unix_now();

    auto parsed = parse_query(request.query);
    if (!parsed) {
        send_rcode(request, Rcode::formerr);
        return;
    }
    request.parsed = *parsed;
    auto qname = zone::Name::from_wire(parsed->qname.wire());
    if (!qname) {
        send_rcode(request, Rcode::formerr);
        return;
    }
    request.qname = *qname;

    static const tsig::KeyTable no_keys;
    const auto& keys = request.state ? request.state->keys.table : no_keys;
    request.tsig = tsig::verify_request(request.query, keys.lookup(), {.now = request.now});
    switch (request.tsig.status) {
    case tsig::Status::unsigned_message:
        break;
    case tsig::Status::verified:
        request.key = keys.find(request.tsig.key->name);
        break;
    case tsig::Status::formerr:
        logger_->info("tsig check failed client={} status=formerr reason={}", request.client(),
                      log_quote(request.tsig.message));
        send_rcode(request, Rcode::formerr);
        return;
    default:
        logger_->info("tsig check failed client={} zone={} status={} reason={}",
                      request.client(), request.qname.to_string(),
                      tsig::to_string(request.tsig.status), log_quote(request.tsig.message));
        send_rcode(request, Rcode::notauth);
        return;
    }

    const auto opcode = static_cast<Opcode>(parsed->header.opcode());
    if (opcode == Opcode::notify) {
        answer_notify(request);
    } else if (opcode == Opcode::update) {
        answer_update(request);
    } else if (parsed->qtype == zone::rrtype::axfr || parsed->qtype == zone::rrtype::ixfr) {
        answer_transfer(request);
    } else {
        answer_signed_query(request);
    }
}

// Sends the answer, signed when the request was (RFC 8945 section 5.3); a request whose
// signature failed gets the TSIG error.
void Primary::send_signed(Request& request, std::vector<std::uint8_t> answer)
{
    const auto status = request.tsig.status;
    if (status != tsig::Status::unsigned_message && status != tsig::Status::formerr) {
        if (auto signed_answer = tsig::sign_answer(answer, request.tsig, request.now);
            !signed_answer) {
            logger_->error("signing answer failed client={} error={}", request.client(),
                           log_quote(signed_answer.error().message));
            return;
        }
    }
    request.stream->send(std::move(answer));
}

void Primary::send_rcode(Request& request, Rcode rcode)
{
    std::vector<std::uint8_t> answer(max_tcp_message);
    Responder writer;
    const auto length = writer.write_rcode(request.query, rcode, answer);
    if (length == 0) {
        return;
    }
    answer.resize(length);
    if (rcode == Rcode::noerror) {
        // A NOERROR answer to NOTIFY or UPDATE comes from the zone's authoritative server.
        answer[2] = static_cast<std::uint8_t>(answer[2] | (flag::aa >> 8));
    }
    send_signed(request, std::move(answer));
}

const CompiledZone* Primary::find_zone(const ZoneSet& zones, const zone::Name& name) const
{
    const auto lower = name.lowercase();
    return zones.find_exact(lower.wire());
}

void Primary::answer_signed_query(Request& request)
{
    if (!request.zones) {
        send_rcode(request, Rcode::servfail);
        return;
    }
    std::vector<std::uint8_t> answer(max_tcp_message);
    const auto transport =
        request.context.transport == QueryTransport::tcp ? Transport::tcp : Transport::udp;
    responder_.set_reserved_space(tsig_record_size(request.tsig));
    const auto length = responder_.respond(*request.zones, request.query, transport, answer);
    if (length == 0 || length == Responder::deferred) {
        return;
    }
    answer.resize(length);
    send_signed(request, std::move(answer));
}

void Primary::answer_transfer(Request& request)
{
    const bool axfr = request.parsed.qtype == zone::rrtype::axfr;
    const CompiledZone* zone = request.zones ? find_zone(*request.zones, request.qname) : nullptr;
    if (zone == nullptr) {
        send_rcode(request, Rcode::notauth);
        return;
    }
    const bool allowed = request.state && request.state->policy.allows(
                                              tsig::Operation::transfer, request.qname,
                                              request.context.client, request.key);
    if (!allowed) {
        logger_->info("transfer refused zone={} client={} key={} type={}", zone->origin().to_string(),
                      request.client(), request.key_name(), axfr ? "AXFR" : "IXFR");
        send_rcode(request, Rcode::refused);
        return;
    }
    TransferContext context;
    context.transport =
        request.context.transport == QueryTransport::tcp ? Transport::tcp : Transport::udp;
    context.tsig = request.tsig.status == tsig::Status::verified ? &request.tsig : nullptr;
    context.now = request.now;
    const MessageSink sink = [&request](std::vector<std::uint8_t> message) {
        request.stream->send(std::move(message));
    };
    const auto summary = axfr ? answer_axfr(request.query, *zone, context, sink)
                              : answer_ixfr(request.query, *zone, *history_, context, sink);
    logger_->info("transfer sent zone={} serial={} type={} client={} key={} rcode={} "
                  "messages={} records={} incremental={} soa_only={}",
                  zone->origin().to_string(), zone->serial(), axfr ? "AXFR" : "IXFR",
                  request.client(), request.key_name(), rcode_name(summary.rcode),
                  summary.messages, summary.records, summary.incremental, summary.soa_only);
}

void Primary::answer_notify(Request& request)
{
    const CompiledZone* zone = request.zones ? find_zone(*request.zones, request.qname) : nullptr;
    if (zone == nullptr) {
        send_rcode(request, Rcode::notauth);
        return;
    }
    const bool allowed =
        request.state && request.state->policy.allows(tsig::Operation::notify, request.qname,
                                                      request.context.client, request.key);
    if (!allowed) {
        logger_->info("notify refused zone={} client={} key={}", zone->origin().to_string(),
                      request.client(), request.key_name());
        send_rcode(request, Rcode::refused);
        return;
    }
    logger_->info("notify received, reading branch zone={} client={} key={}",
                  zone->origin().to_string(), request.client(), request.key_name());
    if (reloader_ != nullptr) {
        reloader_->request_check();
    }
    send_rcode(request, Rcode::noerror);
}

void Primary::answer_update(Request& request)
{
    const bool allowed =
        request.state && request.state->policy.allows(tsig::Operation::update, request.qname,
                                                      request.context.client, request.key);
    if (!allowed) {
        logger_->info("update refused zone={} client={} key={}", request.qname.to_string(),
                      request.client(), request.key_name());
        send_rcode(request, Rcode::refused);
        return;
    }
    // The key's name without its final dot, as people write it in nsupdate, or the address.
    std::string author = request.key != nullptr ? request.key->key.name.to_string()
                                                : request.context.client.to_string();
    if (author.size() > 1 && author.ends_with('.')) {
        author.pop_back();
    }
    const auto result = updater_->apply(request.query, author);
    if (result.commit && reloader_ != nullptr) {
        // NOERROR promises that the change is served: wait until the reloader has read the
        // branch with the new commit.
        const auto ticket = reloader_->request_check();
        if (!reloader_->wait_for_check(ticket, options_.reload_wait)) {
            logger_->warn("update committed but not yet served zone={} commit={} wait_ms={}",
                          request.qname.to_string(), result.commit->short_string(),
                          options_.reload_wait.count());
        }
    }
    // The updater logs the outcome with the author; this line adds the client.
    logger_->debug("update answered zone={} client={} key={} rcode={} commit={}",
                   request.qname.to_string(), request.client(), request.key_name(),
                   rcode_name(result.rcode),
                   result.commit ? result.commit->short_string() : std::string("none"));
    send_rcode(request, result.rcode);
}

void Primary::loaded(const store::Snapshot& snapshot, const LoadSummary& summary)
{
    auto state = read_state(snapshot);
    if (!state) {
        logger_->error("keys or robur.conf rejected, keeping the previous ones commit={} error={}",
                       snapshot.commit_id().short_string(), log_quote(state.error().message));
    } else {
        for (const auto& diagnostic : state->keys.diagnostics) {
            logger_->warn("tsig key rejected error={}", log_quote(diagnostic.to_string()));
        }
        state_.publish(std::make_shared<const PrimaryState>(std::move(*state)));
    }
    if (auto current = state_.load()) {
        notify_changed_zones(summary, *current);
    }
    if (last_commit_ && *last_commit_ != snapshot.commit_id()) {
        raise_serials(*last_commit_, snapshot.commit_id());
    }
    last_commit_ = snapshot.commit_id();
}

// With serial = auto, commits a raised serial for zones that the branch move changed without
// one. It runs on the update thread, so that it never races an UPDATE for the branch. A
// `git commit -a` in the served work tree moves the branch before it writes the index, so a
// work tree that looks dirty is tried again a few times, 200 ms apart.
void Primary::raise_serials(const store::ObjectId& before, const store::ObjectId& after,
                            unsigned attempt)
{
    constexpr unsigned max_attempts = 5;
    asio::post(update_io_, [this, before, after, attempt] {
        auto raised = raise_stale_serials(updater_->repository(), options_.branch, before, after);
        if (!raised && raised.error().code == Errc::dirty_worktree &&
            attempt + 1 < max_attempts) {
            auto timer = std::make_shared<asio::steady_timer>(update_io_);
            timer->expires_after(std::chrono::milliseconds(200));
            timer->async_wait([this, timer, before, after, attempt](const auto& error) {
                if (!error) {
                    raise_serials(before, after, attempt + 1);
                }
            });
            return;
        }
        if (!raised) {
            logger_->error("raising serials failed commit={} error={}", after.short_string(),
                           log_quote(raised.error().message));
        } else if (*raised) {
            logger_->info("serials raised commit={} after={}", (*raised)->short_string(),
                          after.short_string());
        }
    });
}

// Sends NOTIFY for every zone whose serial differs from the last load, and for every zone
// after the first load, so that secondaries catch up with a restarted primary at once.
void Primary::notify_changed_zones(const LoadSummary& summary, const PrimaryState& state)
{
    auto zones = zones_.load();
    if (!zones || !notifier_) {
        return;
    }
    std::map<std::string, std::uint32_t> serials;
    for (const auto& [origin_text, serial] : summary.serials) {
        serials[origin_text] = serial;
        auto known = serials_.find(origin_text);
        if (known != serials_.end() && known->second == serial) {
            continue;
        }
        auto origin = zone::Name::parse(origin_text);
        const CompiledZone* zone = origin ? find_zone(*zones, *origin) : nullptr;
        const auto mode = origin ? state.policy.notify_mode(*origin) : NotifyMode::no;
        if (zone == nullptr || mode == NotifyMode::no) {
            continue;
        }
        auto targets = notify_targets(*origin, *zones, state.keys.table,
                                      state.policy.also_notify(*origin));
        if (!targets) {
            logger_->error("notify not sent zone={} serial={} error={}", origin_text, serial,
                           log_quote(targets.error().message));
            continue;
        }
        std::erase_if(*targets, [this, mode](const NotifyTarget& target) {
            // A target is explicit when robur.conf or a key name lists it, whether or not an
            // NS record names it too.
            const bool listed = target.source.find("also-notify") != std::string::npos ||
                                target.source.find("key ") != std::string::npos;
            return (mode == NotifyMode::explicit_only && !listed) ||
                   std::ranges::find(options_.own_addresses, target.address) !=
                       options_.own_addresses.end() ||
                   is_documentation_address(target.address.address);
        });
        if (!targets->empty()) {
            notifier_->notify(*zone, std::move(*targets));
        }
    }
    serials_ = std::move(serials);
}

} // namespace robur::dns
