#include "servers/dns/update_message.hpp"

#include <fmt/format.h>

#include "formats/zone/record.hpp"
#include "servers/dns/wire.hpp"

namespace robur::dns {

namespace {

namespace rrtype = zone::rrtype;

Result<zone::Name> take_name(std::span<const std::uint8_t> message, std::size_t& offset,
                             std::string_view where)
{
    WireName name;
    const auto end = read_name(message, offset, name);
    if (!end) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid name in the {}: {}", where, to_string(end.error())));
    }
    offset = *end;
    return zone::Name::from_wire(name.wire());
}

// Types whose rdata may hold compressed names (RFC 3597 section 4: the RFC 1035 types), and
// how many names they start with; MX and the like put a 16-bit preference first.
struct NameLayout {
    std::size_t prefix = 0; // octets before the first name
    std::size_t names = 0;
};

NameLayout name_layout(std::uint16_t type)
{
    switch (type) {
    case rrtype::ns:
    case rrtype::cname:
    case rrtype::ptr:
    case 3:  // MD
    case 4:  // MF
    case 7:  // MB
    case 8:  // MG
    case 9:  // MR
        return {0, 1};
    case rrtype::soa:
    case 14: // MINFO
        return {0, 2};
    case rrtype::mx:
        return {2, 1};
    default:
        return {0, 0};
    }
}

// Copies rdata out of the message, expanding compressed names of the RFC 1035 types.
Result<std::vector<std::uint8_t>> take_rdata(std::span<const std::uint8_t> message,
                                             std::size_t offset, std::size_t length,
                                             std::uint16_t type)
{
    const std::size_t end = offset + length;
    const NameLayout layout = name_layout(type);
    if (layout.names == 0 || length == 0) {
        return std::vector<std::uint8_t>(message.begin() + static_cast<std::ptrdiff_t>(offset),
                                         message.begin() + static_cast<std::ptrdiff_t>(end));
    }
    if (length < layout.prefix) {
        return make_error(Errc::parse_error, fmt::format("{} rdata of {} octets is too short",
                                                         zone::type_to_string(type), length));
    }
    std::vector<std::uint8_t> rdata(message.begin() + static_cast<std::ptrdiff_t>(offset),
                                    message.begin() +
                                        static_cast<std::ptrdiff_t>(offset + layout.prefix));
    std::size_t position = offset + layout.prefix;
    for (std::size_t i = 0; i < layout.names; ++i) {
        auto name = take_name(message.first(end), position, "rdata");
        if (!name) {
            return tl::unexpected(name.error());
        }
        const auto wire = name->wire();
        rdata.insert(rdata.end(), wire.begin(), wire.end());
    }
    rdata.insert(rdata.end(), message.begin() + static_cast<std::ptrdiff_t>(position),
                 message.begin() + static_cast<std::ptrdiff_t>(end));
    return rdata;
}

Result<UpdateRecord> take_record(std::span<const std::uint8_t> message, std::size_t& offset,
                                 std::string_view section)
{
    auto owner = take_name(message, offset, section);
    if (!owner) {
        return tl::unexpected(owner.error());
    }
    if (message.size() - offset < 10) {
        return make_error(Errc::parse_error,
                          fmt::format("record of the {} is truncated", section));
    }
    UpdateRecord record;
    record.owner = std::move(*owner);
    record.type = read_u16(message.data() + offset);
    record.rclass = read_u16(message.data() + offset + 2);
    record.ttl = read_u32(message.data() + offset + 4);
    const std::size_t length = read_u16(message.data() + offset + 8);
    offset += 10;
    if (message.size() - offset < length) {
        return make_error(Errc::parse_error,
                          fmt::format("rdata of a record of the {} runs past the end of the "
                                      "message",
                                      section));
    }
    auto rdata = take_rdata(message, offset, length, record.type);
    if (!rdata) {
        return tl::unexpected(rdata.error());
    }
    record.rdata = std::move(*rdata);
    offset += length;
    return record;
}

Result<std::vector<UpdateRecord>> take_section(std::span<const std::uint8_t> message,
                                               std::size_t& offset, std::size_t count,
                                               std::string_view section)
{
    std::vector<UpdateRecord> records;
    for (std::size_t i = 0; i < count; ++i) {
        auto record = take_record(message, offset, section);
        if (!record) {
            return tl::unexpected(record.error());
        }
        records.push_back(std::move(*record));
    }
    return records;
}

// Checks the additional section: every record well-formed, at most one OPT record (RFC 6891
// section 6.1.1) and a TSIG record only as the last record (RFC 8945 section 5.1). Other
// records, such as glue for new NS records (RFC 2136 section 2.6), are ignored.
Result<void> check_additional(std::span<const std::uint8_t> message, std::size_t offset,
                              std::size_t count)
{
    bool seen_opt = false;
    for (std::size_t i = 0; i < count; ++i) {
        auto record = take_record(message, offset, "additional section");
        if (!record) {
            return tl::unexpected(record.error());
        }
        if (record->type == rrtype::opt) {
            if (seen_opt) {
                return make_error(Errc::parse_error, "more than one OPT record");
            }
            seen_opt = true;
        }
        if (record->type == rrtype::tsig && i + 1 != count) {
            return make_error(Errc::parse_error,
                              "TSIG record is not the last record of the additional section");
        }
    }
    return {};
}

} // namespace

Result<UpdateMessage> parse_update(std::span<const std::uint8_t> message)
{
    const auto header = read_header(message);
    if (!header) {
        return make_error(Errc::parse_error, "message is shorter than a DNS header");
    }
    if (header->is_response() || header->opcode() != static_cast<std::uint8_t>(Opcode::update)) {
        return make_error(Errc::parse_error, "message is not an UPDATE request");
    }
    // RFC 2136 section 3.1.1: the zone section must hold exactly one SOA entry.
    if (header->qdcount != 1) {
        return make_error(Errc::parse_error,
                          fmt::format("zone section has {} entries; it must have exactly one",
                                      header->qdcount));
    }

    std::size_t offset = header_size;
    auto zone_name = take_name(message, offset, "zone section");
    if (!zone_name) {
        return tl::unexpected(zone_name.error());
    }
    if (message.size() - offset < 4) {
        return make_error(Errc::parse_error, "zone section is truncated");
    }
    UpdateMessage update;
    update.id = header->id;
    update.zone = std::move(*zone_name);
    const std::uint16_t zone_type = read_u16(message.data() + offset);
    update.zone_class = read_u16(message.data() + offset + 2);
    offset += 4;
    if (zone_type != rrtype::soa) {
        return make_error(Errc::parse_error,
                          fmt::format("zone section has type {}; it must be SOA",
                                      zone::type_to_string(zone_type)));
    }

    auto prerequisites = take_section(message, offset, header->ancount, "prerequisite section");
    if (!prerequisites) {
        return tl::unexpected(prerequisites.error());
    }
    auto updates = take_section(message, offset, header->nscount, "update section");
    if (!updates) {
        return tl::unexpected(updates.error());
    }
    if (auto additional = check_additional(message, offset, header->arcount); !additional) {
        return tl::unexpected(additional.error());
    }
    update.prerequisites = std::move(*prerequisites);
    update.updates = std::move(*updates);
    return update;
}

} // namespace robur::dns
