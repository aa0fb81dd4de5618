#include "formats/zone/validate.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "formats/zone/serial.hpp"
#include "formats/zone/writer.hpp"

namespace robur::zone {

namespace {

constexpr std::uint32_t max_ttl = 0x7fffffffU; // RFC 2181 section 8

// The records of one owner name, by index into the zone.
using NodeEntry = std::pair<const Name, std::vector<std::size_t>>;

// The in-zone records of a zone indexed by owner name, with the lookups the checks share. The
// lookups hash names: with ordered sets, a profile of a zone of 100,000 names spent about 60%
// of the validation comparing names label by label.
class ZoneView {
public:
    ZoneView(const Zone& zone, std::vector<std::size_t> in_zone)
        : zone_(zone), in_zone_(std::move(in_zone))
    {
        for (const std::size_t index : in_zone_) {
            const Record& record = zone_.records[index];
            nodes_[record.owner].push_back(index);
            for (Name name = record.owner; name.is_subdomain_of(zone_.origin);
                 name = name.parent()) {
                if (!existing_.insert(name).second || name == zone_.origin) {
                    break;
                }
            }
            if (record.type == rrtype::ns && !(record.owner == zone_.origin)) {
                delegations_.insert(record.owner);
            }
        }
        order_nodes();
    }

    [[nodiscard]] const Zone& zone() const { return zone_; }
    [[nodiscard]] const std::vector<std::size_t>& in_zone() const { return in_zone_; }
    // The nodes in canonical order (RFC 4034 section 6.1).
    [[nodiscard]] const std::vector<const NodeEntry*>& nodes() const { return ordered_nodes_; }
    [[nodiscard]] const Record& record(std::size_t index) const { return zone_.records[index]; }

    // Returns the node that matches name: the node itself, or the wildcard at its closest
    // encloser (RFC 4592). Returns nullopt when neither exists or name is not
    // in the zone.
    [[nodiscard]] std::optional<Name> find(const Name& name) const
    {
        if (!name.is_subdomain_of(zone_.origin)) {
            return std::nullopt;
        }
        if (nodes_.count(name) != 0) {
            return name;
        }
        // An empty non-terminal exists, so no wildcard matches it (RFC 4592).
        if (existing_.count(name) != 0 || name == zone_.origin) {
            return std::nullopt;
        }
        Name encloser = name.parent();
        while (existing_.count(encloser) == 0 && !(encloser == zone_.origin)) {
            encloser = encloser.parent();
        }
        auto wildcard = encloser.prepend("*");
        if (!wildcard || nodes_.count(*wildcard) == 0) {
            return std::nullopt;
        }
        return *wildcard;
    }

    // True when the node at name contains a record of type.
    [[nodiscard]] bool has_type(const Name& name, std::uint16_t type) const
    {
        const auto node = nodes_.find(name);
        if (node == nodes_.end()) {
            return false;
        }
        return std::any_of(node->second.begin(), node->second.end(),
                           [&](std::size_t index) { return record(index).type == type; });
    }

    // Returns the topmost delegation point at or above name, if any.
    [[nodiscard]] std::optional<Name> delegation_above(const Name& name) const
    {
        if (delegations_.empty()) {
            return std::nullopt;
        }
        std::optional<Name> topmost;
        for (Name ancestor = name;
             !(ancestor == zone_.origin) && ancestor.is_subdomain_of(zone_.origin);
             ancestor = ancestor.parent()) {
            if (delegations_.count(ancestor) != 0) {
                topmost = ancestor;
            }
        }
        return topmost;
    }

private:
    // Sorts the nodes by canonical_name_key, whose octet order is the canonical name order.
    void order_nodes()
    {
        std::vector<std::pair<std::string, const NodeEntry*>> keyed;
        keyed.reserve(nodes_.size());
        for (const auto& node : nodes_) {
            keyed.emplace_back(canonical_name_key(node.first), &node);
        }
        std::sort(keyed.begin(), keyed.end(),
                  [](const auto& left, const auto& right) { return left.first < right.first; });
        ordered_nodes_.reserve(keyed.size());
        for (const auto& [key, node] : keyed) {
            ordered_nodes_.push_back(node);
        }
    }

