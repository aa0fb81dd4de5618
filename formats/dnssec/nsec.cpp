#include "formats/dnssec/nsec.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "formats/zone/type_bitmap.hpp"

namespace robur::dnssec {

namespace {

constexpr std::size_t max_window_octets = 32;

Error malformed_bitmap(std::string_view reason)
{
    return Error{Errc::parse_error, fmt::format("malformed type bitmap: {}", reason), {}};
}

std::uint32_t read_u32(std::span<const std::uint8_t> bytes, std::size_t offset)
{
    return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
           (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}

const RRset* find_rrset(const Node& node, std::uint16_t type)
{
    const auto found = std::find_if(node.rrsets.begin(), node.rrsets.end(),
                                    [type](const RRset& rrset) { return rrset.type == type; });
    return found == node.rrsets.end() ? nullptr : &*found;
}

void check_nsec(const Node& node, const zone::Name& expected_next, std::vector<Diagnostic>& out)
{
    const RRset* rrset = find_rrset(node, zone::rrtype::nsec);
    const auto error = [&](const SourceLocation& where, std::string message) {
        out.push_back({Severity::error, where, std::move(message)});
    };
    if (rrset == nullptr) {
        error(node.rrsets.front().where,
              fmt::format("{} has no NSEC record", node.name.to_string()));
        return;
    }
    if (rrset->rdatas.size() != 1) {
        error(rrset->where, fmt::format("{} has {} NSEC records instead of one",
                                        node.name.to_string(), rrset->rdatas.size()));
    }
    const auto nsec = parse_nsec(rrset->rdatas.front());
    if (!nsec) {
        error(rrset->where,
              fmt::format("malformed NSEC at {}: {}", node.name.to_string(), nsec.error().message));
        return;
    }
    if (!(nsec->next == expected_next)) {
        error(rrset->where,
              fmt::format("the NSEC at {} points to {}, but the next name in canonical order is {}",
                          node.name.to_string(), nsec->next.to_string(),
                          expected_next.to_string()));
    }
    const auto expected_types = nsec_types(node);
    if (nsec->types != expected_types) {
        error(rrset->where,
              fmt::format("the NSEC at {} lists {}, but the name has {}", node.name.to_string(),
                          types_to_string(nsec->types), types_to_string(expected_types)));
    }
}

} // namespace

std::vector<std::uint8_t> encode_type_bitmap(std::vector<std::uint16_t> types)
{
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());

