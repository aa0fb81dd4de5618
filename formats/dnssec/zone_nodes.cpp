#include "formats/dnssec/zone_nodes.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace robur::dnssec {

namespace {

Result<void> check_in_zone(const zone::Name& apex, std::span<const zone::Record> records)
{
    for (const auto& record : records) {
        if (!record.owner.is_subdomain_of(apex)) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{} {} is outside the zone {}", record.owner.to_string(),
                                          zone::type_to_string(record.type), apex.to_string()),
                              record.where);
        }
    }
    return {};
}

// Decides the kind of a node from its ancestors: the innermost zone cut above it, if any.
NodeKind classify(const Node& node, const zone::Name& apex, const zone::Name* cut)
{
    if (node.name == apex) {
        return NodeKind::apex;
    }
    if (cut != nullptr && node.name.is_subdomain_of(*cut)) {
        return NodeKind::non_authoritative;
    }
    return node.has_type(zone::rrtype::ns) ? NodeKind::delegation : NodeKind::authoritative;
}

Error below_dname(const Node& node, const zone::Name& dname)
{
    return Error{Errc::invalid_argument,
                 fmt::format("{} lies below the DNAME at {}, where no data may exist",
                             node.name.to_string(), dname.to_string()),
                 node.rrsets.front().where};
}

} // namespace

bool Node::has_type(std::uint16_t type) const
{
    return std::any_of(rrsets.begin(), rrsets.end(),
                       [type](const RRset& rrset) { return rrset.type == type; });
}

Result<std::vector<Node>> build_nodes(const zone::Name& apex, std::span<const zone::Record> records)
{
    if (auto in_zone = check_in_zone(apex, records); !in_zone) {
        return tl::unexpected(in_zone.error());
    }
    auto rrsets = group_rrsets(records);
    if (!rrsets) {
        return tl::unexpected(rrsets.error());
    }

    std::vector<Node> nodes;
    for (auto& rrset : *rrsets) {
        if (nodes.empty() || !(nodes.back().name == rrset.owner)) {
            nodes.push_back({rrset.owner, NodeKind::authoritative, {}});
        }
        nodes.back().rrsets.push_back(std::move(rrset));
    }

    // Canonical order puts every name right after its ancestors, so one pass that remembers
    // the last zone cut and the last DNAME finds everything below them. They are pointers into
    // nodes, which no longer grows (g++ 12 warns falsely about std::optional<zone::Name> here).
    const zone::Name* cut = nullptr;
    const zone::Name* dname = nullptr;
    for (auto& node : nodes) {
        node.kind = classify(node, apex, cut);
        if (node.kind == NodeKind::non_authoritative) {
            continue;
        }
        if (dname != nullptr && node.name.is_subdomain_of(*dname)) {
            return tl::unexpected(below_dname(node, *dname));
        }
        cut = node.kind == NodeKind::delegation ? &node.name : nullptr;
        dname = node.has_type(zone::rrtype::dname) ? &node.name : nullptr;
    }
    return nodes;
}

bool is_signed_rrset(NodeKind kind, std::uint16_t type)
{
    switch (kind) {
    case NodeKind::apex:
    case NodeKind::authoritative:
        return true;
    case NodeKind::delegation:
        return type == zone::rrtype::ds || type == zone::rrtype::nsec;
    case NodeKind::non_authoritative:
        return false;
    }
    return false;
}

bool is_in_chain(NodeKind kind)
{
    return kind != NodeKind::non_authoritative;
}

} // namespace robur::dnssec