    const Zone& zone_;
    std::vector<std::size_t> in_zone_;
    std::unordered_map<Name, std::vector<std::size_t>, NameHash> nodes_;
    std::vector<const NodeEntry*> ordered_nodes_;
    std::unordered_set<Name, NameHash> existing_; // owners and the empty non-terminals above them
    std::unordered_set<Name, NameHash> delegations_;
};

Diagnostic make_diagnostic(Severity severity, const Record& record, std::string message)
{
    return Diagnostic{severity, record.where, std::move(message)};
}

// Names where another record sits, relative to the record being reported on: "line 7" in the
// same file, "path:line" in another.
std::string locate(const Record& other, const Record& self)
{
    if (other.where.path == self.where.path && other.where.line != 0) {
        return fmt::format("line {}", other.where.line);
    }
    return other.where.to_string();
}

// The name in a name-valued rdata field, or nullopt for malformed rdata.
std::optional<Name> rdata_name(std::span<const std::uint8_t> rdata, std::size_t offset)
{
    if (offset >= rdata.size()) {
        return std::nullopt;
    }
    auto name = Name::from_wire(rdata.subspan(offset));
    return name ? std::optional<Name>(*name) : std::nullopt;
}

// The target of an NS, MX, CNAME or DNAME record.
std::optional<Name> target_of(const Record& record)
{
    switch (record.type) {
    case rrtype::ns:
    case rrtype::cname:
    case rrtype::dname:
        return rdata_name(record.rdata, 0);
    case rrtype::mx:
        return rdata_name(record.rdata, 2);
    default:
        return std::nullopt;
    }
}

bool name_lengths_ok(const Name& name)
{
    if (name.wire_length() > Name::max_wire_length) {
        return false;
    }
    for (std::size_t i = 0; i < name.label_count(); ++i) {
        if (name.label(i).size() > Name::max_label_length) {
            return false;
        }
    }
    return true;
}

// Checks each record on its own and returns the indices of the records inside the zone.
std::vector<std::size_t> check_records(const Zone& zone, std::vector<Diagnostic>& out)
{
    std::vector<std::size_t> in_zone;
    for (std::size_t index = 0; index < zone.records.size(); ++index) {
        const Record& record = zone.records[index];
        if (!name_lengths_ok(record.owner)) {
            out.push_back(make_diagnostic(
                Severity::error, record,
                fmt::format("owner name {} exceeds 255 octets or has a label over 63 octets "
                            "(RFC 1035 section 2.3.4)",
                            record.owner.to_string())));
        }
        if (record.ttl > max_ttl) {
            out.push_back(make_diagnostic(
                Severity::error, record,
                fmt::format("TTL {} of {} {} exceeds the maximum {} (RFC 2181 section 8)",
                            record.ttl, record.owner.to_string(), type_to_string(record.type),
                            max_ttl)));
        }
        if (!record.owner.is_subdomain_of(zone.origin)) {
            out.push_back(
                make_diagnostic(Severity::error, record,
                                fmt::format("out-of-zone data: {} is not at or below the origin {}",
                                            record.owner.to_string(), zone.origin.to_string())));
            continue;
        }
        in_zone.push_back(index);
    }
    return in_zone;
}

// Exactly one SOA, at the apex, and at least one NS there. Returns the SOA, if there is one.
const Record* check_apex(const ZoneView& view, std::vector<Diagnostic>& out)
{
    const Zone& zone = view.zone();
    const SourceLocation zone_location{zone.files.empty() ? std::string() : zone.files.front(), 0,
                                       0};
    const Record* soa = nullptr;
    bool has_ns = false;

    for (const std::size_t index : view.in_zone()) {
        const Record& record = view.record(index);
        const bool at_apex = record.owner == zone.origin;
        has_ns = has_ns || (at_apex && record.type == rrtype::ns);
        if (record.type != rrtype::soa) {
            continue;
        }
        if (!at_apex) {
            out.push_back(
                make_diagnostic(Severity::error, record,
                                fmt::format("SOA record at {} is not at the zone apex {}",
                                            record.owner.to_string(), zone.origin.to_string())));
        } else if (soa != nullptr) {
            out.push_back(make_diagnostic(
                Severity::error, record,
                fmt::format("more than one SOA record at the apex {} (the first is at {})",
                            zone.origin.to_string(), locate(*soa, record))));
        } else {
            soa = &record;
        }
    }

    if (soa == nullptr) {
        out.push_back({Severity::error, zone_location,
                       fmt::format("missing SOA record at the apex {}", zone.origin.to_string())});
    }
    if (!has_ns) {
        out.push_back({Severity::error, zone_location,
                       fmt::format("no NS records at the apex {}", zone.origin.to_string())});
    }
    return soa;
}

// Every record in the SOA's class, and a serial that moved forward from the previous version.
void check_against_soa(const ZoneView& view, const Record& soa, const ValidateOptions& options,
                       std::vector<Diagnostic>& out)
{
    for (const std::size_t index : view.in_zone()) {
        const Record& record = view.record(index);
        if (record.rclass != soa.rclass) {
            out.push_back(make_diagnostic(
                Severity::error, record,
                fmt::format("class {} of {} {} differs from the SOA's class {}",
                            class_to_string(record.rclass), record.owner.to_string(),
                            type_to_string(record.type), class_to_string(soa.rclass))));
        }
    }

    const auto serial = view.zone().serial();
    if (options.previous_serial && serial && !serial_gt(*serial, *options.previous_serial)) {
        const std::string source =
            options.previous_source.empty() ? std::string() : " in " + options.previous_source;
        out.push_back(make_diagnostic(
            Severity::error, soa,
            fmt::format("serial {} is not greater than the previous serial {}{}; increase it "
                        "(RFC 1982 serial arithmetic)",
                        *serial, *options.previous_serial, source)));
    }
}

// CNAME and DNAME are singletons, and CNAME has no other data beside it except DNSSEC records
// (RFC 1034 section 3.6.2, RFC 2181 section 10.1, RFC 4035 section 2.5, RFC 6672 section 2.4).
void check_singletons(const ZoneView& view, std::vector<Diagnostic>& out)
{
    for (const NodeEntry* node : view.nodes()) {
        const auto& [owner, indices] = *node;
        const Record* cname = nullptr;
        const Record* dname = nullptr;
        for (const std::size_t index : indices) {
            const Record& record = view.record(index);
            const Record** first = record.type == rrtype::cname   ? &cname
                                   : record.type == rrtype::dname ? &dname
                                                                  : nullptr;
            if (first == nullptr) {
                continue;
            }
            if (*first != nullptr) {
                out.push_back(
                    make_diagnostic(Severity::error, record,
                                    fmt::format("multiple {} records at {} (the first is at {})",
                                                type_to_string(record.type), owner.to_string(),
                                                locate(**first, record))));
                continue;
            }
            *first = &record;
        }
        if (cname == nullptr) {
            continue;
        }
        for (const std::size_t index : indices) {
            const Record& other = view.record(index);
            if (other.type == rrtype::cname || other.type == rrtype::rrsig ||
                other.type == rrtype::nsec) {
                continue;
            }
            // Report at whichever record comes second, the one that made the conflict.
            const bool other_first =
                index < static_cast<std::size_t>(cname - view.zone().records.data());
            const Record& later = other_first ? *cname : other;
            const Record& earlier = other_first ? other : *cname;
            out.push_back(make_diagnostic(
                Severity::error, later,
                fmt::format("CNAME and other data at {}: {} record beside the {} record at {} "
                            "(RFC 1034 section 3.6.2, RFC 2181 section 10.1)",
                            owner.to_string(), type_to_string(later.type),
                            type_to_string(earlier.type), locate(earlier, later))));
        }
    }
}

// A DNAME owner has no names below it (RFC 6672 section 2.4).
void check_dname_children(const ZoneView& view, std::vector<Diagnostic>& out)
{
    std::vector<const Record*> dnames;
    for (const std::size_t index : view.in_zone()) {
        const Record& record = view.record(index);
        // A DNAME at or below a delegation is occluded, and names below it may be glue.
        if (record.type == rrtype::dname && !view.delegation_above(record.owner)) {
            dnames.push_back(&record);
        }
    }
    if (dnames.empty()) {
        return;
    }
    for (const std::size_t index : view.in_zone()) {
        const Record& record = view.record(index);
        for (const Record* dname : dnames) {
            if (record.owner == dname->owner || !record.owner.is_subdomain_of(dname->owner)) {
                continue;
            }
            out.push_back(make_diagnostic(
                Severity::error, record,
                fmt::format("{} {} is below the DNAME at {} ({}); a DNAME owner has no names "
                            "below it (RFC 6672 section 2.4)",
                            record.owner.to_string(), type_to_string(record.type),
                            dname->owner.to_string(), locate(*dname, record))));
            break;
        }
    }
}

// Glue for name servers inside delegated space, and data hidden by a delegation
// (RFC 1034 section 4.2.1).
void check_delegations(const ZoneView& view, std::vector<Diagnostic>& out)
{
    // Nodes that provide some name server's address: the glue owners, wildcards included.
    std::unordered_set<Name, NameHash> glue_owners;
    for (const std::size_t index : view.in_zone()) {
        const Record& record = view.record(index);
        if (record.type != rrtype::ns) {
            continue;
        }
        const auto target = target_of(record);
        if (!target) {
            continue;
        }
        const auto node = view.find(*target);
        if (node) {
            glue_owners.insert(*node);
        }
        // Apex name servers need no glue, and an NS below another delegation is occluded.
        const auto cut = view.delegation_above(record.owner);
        if (!cut || !(*cut == record.owner) || !view.delegation_above(*target)) {
            continue;
        }
        const bool has_address =
            node && (view.has_type(*node, rrtype::a) || view.has_type(*node, rrtype::aaaa));
        if (!has_address) {
            out.push_back(make_diagnostic(
                Severity::error, record,
                fmt::format("missing glue: no A or AAAA record for {}, a name server of the "
                            "delegation {} that lies inside delegated space",
                            target->to_string(), record.owner.to_string())));
        }
    }

    for (const std::size_t index : view.in_zone()) {
        const Record& record = view.record(index);
        const auto cut = view.delegation_above(record.owner);
        if (!cut) {
            continue;
        }
        const bool at_cut = record.owner == *cut;
        const bool is_address = record.type == rrtype::a || record.type == rrtype::aaaa;
        const bool parent_side = record.type == rrtype::ns || record.type == rrtype::ds ||
                                 record.type == rrtype::nsec || record.type == rrtype::rrsig;
        if ((at_cut && parent_side) || (is_address && glue_owners.count(record.owner) != 0)) {
            continue;
        }
        out.push_back(make_diagnostic(
            Severity::warning, record,
            fmt::format("occluded data: {} {} is {} the delegation {} and is not glue, so it is "
                        "never served",
                        record.owner.to_string(), type_to_string(record.type),
                        at_cut ? "at" : "below", cut->to_string())));
    }
}

// NS and MX targets name a host, never an alias (RFC 2181 section 10.3).
void check_alias_targets(const ZoneView& view, std::vector<Diagnostic>& out)
{
    for (const std::size_t index : view.in_zone()) {
        const Record& record = view.record(index);
        if (record.type != rrtype::ns && record.type != rrtype::mx) {
            continue;
        }
        const auto target = target_of(record);
        if (!target || view.delegation_above(*target)) {
            continue;
        }
        const auto node = view.find(*target);
        if (!node || !view.has_type(*node, rrtype::cname)) {
            continue;
        }
        out.push_back(make_diagnostic(
            Severity::warning, record,
            fmt::format("{} target {} is a CNAME{}; it should name a host (RFC 2181 section 10.3)",
                        type_to_string(record.type), target->to_string(),
                        *node == *target ? "" : " through the wildcard " + node->to_string())));
    }
}

// One TTL per RRset (RFC 2181 section 5.2) and no record listed twice. RRSIGs form one RRset
// per covered type, since each carries the TTL of the RRset it covers (RFC 4034 section 3).
void check_rrsets(const ZoneView& view, std::vector<Diagnostic>& out)
{
    // The owner as its canonical_name_key, which orders like the name and compares faster.
    using RrsetKey = std::tuple<std::string, std::uint16_t, std::uint16_t, std::uint16_t>;
    std::map<RrsetKey, std::vector<std::size_t>> rrsets;
    for (const std::size_t index : view.in_zone()) {
        const Record& record = view.record(index);
        std::uint16_t covered = 0;
        if (record.type == rrtype::rrsig && record.rdata.size() >= 2) {
            covered = static_cast<std::uint16_t>((record.rdata[0] << 8) | record.rdata[1]);
        }
        rrsets[RrsetKey{canonical_name_key(record.owner), record.type, record.rclass, covered}]
            .push_back(index);
    }

    for (const auto& [key, members] : rrsets) {
        const Record& first = view.record(members.front());
        for (std::size_t i = 1; i < members.size(); ++i) {
            const Record& record = view.record(members[i]);
            const auto duplicate = std::find_if(
                members.begin(), members.begin() + static_cast<std::ptrdiff_t>(i),
                [&](std::size_t earlier) { return view.record(earlier).same_data(record); });
            if (duplicate != members.begin() + static_cast<std::ptrdiff_t>(i)) {
                out.push_back(make_diagnostic(
                    Severity::warning, record,
                    fmt::format("duplicate record {} {} (the first is at {})",
                                record.owner.to_string(), type_to_string(record.type),
                                locate(view.record(*duplicate), record))));
            }
            if (record.ttl != first.ttl) {
                out.push_back(make_diagnostic(
                    Severity::warning, record,
                    fmt::format("TTL {} differs from TTL {} of the same RRset {} {} at {}; the "
                                "RRset is served with one TTL (RFC 2181 section 5.2)",
                                record.ttl, first.ttl, record.owner.to_string(),
                                type_to_string(record.type), locate(first, record))));
            }
        }
    }
}

// Orders diagnostics by file, in the order the zone read its files, then by line.
void sort_by_location(const Zone& zone, std::vector<Diagnostic>& diagnostics)
{
    const auto file_rank = [&](const std::string& path) {
        const auto found = std::find(zone.files.begin(), zone.files.end(), path);
        return static_cast<std::size_t>(found - zone.files.begin());
    };
    std::stable_sort(diagnostics.begin(), diagnostics.end(),
                     [&](const Diagnostic& left, const Diagnostic& right) {
                         return std::pair(file_rank(left.where.path), left.where.line) <
                                std::pair(file_rank(right.where.path), right.where.line);
                     });
}

} // namespace

std::vector<Diagnostic> validate_zone(const Zone& zone, const ValidateOptions& options)
{
    std::vector<Diagnostic> diagnostics;
    const ZoneView view(zone, check_records(zone, diagnostics));

    if (const Record* soa = check_apex(view, diagnostics)) {
        check_against_soa(view, *soa, options, diagnostics);
    }
    check_singletons(view, diagnostics);
    check_dname_children(view, diagnostics);
    check_delegations(view, diagnostics);
    check_alias_targets(view, diagnostics);
    check_rrsets(view, diagnostics);

    sort_by_location(zone, diagnostics);
    return diagnostics;
}

} // namespace robur::zone
