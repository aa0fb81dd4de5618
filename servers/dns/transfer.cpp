#include "servers/dns/transfer.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>

#include "core/log.hpp"
#include "formats/zone/serial.hpp"
#include "servers/dns/message_writer.hpp"
#include "servers/dns/wire.hpp"

namespace robur::dns {

namespace {

constexpr std::size_t opt_record_size = 11;  // root owner, TYPE, CLASS, TTL and RDLENGTH
constexpr std::size_t soa_fixed_fields = 20; // SERIAL, REFRESH, RETRY, EXPIRE and MINIMUM

// Length of the uncompressed name at offset in rdata, or 0 when it is malformed.
std::size_t name_length_at(std::span<const std::uint8_t> rdata, std::size_t offset)
{
    std::size_t position = offset;
    while (position < rdata.size() && position - offset < max_name_length) {
        const std::uint8_t length = rdata[position];
        if (length == 0) {
            return position + 1 - offset;
        }
        if (length > max_label_length) {
            return 0;
        }
        position += length + 1u;
    }
    return 0;
}

// Octets of the TSIG record sign_answer or sign_subsequent appends for this request's key
// (RFC 8945 section 4.2), with room for the six octets of Other Data a BADTIME answer has.
std::size_t tsig_reserve(const TransferContext& context)
{
    if (context.tsig == nullptr || context.tsig->key == nullptr) {
        return 0;
    }
    const tsig::Key& key = *context.tsig->key;
    const std::size_t fixed = 10 + 6 + 2 + 2 + 2 + 2 + 2 + 6;
    return key.name.wire_length() + tsig::algorithm_name(key.algorithm).wire_length() + fixed +
           std::max(tsig::digest_size(key.algorithm), context.tsig->record->mac.size());
}

// Writes the messages of one answer: packs records into messages of at most max_size octets,
// copies the question into the first, adds an OPT record when the request had one and signs
// every message when the request was signed. Nothing is sent before a message is full or
// finish() is called, so a single-message answer can still be abandoned.
class AnswerStream {
public:
    AnswerStream(const Query& query, const TransferContext& context, const MessageSink& send,
                 std::size_t max_size, bool single_message)
        : query_(query), context_(context), send_(send), single_message_(single_message),
          buffer_(max_size), tsig_reserve_(tsig_reserve(context)),
          opt_reserve_(query.edns ? opt_record_size : 0)
    {
        start_message();
    }

    // Adds one answer record, starting a new message when the current one is full. Fails when
    // the record fits no message, when a single-message answer is full, or when a message
    // could not be signed.
    bool add(const zone::Record& record)
    {
        if (encode(record)) {
            return true;
        }
        if (single_message_ || writer_.count(Section::answer) == 0 || !flush()) {
            return false;
        }
        return encode(record);
    }

    // Sends the last message with rcode. Returns false when it could not be signed.
    bool finish(Rcode rcode = Rcode::noerror) { return flush(rcode); }

    [[nodiscard]] std::size_t messages() const { return messages_; }
    [[nodiscard]] std::size_t records() const { return records_; }

private:
    void start_message()
    {
        writer_.start(buffer_, buffer_.size() - tsig_reserve_ - opt_reserve_);
        // RFC 5936 section 2.2.1: the first message must carry the question, later ones may.
        if (messages_ == 0) {
            writer_.add_question(query_.qname.wire(), query_.qtype, query_.qclass);
        }
    }

    bool encode(const zone::Record& record)
    {
        if (record.rdata.size() > UINT16_MAX) {
            return false;
        }
        std::array<std::uint8_t, 8> fixed{};
        write_u16(fixed.data(), record.type);
        write_u16(fixed.data() + 2, record.rclass);
        write_u32(fixed.data() + 4, record.ttl);

        // The writer compresses only well-formed, ascending names, as the zone index keeps them.
        name_offsets_.clear();
        std::size_t free_from = 0;
        for (const std::size_t offset :
             zone::compressible_name_offsets(record.type, record.rdata)) {
            const std::size_t length = name_length_at(record.rdata, offset);
            if (length == 0 || offset < free_from) {
                continue;
            }
            name_offsets_.push_back(static_cast<std::uint16_t>(offset));
            free_from = offset + length;
        }
        const RecordView view{.fixed = fixed, .rdata = record.rdata, .name_offsets = name_offsets_};
        if (!writer_.add_record(Section::answer, record.owner.wire(), view)) {
            return false;
        }
        ++records_;
        return true;
    }

