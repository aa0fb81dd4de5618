#include "servers/dns/primary.hpp"

#include <ctime>

#include <fmt/format.h>

#include "core/log.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/log_quote.hpp"
#include "servers/dns/reloader.hpp"
#include "servers/dns/wire.hpp"
#include "store/config.hpp"

namespace robur::dns {

namespace {

std::uint64_t unix_now()
{
    return static_cast<std::uint64_t>(std::time(nullptr));
}

std::string_view operation_name(tsig::Operation operation)
{
    switch (operation) {
    case tsig::Operation::notify:
        return "notify";
    case tsig::Operation::transfer:
        return "transfer";
    case tsig::Operation::update:
        return "update";
    }
    return "unknown";
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
                 PrimaryOptions options)
    : zones_(zones), repository_(std::move(repository)), options_(std::move(options)),
      logger_(log::get("dns"))
{
}

Primary::~Primary()
{
    stop();
}

void Primary::start()
{
    transfer_work_.emplace(transfer_io_.get_executor());
    update_work_.emplace(update_io_.get_executor());
    transfer_thread_ = std::thread([this] { transfer_io_.run(); });
    update_thread_ = std::thread([this] { update_io_.run(); });
}

void Primary::stop()
{
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
    if (rcode == Rcode::noerror || rcode == Rcode::notauth || rcode == Rcode::refused) {
        // Authoritative for the zone in question, as BIND and Knot answer NOTIFY and UPDATE.
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
    if (axfr && request.context.transport == QueryTransport::udp) {
        // RFC 5936 section 4.2 defines AXFR over TCP only.
        send_rcode(request, Rcode::notimp);
        return;
    }
    // TODO: answer the transfer.
    send_rcode(request, Rcode::notimp);
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
    // TODO: apply the update.
    send_rcode(request, Rcode::notimp);
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
    static_cast<void>(operation_name);
    static_cast<void>(summary);
    last_commit_ = snapshot.commit_id();
}

} // namespace robur::dns
