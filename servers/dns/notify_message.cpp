#include "servers/dns/notify_message.hpp"

#include <array>
#include <random>

#include <fmt/format.h>
#include <openssl/rand.h>

namespace robur::dns {

namespace {

namespace rrtype = zone::rrtype;
namespace rrclass = zone::rrclass;

// The five 32-bit fields that end a SOA RDATA: SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM.
constexpr std::size_t soa_fixed_fields = 20;

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value)
{
    append_u16(out, static_cast<std::uint16_t>(value >> 16));
    append_u16(out, static_cast<std::uint16_t>(value));
}

void append_bytes(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes)
{
    out.insert(out.end(), bytes.begin(), bytes.end());
}

// The offset just past the question of message, or nullopt when it cannot be read.
std::optional<std::size_t> question_end(std::span<const std::uint8_t> message, WireName& name)
{
    const auto after_name = read_name(message, header_size, name);
    if (!after_name || *after_name + 4 > message.size()) {
        return std::nullopt;
    }
    return *after_name + 4;
}

bool same_name(const WireName& left, const WireName& right)
{
    std::array<std::uint8_t, max_name_length> left_bytes = left.bytes;
    std::array<std::uint8_t, max_name_length> right_bytes = right.bytes;
    lowercase_name({left_bytes.data(), left.length});
    lowercase_name({right_bytes.data(), right.length});
    return left.length == right.length &&
           std::equal(left_bytes.begin(), left_bytes.begin() + left.length, right_bytes.begin());
}

} // namespace

std::uint16_t random_message_id()
{
    std::array<unsigned char, 2> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1) {
        return static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
    }
    std::random_device device;
    return static_cast<std::uint16_t>(device());
}

std::vector<std::uint8_t> build_notify_request(const zone::Name& zone,
                                               const std::optional<zone::Record>& soa,
                                               std::uint16_t id)
{
    std::vector<std::uint8_t> message;
    message.reserve(header_size + 2 * zone.wire_length() + 64);

    const auto flags =
        static_cast<std::uint16_t>((static_cast<unsigned>(Opcode::notify) << 11) | flag::aa);
    append_u16(message, id);
    append_u16(message, flags);
    append_u16(message, 1);           // QDCOUNT
    append_u16(message, soa ? 1 : 0); // ANCOUNT
    append_u16(message, 0);           // NSCOUNT
    append_u16(message, 0);           // ARCOUNT

    append_bytes(message, zone.wire());
    append_u16(message, rrtype::soa);
    append_u16(message, rrclass::in);

    if (soa) {
        append_bytes(message, soa->owner.wire());
        append_u16(message, rrtype::soa);
        append_u16(message, soa->rclass);
        append_u32(message, soa->ttl);
        append_u16(message, static_cast<std::uint16_t>(soa->rdata.size()));
        append_bytes(message, soa->rdata);
    }
    return message;
}

std::optional<zone::Record> soa_record(const CompiledZone& zone)
{
    const auto& apex = zone.node(zone.apex());
    const auto* rrset = zone.find_rrset(apex, rrtype::soa);
    if (rrset == nullptr || rrset->record_count == 0) {
        return std::nullopt;
    }
    const RecordView view = zone.record(rrset->first_record);
    return zone::Record{
        .owner = zone.origin(),
        .type = rrtype::soa,
        .rclass = read_u16(view.fixed.data() + 2),
        .ttl = zone.ttl(rrset->first_record),
        .rdata = {view.rdata.begin(), view.rdata.end()},
        .where = {},
    };
}

std::optional<zone::Record> soa_record(const zone::Zone& zone)
{
    for (const auto& record : zone.records) {
        if (record.type == rrtype::soa && record.owner == zone.origin) {
            return record;
        }
    }
    return std::nullopt;
}

std::optional<std::uint32_t> soa_serial(const zone::Record& soa)
{
    if (soa.type != rrtype::soa || soa.rdata.size() < soa_fixed_fields + 2) {
        return std::nullopt;
    }
    return read_u32(soa.rdata.data() + soa.rdata.size() - soa_fixed_fields);
}

AnswerMatch match_notify_answer(std::span<const std::uint8_t> answer,
                                std::span<const std::uint8_t> request)
{
    const auto answer_header = read_header(answer);
    const auto request_header = read_header(request);
    if (!answer_header || !request_header || answer_header->id != request_header->id ||
        !answer_header->is_response()) {
        return AnswerMatch::unrelated;
    }
    if (answer_header->opcode() != static_cast<std::uint8_t>(Opcode::notify)) {
        return AnswerMatch::unrelated;
    }

    if (answer_header->qdcount == 0) {
        return header_rcode(answer) == Rcode::noerror ? AnswerMatch::malformed
                                                      : AnswerMatch::matches;
    }
    if (answer_header->qdcount != 1) {
        return AnswerMatch::malformed;
    }

    WireName asked;
    WireName answered;
    const auto request_end = question_end(request, asked);
    const auto answer_end = question_end(answer, answered);
    if (!request_end || !answer_end) {
        return AnswerMatch::malformed;
    }
    const bool same_type_and_class =
        std::equal(request.begin() + static_cast<std::ptrdiff_t>(*request_end - 4),
                   request.begin() + static_cast<std::ptrdiff_t>(*request_end),
                   answer.begin() + static_cast<std::ptrdiff_t>(*answer_end - 4));
    if (!same_type_and_class || !same_name(asked, answered)) {
        return AnswerMatch::unrelated;
    }
    return AnswerMatch::matches;
}

Rcode header_rcode(std::span<const std::uint8_t> message)
{
    const auto header = read_header(message);
    if (!header) {
        return Rcode::formerr;
    }
    return static_cast<Rcode>(header->flags & 0xF);
}

std::string rcode_name(Rcode rcode)
{
    static constexpr std::array<std::string_view, 11> names = {
        "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
    };
    const auto value = static_cast<std::size_t>(rcode);
    if (value < names.size()) {
        return std::string(names[value]);
    }
    return fmt::format("RCODE{}", value);
}

} // namespace robur::dns