    bool flush(Rcode rcode = Rcode::noerror)
    {
        const auto code = static_cast<std::uint16_t>(rcode);
        writer_.set_limit(buffer_.size() - tsig_reserve_);
        if (query_.edns) {
            writer_.add_opt(server_udp_payload, static_cast<std::uint8_t>(code >> 4), false);
        }
        const auto flags = static_cast<std::uint16_t>(
            flag::qr | flag::aa | (query_.header.flags & flag::rd) | (code & 0xF));
        const std::size_t size = writer_.finish(query_.header.id, flags);
        std::vector<std::uint8_t> message(buffer_.begin(),
                                          buffer_.begin() + static_cast<long>(size));
        if (!sign(message)) {
            return false;
        }
        send_(std::move(message));
        ++messages_;
        start_message();
        return true;
    }

    // RFC 8945 section 5.3.1: the first message is signed with the request MAC, each later
    // one with the MAC of the message before it. Every message is signed.
    bool sign(std::vector<std::uint8_t>& message)
    {
        if (context_.tsig == nullptr || context_.tsig->status != tsig::Status::verified) {
            return true;
        }
        const auto& request = *context_.tsig;
        auto mac = messages_ == 0
                       ? tsig::sign_answer(message, request, context_.now)
                       : tsig::sign_subsequent(message, *request.key, prior_mac_,
                                               tsig::SignOptions{.time_signed = context_.now,
                                                                 .fudge = request.record->fudge,
                                                                 .error = tsig::TsigError::noerror,
                                                                 .other_data = {}});
        if (!mac) {
            log::get("dns")->error("zone transfer not signed zone={} error=\"{}\"", query_name(),
                                   mac.error().message);
            return false;
        }
        prior_mac_ = std::move(*mac);
        return true;
    }

    [[nodiscard]] std::string query_name() const
    {
        const auto name = zone::Name::from_wire(query_.qname.wire());
        return name ? name->to_string() : std::string("?");
    }

