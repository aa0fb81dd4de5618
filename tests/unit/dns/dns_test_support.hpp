#pragma once

// Builders for zones and queries and a response decoder shared by the servers/dns tests.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <fmt/format.h>

#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/responder.hpp"
#include "servers/dns/wire.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns::test {

namespace rrtype = zone::rrtype;

inline zone::Name name(std::string_view text)
{
    auto parsed = zone::Name::parse(text);
    if (!parsed) {
        throw std::invalid_argument(parsed.error().message);
    }
    return *parsed;
}

inline std::vector<std::uint8_t> wire(std::string_view text)
{
    const zone::Name parsed = name(text);
    const auto span = parsed.wire();
    return {span.begin(), span.end()};
}

inline void append(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes)
{
    out.insert(out.end(), bytes.begin(), bytes.end());
}

inline void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

inline void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value)
{
    append_u16(out, static_cast<std::uint16_t>(value >> 16));
    append_u16(out, static_cast<std::uint16_t>(value));
}

// Builds a zone record by record; owner names are absolute or relative to the origin.
class ZoneBuilder {
public:
    explicit ZoneBuilder(std::string_view origin, std::uint32_t soa_ttl = 3600,
                         std::uint32_t minimum = 300)
    {
        zone_.origin = name(origin);
        std::vector<std::uint8_t> rdata = wire(absolute("ns1"));
        append(rdata, wire(absolute("hostmaster")));
        for (const std::uint32_t field : {2026120401u, 7200u, 900u, 1209600u}) {
            append_u32(rdata, field);
        }
        append_u32(rdata, minimum);
        add("@", rrtype::soa, rdata, soa_ttl);
    }

    ZoneBuilder& add(std::string_view owner, std::uint16_t type, std::vector<std::uint8_t> rdata,
                     std::uint32_t ttl = 3600, std::uint16_t rclass = zone::rrclass::in)
    {
        zone_.records.push_back(zone::Record{.owner = name(absolute(owner)),
                                             .type = type,
                                             .rclass = rclass,
                                             .ttl = ttl,
                                             .rdata = std::move(rdata),
                                             .where = {}});
        return *this;
    }

    ZoneBuilder& a(std::string_view owner, std::string_view address, std::uint32_t ttl = 3600)
    {
        std::vector<std::uint8_t> rdata(4);
        inet_pton(AF_INET, std::string(address).c_str(), rdata.data());
        return add(owner, rrtype::a, rdata, ttl);
    }

    ZoneBuilder& aaaa(std::string_view owner, std::string_view address)
    {
        std::vector<std::uint8_t> rdata(16);
        inet_pton(AF_INET6, std::string(address).c_str(), rdata.data());
        return add(owner, rrtype::aaaa, rdata);
    }

    // For NS, CNAME, DNAME and PTR: rdata that is one name.
    ZoneBuilder& name_record(std::string_view owner, std::uint16_t type, std::string_view target,
                             std::uint32_t ttl = 3600)
    {
        return add(owner, type, wire(absolute(target)), ttl);
    }

    ZoneBuilder& mx(std::string_view owner, std::uint16_t preference, std::string_view exchange)
    {
        std::vector<std::uint8_t> rdata;
        append_u16(rdata, preference);
        append(rdata, wire(absolute(exchange)));
        return add(owner, rrtype::mx, rdata);
    }

    ZoneBuilder& txt(std::string_view owner, std::string_view text)
    {
        std::vector<std::uint8_t> rdata(text.size() + 1);
        rdata[0] = static_cast<std::uint8_t>(text.size());
        std::copy(text.begin(), text.end(), rdata.begin() + 1);
        return add(owner, rrtype::txt, rdata);
    }

    [[nodiscard]] const zone::Zone& zone() const { return zone_; }

    [[nodiscard]] std::shared_ptr<const CompiledZone> compile() const
    {
        auto compiled = compile_zone(zone_);
        if (!compiled) {
            throw std::runtime_error(compiled.error().message);
        }
        return *compiled;
    }

private:
    [[nodiscard]] std::string absolute(std::string_view owner) const
    {
        if (owner == "@") {
            return zone_.origin.to_string();
        }
        if (!owner.empty() && owner.back() == '.') {
            return std::string(owner);
        }
        if (zone_.origin.is_root()) {
            return fmt::format("{}.", owner);
        }
        return fmt::format("{}.{}", owner, zone_.origin.to_string());
    }

    zone::Zone zone_;
};

struct QueryOptions {
    std::uint16_t id = 0x1234;
    std::uint16_t flags = flag::rd;
    std::uint16_t qclass = zone::rrclass::in;
    bool edns = false;
    std::uint16_t payload = 1232;
    std::uint8_t version = 0;
    bool dnssec_ok = false;
};

