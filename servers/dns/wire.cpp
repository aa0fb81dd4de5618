#include "servers/dns/wire.hpp"

#include <algorithm>

namespace robur::dns {

namespace {

constexpr std::uint16_t type_opt = 41;
constexpr std::uint16_t type_tsig = 250;

// Skips the resource record at offset and stores its type. Returns the offset past the record.
tl::expected<std::size_t, WireError> skip_record(std::span<const std::uint8_t> message,
                                                 std::size_t offset, WireName& scratch,
                                                 std::uint16_t& type)
{
    auto end = read_name(message, offset, scratch);
    if (!end) {
        return tl::unexpected(end.error());
    }
    offset = *end;
    if (message.size() - offset < 10) {
        return tl::unexpected(WireError::truncated_record);
    }
    type = read_u16(message.data() + offset);
    const std::size_t rdlength = read_u16(message.data() + offset + 8);
    offset += 10;
    if (message.size() - offset < rdlength) {
        return tl::unexpected(WireError::truncated_record);
    }
    return offset + rdlength;
}

// Reads the OPT record whose owner starts at offset (RFC 6891 section 6.1.2). Options are
// checked for length and otherwise ignored, because no option changes a response yet.
tl::expected<Edns, WireError> read_opt(std::span<const std::uint8_t> message, std::size_t offset)
{
    if (message[offset] != 0) {
        return tl::unexpected(WireError::opt_owner_not_root);
    }
    const std::uint8_t* fixed = message.data() + offset + 1;
    Edns edns;
    edns.udp_payload = read_u16(fixed + 2);
    edns.extended_rcode = fixed[4];
    edns.version = fixed[5];
    edns.dnssec_ok = (fixed[6] & 0x80) != 0;

    const std::size_t rdlength = read_u16(fixed + 8);
    const std::uint8_t* option = fixed + 10;
    std::size_t left = rdlength;
    while (left > 0) {
        if (left < 4) {
            return tl::unexpected(WireError::bad_edns_option);
        }
        const std::size_t option_length = read_u16(option + 2);
        if (left - 4 < option_length) {
            return tl::unexpected(WireError::bad_edns_option);
        }
        option += 4 + option_length;
        left -= 4 + option_length;
    }
    return edns;
}

// Walks the answer, authority and additional sections after the question and stores the OPT
// record in query.edns (RFC 6891 section 6.1.1 allows one, in the additional section only).
tl::expected<void, WireError> read_records(std::span<const std::uint8_t> message, Query& query)
{
    const Header& header = query.header;
    const std::size_t before_additional = std::size_t{header.ancount} + header.nscount;
    const std::size_t total = before_additional + header.arcount;
    std::size_t position = query.question_end;
    WireName scratch;
    for (std::size_t i = 0; i < total; ++i) {
        std::uint16_t type = 0;
        auto next = skip_record(message, position, scratch, type);
        if (!next) {
            return tl::unexpected(next.error());
        }
        if (type == type_opt) {
            if (i < before_additional) {
                return tl::unexpected(WireError::opt_not_in_additional);
            }
            if (query.edns) {
                return tl::unexpected(WireError::multiple_opt);
            }
            auto edns = read_opt(message, position);
            if (!edns) {
                return tl::unexpected(edns.error());
            }
            query.edns = *edns;
        } else if (type == type_tsig && i >= before_additional) {
            query.has_tsig = true;
        }
        position = *next;
    }
    return {};
}

} // namespace

std::string_view to_string(WireError error)
{
    switch (error) {
    case WireError::short_header:
        return "message shorter than a header";
    case WireError::truncated_name:
        return "name runs past the end of the message";
    case WireError::bad_label_type:
        return "unsupported label type";
    case WireError::pointer_out_of_range:
        return "compression pointer out of range";
    case WireError::name_too_long:
        return "name longer than 255 octets";
    case WireError::truncated_question:
        return "truncated question";
    case WireError::truncated_record:
        return "truncated resource record";
    case WireError::bad_question_count:
        return "question count is not 1";
    case WireError::opt_not_in_additional:
        return "OPT record outside the additional section";
    case WireError::multiple_opt:
        return "more than one OPT record";
    case WireError::opt_owner_not_root:
        return "OPT record owner is not the root";
    case WireError::bad_edns_option:
        return "EDNS option runs past the OPT record";
    }
    return "unknown wire error";
}

tl::expected<std::size_t, WireError> read_name(std::span<const std::uint8_t> message,
                                               std::size_t offset, WireName& out)
{
    out.length = 0;
    out.label_count = 0;
    std::size_t position = offset;
    std::size_t run_start = offset; // where the labels being read began
    std::size_t end = 0; // offset past the name where it starts; set at the first pointer
    std::size_t length = 0;

    while (true) {
        if (position >= message.size()) {
            return tl::unexpected(WireError::truncated_name);
        }
        const std::uint8_t octet = message[position];
        const std::uint8_t kind = octet & 0xC0;

        if (kind == 0xC0) {
            if (position + 1 >= message.size()) {
                return tl::unexpected(WireError::truncated_name);
            }
            const std::size_t target =
                static_cast<std::size_t>((octet & 0x3F) << 8) | message[position + 1];
            // Each pointer must land before the labels that led to it, so the starts of the
            // runs strictly decrease and the walk ends even on hostile input. No name starts
            // inside the header.
            if (target >= run_start || target < header_size) {
                return tl::unexpected(WireError::pointer_out_of_range);
            }
            if (end == 0) {
                end = position + 2;
            }
            position = target;
            run_start = target;
            continue;
        }
        if (kind != 0) {
            return tl::unexpected(WireError::bad_label_type);
        }

        const std::size_t label_length = octet;
        if (length + 1 + label_length > max_name_length) {
            return tl::unexpected(WireError::name_too_long);
        }
        if (message.size() - position <= label_length) {
            return tl::unexpected(WireError::truncated_name);
        }
        if (label_length == 0) {
            out.bytes[length] = 0;
            out.length = static_cast<std::uint8_t>(length + 1);
            return end == 0 ? position + 1 : end;
        }
        out.label_offsets[out.label_count] = static_cast<std::uint8_t>(length);
        ++out.label_count;
        std::copy_n(message.data() + position, label_length + 1, out.bytes.data() + length);
        length += label_length + 1;
        position += label_length + 1;
    }
}

tl::expected<Header, WireError> read_header(std::span<const std::uint8_t> message)
{
    if (message.size() < header_size) {
        return tl::unexpected(WireError::short_header);
    }
    const std::uint8_t* p = message.data();
    return Header{.id = read_u16(p),
                  .flags = read_u16(p + 2),
                  .qdcount = read_u16(p + 4),
                  .ancount = read_u16(p + 6),
                  .nscount = read_u16(p + 8),
                  .arcount = read_u16(p + 10)};
}

std::optional<Opcode> peek_opcode(std::span<const std::uint8_t> message)
{
    if (message.size() < header_size) {
        return std::nullopt;
    }
    return static_cast<Opcode>((message[2] >> 3) & 0xF);
}

tl::expected<Query, WireError> parse_query(std::span<const std::uint8_t> message)
{
    auto header = read_header(message);
    if (!header) {
        return tl::unexpected(header.error());
    }
    Query query;
    query.header = *header;
    if (header->qdcount != 1) {
        return tl::unexpected(WireError::bad_question_count);
    }

    auto offset = read_name(message, header_size, query.qname);
    if (!offset) {
        return tl::unexpected(offset.error() == WireError::truncated_name
                                  ? WireError::truncated_question
                                  : offset.error());
    }
    if (message.size() - *offset < 4) {
        return tl::unexpected(WireError::truncated_question);
    }
    query.qtype = read_u16(message.data() + *offset);
    query.qclass = read_u16(message.data() + *offset + 2);
    query.question_end = *offset + 4;

    if (auto records = read_records(message, query); !records) {
        return tl::unexpected(records.error());
    }
    return query;
}

void lowercase_name(std::span<std::uint8_t> wire)
{
    for (auto& octet : wire) {
        if (octet >= 'A' && octet <= 'Z') {
            octet = static_cast<std::uint8_t>(octet + ('a' - 'A'));
        }
    }
}

} // namespace robur::dns