    const Query& query_;
    const TransferContext& context_;
    const MessageSink& send_;
    bool single_message_;
    std::vector<std::uint8_t> buffer_;
    std::size_t tsig_reserve_;
    std::size_t opt_reserve_;
    MessageWriter writer_;
    std::vector<std::uint16_t> name_offsets_;
    std::vector<std::uint8_t> prior_mac_;
    std::size_t messages_ = 0;
    std::size_t records_ = 0;
};

// Sends one message with rcode and no records: the question when the request had a readable
// one, an OPT record when it had one, and the TSIG record the request's check calls for.
TransferSummary send_error(std::span<const std::uint8_t> request, const Query* query, Rcode rcode,
                           const TransferContext& context, const MessageSink& send)
{
    const auto header = read_header(request);
    if (!header) {
        return TransferSummary{.rcode = rcode};
    }
    std::vector<std::uint8_t> buffer(max_tcp_message);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    if (query != nullptr) {
        writer.add_question(query->qname.wire(), query->qtype, query->qclass);
    }
    const auto code = static_cast<std::uint16_t>(rcode);
    if (query != nullptr && query->edns) {
        writer.add_opt(server_udp_payload, static_cast<std::uint8_t>(code >> 4), false);
    }
    const auto flags = static_cast<std::uint16_t>(flag::qr | (header->flags & 0x7800) |
                                                  (header->flags & flag::rd) | (code & 0xF));
    const std::size_t size = writer.finish(header->id, flags);
    std::vector<std::uint8_t> message(buffer.begin(), buffer.begin() + static_cast<long>(size));

    // A FORMERR TSIG record gets no TSIG in the answer (RFC 8945 section 5.2).
    const bool signable = context.tsig != nullptr &&
                          context.tsig->status != tsig::Status::unsigned_message &&
                          context.tsig->status != tsig::Status::formerr;
    if (signable) {
        if (auto mac = tsig::sign_answer(message, *context.tsig, context.now); !mac) {
            log::get("dns")->error("zone transfer error not signed error=\"{}\"",
                                   mac.error().message);
            return TransferSummary{.rcode = rcode};
        }
    }
    send(std::move(message));
    return TransferSummary{.rcode = rcode, .messages = 1};
}

// The class of the zone: that of its apex SOA.
std::uint16_t zone_class(const CompiledZone& zone)
{
    const auto& apex = zone.node(zone.apex());
    const auto* soa = zone.find_rrset(apex, zone::rrtype::soa);
    return soa == nullptr ? zone::rrclass::in
                          : read_u16(zone.record(soa->first_record).fixed.data() + 2);
}

// Parses the request and runs the checks AXFR and IXFR share. Returns the query, or sends
// the error answer and returns nothing.
std::optional<Query> check_request(std::span<const std::uint8_t> request, const CompiledZone& zone,
                                   const TransferContext& context, const MessageSink& send,
                                   TransferSummary& summary)
{
    if (context.tsig != nullptr && context.tsig->status != tsig::Status::verified &&
        context.tsig->status != tsig::Status::unsigned_message) {
        const auto query = parse_query(request);
        const auto rcode = context.tsig->status == tsig::Status::formerr
                               ? Rcode::formerr
                               : static_cast<Rcode>(tsig::rcode_notauth);
        summary = send_error(request, query ? &*query : nullptr, rcode, context, send);
        return std::nullopt;
    }
    auto query = parse_query(request);
    if (!query) {
        summary = send_error(request, nullptr, Rcode::formerr, context, send);
        return std::nullopt;
    }
    if (query->edns && query->edns->version != 0) {
        summary = send_error(request, &*query, Rcode::badvers, context, send);
        return std::nullopt;
    }
    WireName qname = query->qname;
    lowercase_name({qname.bytes.data(), qname.length});
    const bool is_apex = std::ranges::equal(qname.wire(), zone.node_name(zone.node(zone.apex())));
    if (!is_apex || query->qclass != zone_class(zone)) {
        // RFC 5936 section 2.2.1: NOTAUTH when the server is not authoritative for the zone
        // named, and it is authoritative for this zone's apex in this zone's class only.
        summary =
            send_error(request, &*query, static_cast<Rcode>(tsig::rcode_notauth), context, send);
        return std::nullopt;
    }
    return *query;
}

std::size_t udp_size(const Query& query)
{
    if (!query.edns) {
        return min_udp_payload;
    }
    return std::clamp<std::size_t>(query.edns->udp_payload, min_udp_payload, server_udp_payload);
}

// Adds records to stream in order. Returns false when one could not be added, e.g. because a
// single-message answer is full.
bool stream_records(AnswerStream& stream, const std::vector<const zone::Record*>& records)
{
    for (const zone::Record* record : records) {
        if (!stream.add(*record)) {
            return false;
        }
    }
    return true;
}

// Returns the serial of the SOA record for the zone's apex in the authority section of an IXFR
// request (RFC 1995 section 3), or nothing when there is none or it is malformed.
std::optional<std::uint32_t> client_serial(std::span<const std::uint8_t> message,
                                           const Query& query, const CompiledZone& zone)
{
    const auto apex = zone.node_name(zone.node(zone.apex()));
    const std::size_t total = std::size_t{query.header.ancount} + query.header.nscount;
    std::size_t offset = query.question_end;
    for (std::size_t i = 0; i < total; ++i) {
        WireName owner;
        const auto owner_end = read_name(message, offset, owner);
        if (!owner_end || *owner_end + 10 > message.size()) {
            return std::nullopt;
        }
        const std::uint16_t type = read_u16(message.data() + *owner_end);
        const std::size_t rdata = *owner_end + 10;
        const std::size_t rdata_end = rdata + read_u16(message.data() + *owner_end + 8);
        if (rdata_end > message.size()) {
            return std::nullopt;
        }
        offset = rdata_end;

        lowercase_name({owner.bytes.data(), owner.length});
        const bool apex_soa = i >= query.header.ancount && type == zone::rrtype::soa &&
                              std::ranges::equal(owner.wire(), apex);
        if (!apex_soa) {
            continue;
        }
        // MNAME and RNAME may be compressed, and SERIAL follows them.
        WireName scratch;
        const auto mname_end = read_name(message, rdata, scratch);
        const auto rname_end = mname_end ? read_name(message, *mname_end, scratch) : mname_end;
        if (!rname_end || *rname_end + soa_fixed_fields > rdata_end) {
            return std::nullopt;
        }
        return read_u32(message.data() + *rname_end);
    }
    return std::nullopt;
}

const zone::Record* find_apex_soa(const zone::Zone& zone)
{
    const auto found =
        std::find_if(zone.records.begin(), zone.records.end(), [&zone](const zone::Record& record) {
            return record.type == zone::rrtype::soa && record.owner == zone.origin &&
                   record.rdata.size() >= soa_fixed_fields + 2;
        });
    return found == zone.records.end() ? nullptr : &*found;
}

// Octets a record takes in a message without name compression.
std::size_t record_size(const zone::Record& record)
{
    return record.owner.wire_length() + 10 + record.rdata.size();
}

std::size_t steps_size(const ZoneSteps& steps)
{
    std::size_t size = 0;
    for (const auto& step : steps) {
        size += record_size(step.old_soa) + record_size(step.new_soa);
        for (const auto& record : step.deleted) {
            size += record_size(record);
        }
        for (const auto& record : step.added) {
            size += record_size(record);
        }
    }
    return size;
}

// The answer records of an incremental IXFR answer (RFC 1995 section 4).
std::vector<const zone::Record*> incremental_records(const zone::Record& soa,
                                                     const ZoneSteps& steps)
{
    std::vector<const zone::Record*> records{&soa};
    for (const auto& step : steps) {
        records.push_back(&step.old_soa);
        for (const auto& record : step.deleted) {
            records.push_back(&record);
        }
        records.push_back(&step.new_soa);
        for (const auto& record : step.added) {
            records.push_back(&record);
        }
    }
    records.push_back(&soa);
    return records;
}

TransferSummary send_soa_only(const Query& query, const zone::Record& soa,
                              const TransferContext& context, const MessageSink& send,
                              std::size_t max_size)
{
    AnswerStream stream(query, context, send, max_size, true);
    const bool sent = stream.add(soa) && stream.finish();
    return TransferSummary{.rcode = Rcode::noerror,
                           .messages = stream.messages(),
                           .records = sent ? 1U : 0U,
                           .incremental = false,
                           .soa_only = true};
}

} // namespace

TransferSummary answer_axfr(std::span<const std::uint8_t> query, const CompiledZone& zone,
                            const TransferContext& context, const MessageSink& send)
{
    TransferSummary summary;
    const auto parsed = check_request(query, zone, context, send, summary);
    if (!parsed) {
        return summary;
    }
    if (context.transport == Transport::udp) {
        return send_error(query, &*parsed, Rcode::notimp, context, send);
    }

    auto records = transfer_records(*zone.source());
    if (records.empty()) {
        return send_error(query, &*parsed, Rcode::servfail, context, send);
    }
    records.push_back(records.front());

    AnswerStream stream(*parsed, context, send, max_tcp_message, false);
    if (!stream_records(stream, records) || !stream.finish()) {
        log::get("dns")->error("zone transfer aborted zone={} type=AXFR messages={}",
                               zone.origin().to_string(), stream.messages());
    }
    return TransferSummary{
        .rcode = Rcode::noerror, .messages = stream.messages(), .records = stream.records()};
}

TransferSummary answer_ixfr(std::span<const std::uint8_t> query, const CompiledZone& zone,
                            ZoneHistory& history, const TransferContext& context,
                            const MessageSink& send)
{
    TransferSummary summary;
    const auto parsed = check_request(query, zone, context, send, summary);
    if (!parsed) {
        return summary;
    }
    const auto serial = client_serial(query, *parsed, zone);
    if (!serial) {
        return send_error(query, &*parsed, Rcode::formerr, context, send);
    }
    const zone::Zone& source = *zone.source();
    const zone::Record* soa = find_apex_soa(source);
    if (soa == nullptr) {
        return send_error(query, &*parsed, Rcode::servfail, context, send);
    }

    const bool udp = context.transport == Transport::udp;
    const std::size_t max_size = udp ? udp_size(*parsed) : max_tcp_message;
    if (*serial == zone.serial() || zone::serial_gt(*serial, zone.serial())) {
        return send_soa_only(*parsed, *soa, context, send, max_size);
    }

    // The steps own the records the incremental answer points to.
    const auto steps = history.steps(zone, *serial);
    std::size_t zone_size = 0;
    for (const auto& record : source.records) {
        zone_size += record_size(record);
    }
    std::vector<const zone::Record*> records;
    const bool incremental = steps && !steps->empty() && steps_size(*steps) < zone_size;
    if (incremental) {
        records = incremental_records(*soa, *steps);
    } else {
        records = transfer_records(source);
        records.push_back(records.front());
    }

    AnswerStream stream(*parsed, context, send, max_size, udp);
    if (!stream_records(stream, records)) {
        if (udp && stream.messages() == 0) {
            // RFC 1995 section 2: an answer too large for UDP is replaced by the current SOA,
            // which tells the client to retry over TCP.
            return send_soa_only(*parsed, *soa, context, send, max_size);
        }
        log::get("dns")->error("zone transfer aborted zone={} type=IXFR messages={}",
                               zone.origin().to_string(), stream.messages());
    } else if (!stream.finish()) {
        log::get("dns")->error("zone transfer aborted zone={} type=IXFR messages={}",
                               zone.origin().to_string(), stream.messages());
    }
    return TransferSummary{.rcode = Rcode::noerror,
                           .messages = stream.messages(),
                           .records = stream.records(),
                           .incremental = incremental,
                           .soa_only = false};
}

} // namespace robur::dns