    std::vector<std::uint8_t> out;
    zone::append_type_bitmap(out, types);
    return out;
}

Result<std::vector<std::uint16_t>> decode_type_bitmap(std::span<const std::uint8_t> bitmap)
{
    std::vector<std::uint16_t> types;
    std::size_t position = 0;
    int previous_window = -1;
    while (position < bitmap.size()) {
        if (position + 2 > bitmap.size()) {
            return tl::unexpected(malformed_bitmap("a window header is truncated"));
        }
        const int window = bitmap[position];
        const std::size_t length = bitmap[position + 1];
        if (window <= previous_window) {
            return tl::unexpected(malformed_bitmap("windows are out of order or repeated"));
        }
        if (length == 0 || length > max_window_octets || position + 2 + length > bitmap.size()) {
            return tl::unexpected(
                malformed_bitmap(fmt::format("window {} has length {}", window, length)));
        }
        for (std::size_t octet = 0; octet < length; ++octet) {
            for (std::size_t bit = 0; bit < 8; ++bit) {
                if ((bitmap[position + 2 + octet] & (0x80 >> bit)) != 0) {
                    types.push_back(static_cast<std::uint16_t>(window * 256 + octet * 8 + bit));
                }
            }
        }
        previous_window = window;
        position += 2 + length;
    }
    return types;
}

std::string types_to_string(const std::vector<std::uint16_t>& types)
{
    std::string out;
    for (const auto type : types) {
        out += out.empty() ? "" : " ";
        out += zone::type_to_string(type);
    }
    return out.empty() ? "no types" : out;
}

Result<Nsec> parse_nsec(std::span<const std::uint8_t> rdata)
{
    const auto name_length = wire_name_length(rdata);
    if (!name_length) {
        return make_error(Errc::parse_error, "NSEC next owner name is malformed");
    }
    auto next = zone::Name::from_wire(rdata.first(*name_length));
    if (!next) {
        return tl::unexpected(next.error());
    }
    auto types = decode_type_bitmap(rdata.subspan(*name_length));
    if (!types) {
        return tl::unexpected(types.error());
    }
    return Nsec{std::move(*next), std::move(*types)};
}

std::vector<std::uint8_t> nsec_rdata(const Nsec& nsec)
{
    const auto name = nsec.next.wire();
    std::vector<std::uint8_t> rdata(name.begin(), name.end());
    const auto bitmap = encode_type_bitmap(nsec.types);
    rdata.insert(rdata.end(), bitmap.begin(), bitmap.end());
    return rdata;
}

std::vector<std::uint16_t> nsec_types(const Node& node)
{
    std::vector<std::uint16_t> types{zone::rrtype::rrsig, zone::rrtype::nsec};
    for (const auto& rrset : node.rrsets) {
        const bool listed = node.kind != NodeKind::delegation || rrset.type == zone::rrtype::ns ||
                            rrset.type == zone::rrtype::ds;
        if (listed) {
            types.push_back(rrset.type);
        }
    }
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    return types;
}

Result<std::uint32_t> denial_ttl(const std::vector<Node>& nodes)
{
    const auto apex = std::find_if(nodes.begin(), nodes.end(),
                                   [](const Node& node) { return node.kind == NodeKind::apex; });
    if (apex == nodes.end()) {
        return make_error(Errc::invalid_argument, "the zone has no SOA record at its apex");
    }
    const auto soa = std::find_if(apex->rrsets.begin(), apex->rrsets.end(), [](const RRset& rrset) {
        return rrset.type == zone::rrtype::soa;
    });
    if (soa == apex->rrsets.end()) {
        return make_error(Errc::invalid_argument, "the zone has no SOA record at its apex");
    }

    // The MINIMUM field is the last of the SOA's five 32-bit fields.
    const auto& rdata = soa->rdatas.front();
    if (rdata.size() < 22) {
        return make_error(Errc::invalid_argument, "the SOA record at the apex is truncated",
                          soa->where);
    }
    return std::min(soa->ttl, read_u32(rdata, rdata.size() - 4));
}

std::vector<zone::Record> build_nsec_chain(const std::vector<Node>& nodes, std::uint32_t ttl)
{
    std::vector<const Node*> chain;
    for (const auto& node : nodes) {
        if (is_in_chain(node.kind)) {
            chain.push_back(&node);
        }
    }

    std::vector<zone::Record> records;
    records.reserve(chain.size());
    for (std::size_t i = 0; i < chain.size(); ++i) {
        const Node& next = *chain[(i + 1) % chain.size()];
        const Nsec nsec{next.name, nsec_types(*chain[i])};
        const std::uint16_t rclass = chain[i]->rrsets.front().rclass;
        records.push_back({chain[i]->name, zone::rrtype::nsec, rclass, ttl, nsec_rdata(nsec), {}});
    }
    return records;
}

void check_nsec_chain(const std::vector<Node>& nodes, std::vector<Diagnostic>& out)
{
    std::vector<const Node*> chain;
    for (const auto& node : nodes) {
        if (is_in_chain(node.kind)) {
            chain.push_back(&node);
            continue;
        }
        if (const RRset* nsec = find_rrset(node, zone::rrtype::nsec)) {
            out.push_back({Severity::error, nsec->where,
                           fmt::format("NSEC at {}, which is glue or occluded by a delegation",
                                       node.name.to_string())});
        }
    }
    for (std::size_t i = 0; i < chain.size(); ++i) {
        check_nsec(*chain[i], chain[(i + 1) % chain.size()]->name, out);
    }
}

} // namespace robur::dnssec
