// Feeds arbitrary bytes to the DNS wire decoder and to a Responder serving a small zone, and
// checks that every response the Responder writes decodes again.

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/responder.hpp"
#include "servers/dns/wire.hpp"
#include "servers/dns/zone_index.hpp"

namespace {

using namespace robur;
namespace rrtype = zone::rrtype;

zone::Name parse_name(std::string_view text)
{
    auto name = zone::Name::parse(text);
    if (!name) {
        std::abort();
    }
    return *name;
}

std::vector<std::uint8_t> name_rdata(std::string_view text, std::vector<std::uint8_t> prefix = {})
{
    const zone::Name name = parse_name(text);
    prefix.insert(prefix.end(), name.wire().begin(), name.wire().end());
    return prefix;
}

// A zone with every kind of node the Responder treats differently.
zone::Zone fuzz_zone()
{
    zone::Zone zone;
    zone.origin = parse_name("example.");
    auto add = [&](std::string_view owner, std::uint16_t type, std::vector<std::uint8_t> rdata) {
        zone.records.push_back(zone::Record{.owner = parse_name(owner),
                                            .type = type,
                                            .rclass = zone::rrclass::in,
                                            .ttl = 3600,
                                            .rdata = std::move(rdata),
                                            .where = {}});
    };
    auto soa = name_rdata("ns1.example.");
    const auto rname = name_rdata("hostmaster.example.");
    soa.insert(soa.end(), rname.begin(), rname.end());
    soa.insert(soa.end(),
               {0, 0, 0, 1, 0, 0, 0x1C, 0x20, 0, 0, 3, 0x84, 0, 0x12, 0x75, 0, 0, 0, 1, 0x2C});
    add("example.", rrtype::soa, soa);
    add("example.", rrtype::ns, name_rdata("ns1.example."));
    add("example.", rrtype::mx, name_rdata("mail.example.", {0, 10}));
    add("ns1.example.", rrtype::a, {192, 0, 2, 1});
    add("mail.example.", rrtype::aaaa, std::vector<std::uint8_t>(16, 1));
    add("www.example.", rrtype::a, {192, 0, 2, 10});
    add("alias.example.", rrtype::cname, name_rdata("www.example."));
    add("loop.example.", rrtype::cname, name_rdata("loop.example."));
    add("sub.example.", rrtype::ns, name_rdata("ns.sub.example."));
    add("ns.sub.example.", rrtype::a, {192, 0, 2, 53});
    add("*.wild.example.", rrtype::a, {192, 0, 2, 99});
    add("*.cwild.example.", rrtype::cname, name_rdata("nothere.example."));
    add("dn.example.", rrtype::dname, name_rdata("example."));
    for (std::uint8_t i = 0; i < 8; ++i) {
        add("big.example.", rrtype::txt, std::vector<std::uint8_t>(200, i));
    }
    return zone;
}

// Walks every section of a response; aborts when the Responder wrote something malformed.
void check_response(std::span<const std::uint8_t> response)
{
    auto header = dns::read_header(response);
    if (!header || !header->is_response()) {
        std::abort();
    }
    dns::WireName name;
    std::size_t offset = dns::header_size;
    for (std::uint16_t i = 0; i < header->qdcount; ++i) {
        auto end = dns::read_name(response, offset, name);
        if (!end || response.size() - *end < 4) {
            std::abort();
        }
        offset = *end + 4;
    }
    const std::size_t records = std::size_t{header->ancount} + header->nscount + header->arcount;
    for (std::size_t i = 0; i < records; ++i) {
        auto end = dns::read_name(response, offset, name);
        if (!end || response.size() - *end < 10) {
            std::abort();
        }
        const std::size_t rdlength = dns::read_u16(response.data() + *end + 8);
        offset = *end + 10 + rdlength;
        if (offset > response.size()) {
            std::abort();
        }
    }
    if (offset != response.size()) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const dns::ZoneSet zones({*dns::compile_zone(fuzz_zone())});
    static dns::Responder responder;
    static std::vector<std::uint8_t> out(dns::max_tcp_message);

    const std::span<const std::uint8_t> message{data, size};
    static_cast<void>(dns::parse_query(message));
    dns::WireName name;
    for (std::size_t offset = 0; offset < std::min<std::size_t>(size, 64); ++offset) {
        static_cast<void>(dns::read_name(message, offset, name));
    }

    for (const auto transport : {dns::Transport::udp, dns::Transport::tcp}) {
        const std::size_t length = responder.respond(zones, message, transport, out);
        if (length > out.size() || (transport == dns::Transport::udp && length > 1232)) {
            std::abort();
        }
        if (length > 0) {
            check_response({out.data(), length});
        }
    }
    return 0;
}
