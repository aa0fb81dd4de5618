// Locating and decoding the TSIG RR of a message (RFC 8945 section 4.2 and 5.1).

#include <fmt/format.h>

#include "servers/dns/tsig.hpp"
#include "servers/dns/wire.hpp"

namespace robur::dns::tsig {

namespace {

tl::unexpected<Error> malformed(std::string_view what)
{
    return make_error(Errc::parse_error, fmt::format("malformed TSIG message: {}", what));
}

Result<zone::Name> to_name(const WireName& wire)
{
    return zone::Name::from_wire(wire.wire());
}

// Decodes the RDATA of the TSIG RR at rdata_start; rdata_end is where it must end.
Result<Record> parse_rdata(std::span<const std::uint8_t> message, std::size_t rdata_start,
                           std::size_t rdata_end)
{
    WireName algorithm;
    auto offset = read_name(message.first(rdata_end), rdata_start, algorithm);
    if (!offset) {
        return malformed(fmt::format("algorithm name: {}", to_string(offset.error())));
    }

    std::size_t at = *offset;
    // Time Signed (6), Fudge (2), MAC Size (2).
    if (rdata_end - at < 10) {
        return malformed("RDATA ends inside the fixed fields");
    }
    Record record;
    record.time_signed =
        (std::uint64_t{read_u16(message.data() + at)} << 32) | read_u32(message.data() + at + 2);
    record.fudge = read_u16(message.data() + at + 6);
    const std::size_t mac_size = read_u16(message.data() + at + 8);
    at += 10;

    // MAC, Original ID (2), Error (2), Other Len (2).
    if (rdata_end - at < mac_size + 6) {
        return malformed("MAC size runs past the RDATA");
    }
    record.mac.assign(message.begin() + static_cast<std::ptrdiff_t>(at),
                      message.begin() + static_cast<std::ptrdiff_t>(at + mac_size));
    at += mac_size;
    record.original_id = read_u16(message.data() + at);
    record.error = read_u16(message.data() + at + 2);
    const std::size_t other_size = read_u16(message.data() + at + 4);
    at += 6;

    if (rdata_end - at != other_size) {
        return malformed("Other Len does not match the RDATA length");
    }
    record.other_data.assign(message.begin() + static_cast<std::ptrdiff_t>(at),
                             message.begin() + static_cast<std::ptrdiff_t>(rdata_end));

    auto name = to_name(algorithm);
    if (!name) {
        return malformed(name.error().message);
    }
    record.algorithm = std::move(*name);
    return record;
}

} // namespace

Result<std::optional<Record>> find_record(std::span<const std::uint8_t> message)
{
    auto header = read_header(message);
    if (!header) {
        return malformed("shorter than a DNS header");
    }

    std::size_t offset = header_size;
    WireName owner;
    for (std::uint16_t i = 0; i < header->qdcount; ++i) {
        auto end = read_name(message, offset, owner);
        if (!end || message.size() - *end < 4) {
            return malformed("truncated question");
        }
        offset = *end + 4;
    }

    const std::size_t before_additional = std::size_t{header->ancount} + header->nscount;
    const std::size_t total = before_additional + header->arcount;
    for (std::size_t i = 0; i < total; ++i) {
        const std::size_t start = offset;
        auto end = read_name(message, offset, owner);
        if (!end || message.size() - *end < 10) {
            return malformed("truncated resource record");
        }
        const std::uint8_t* fields = message.data() + *end;
        const std::uint16_t type = read_u16(fields);
        const std::size_t rdata_start = *end + 10;
        const std::size_t rdata_end = rdata_start + read_u16(fields + 8);
        if (rdata_end > message.size()) {
            return malformed("RDATA runs past the end of the message");
        }
        offset = rdata_end;
        if (type != tsig_type) {
            continue;
        }

        // RFC 8945 section 5.1: exactly one TSIG RR, the last one of the additional section,
        // with class ANY and TTL 0.
        if (i + 1 != total || i < before_additional) {
            return malformed("TSIG RR is not the last record of the additional section");
        }
        if (read_u16(fields + 2) != any_class || read_u32(fields + 4) != 0) {
            return malformed("TSIG RR must have class ANY and TTL 0");
        }
        auto record = parse_rdata(message, rdata_start, rdata_end);
        if (!record) {
            return tl::unexpected(record.error());
        }
        auto key_name = to_name(owner);
        if (!key_name) {
            return malformed(key_name.error().message);
        }
        record->key_name = std::move(*key_name);
        record->offset = start;
        return std::optional<Record>(std::move(*record));
    }
    return std::optional<Record>{};
}

} // namespace robur::dns::tsig