inline std::vector<std::uint8_t> make_query(std::string_view qname, std::uint16_t qtype,
                                            const QueryOptions& options = {})
{
    std::vector<std::uint8_t> message;
    append_u16(message, options.id);
    append_u16(message, options.flags);
    append_u16(message, 1);
    append_u16(message, 0);
    append_u16(message, 0);
    append_u16(message, options.edns ? 1 : 0);
    append(message, wire(qname));
    append_u16(message, qtype);
    append_u16(message, options.qclass);
    if (options.edns) {
        message.push_back(0);
        append_u16(message, rrtype::opt);
        append_u16(message, options.payload);
        message.push_back(0);
        message.push_back(options.version);
        append_u16(message, options.dnssec_ok ? 0x8000 : 0);
        append_u16(message, 0);
    }
    return message;
}

// One decoded record; rdata names are decompressed and rendered in presentation format.
struct ParsedRecord {
    std::string owner;
    std::uint16_t type = 0;
    std::uint16_t rclass = 0;
    std::uint32_t ttl = 0;
    std::string data; // "192.0.2.1", "target.example.", "10 mail.example.", ...
};

struct ParsedResponse {
    Header header;
    std::size_t size = 0;
    std::string qname;
    std::uint16_t qtype = 0;
    std::vector<ParsedRecord> answer, authority, additional;
    std::optional<ParsedRecord> opt;

    [[nodiscard]] std::uint16_t rcode() const
    {
        const std::uint16_t low = header.flags & 0xF;
        return opt ? static_cast<std::uint16_t>(((opt->ttl >> 24) << 4) | low) : low;
    }
    [[nodiscard]] bool has(std::uint16_t bit) const { return (header.flags & bit) != 0; }
};

inline std::string read_name_text(std::span<const std::uint8_t> message, std::size_t& offset)
{
    WireName decoded;
    auto end = read_name(message, offset, decoded);
    if (!end) {
        throw std::runtime_error(std::string(to_string(end.error())));
    }
    offset = *end;
    return zone::Name::from_wire(decoded.wire())->to_string();
}

inline std::string render_rdata(std::span<const std::uint8_t> message, std::size_t offset,
                                std::uint16_t type, std::size_t length)
{
    const std::uint8_t* p = message.data() + offset;
    switch (type) {
    case rrtype::a:
        return fmt::format("{}.{}.{}.{}", p[0], p[1], p[2], p[3]);
    case rrtype::ns:
    case rrtype::cname:
    case rrtype::dname:
    case rrtype::ptr:
        return read_name_text(message, offset);
    case rrtype::mx: {
        const std::uint16_t preference = read_u16(p);
        offset += 2;
        return fmt::format("{} {}", preference, read_name_text(message, offset));
    }
    case rrtype::soa: {
        const std::string mname = read_name_text(message, offset);
        const std::string rname = read_name_text(message, offset);
        return fmt::format("{} {} {}", mname, rname, read_u32(message.data() + offset));
    }
    case rrtype::txt:
        return std::string(reinterpret_cast<const char*>(p) + 1, p[0]);
    default:
        return fmt::format("len={}", length);
    }
}

inline ParsedResponse parse_response(std::span<const std::uint8_t> message)
{
    ParsedResponse response;
    response.size = message.size();
    response.header = *read_header(message);
    std::size_t offset = header_size;
    if (response.header.qdcount > 0) {
        response.qname = read_name_text(message, offset);
        response.qtype = read_u16(message.data() + offset);
        offset += 4;
    }
    auto read_section = [&](std::uint16_t count, std::vector<ParsedRecord>& out) {
        for (std::uint16_t i = 0; i < count; ++i) {
            ParsedRecord record;
            record.owner = read_name_text(message, offset);
            record.type = read_u16(message.data() + offset);
            record.rclass = read_u16(message.data() + offset + 2);
            record.ttl = read_u32(message.data() + offset + 4);
            const std::uint16_t length = read_u16(message.data() + offset + 8);
            offset += 10;
            if (offset + length > message.size()) {
                throw std::runtime_error("record runs past the message");
            }
            record.data = render_rdata(message, offset, record.type, length);
            offset += length;
            if (record.type == rrtype::opt) {
                response.opt = record;
            } else {
                out.push_back(std::move(record));
            }
        }
    };
    read_section(response.header.ancount, response.answer);
    read_section(response.header.nscount, response.authority);
    read_section(response.header.arcount, response.additional);
    if (offset != message.size()) {
        throw std::runtime_error("octets after the last record");
    }
    return response;
}

// Runs one query through a Responder and decodes the response.
inline ParsedResponse ask(const ZoneSet& zones, std::span<const std::uint8_t> query,
                          Transport transport = Transport::udp)
{
    static thread_local Responder responder;
    std::vector<std::uint8_t> out(65535);
    const std::size_t size = responder.respond(zones, query, transport, out);
    if (size == 0) {
        throw std::runtime_error("no response");
    }
    return parse_response({out.data(), size});
}

} // namespace robur::dns::test
