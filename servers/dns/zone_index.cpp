#include "servers/dns/zone_index.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>

#include "formats/zone/record.hpp"
#include "servers/dns/wire.hpp"
#include "servers/dns/zone_compiler.hpp"

namespace robur::dns {

namespace {

std::uint32_t hash_name(std::span<const std::uint8_t> name)
{
    std::uint32_t hash = 2166136261u; // FNV-1a
    for (const std::uint8_t octet : name) {
        hash = (hash ^ octet) * 16777619u;
    }
    return hash;
}

std::string lowercase_wire(const zone::Name& name)
{
    const auto wire = name.wire();
    std::string lower(wire.begin(), wire.end());
    lowercase_name({reinterpret_cast<std::uint8_t*>(lower.data()), lower.size()});
    return lower;
}

std::span<const std::uint8_t> as_bytes(const std::string& text)
{
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// True when name (lower-cased wire form) equals ancestor or lies below it.
bool is_at_or_below(std::span<const std::uint8_t> name, std::span<const std::uint8_t> ancestor)
{
    std::size_t position = 0;
    while (name.size() - position > ancestor.size()) {
        position += name[position] + 1u;
    }
    return name.size() - position == ancestor.size() &&
           std::equal(ancestor.begin(), ancestor.end(), name.begin() + static_cast<long>(position));
}

std::span<const std::uint8_t> parent_of(std::span<const std::uint8_t> name)
{
    return name.subspan(name[0] + 1u);
}

std::size_t label_count_of(std::span<const std::uint8_t> name)
{
    std::size_t count = 0;
    for (std::size_t position = 0; name[position] != 0; position += name[position] + 1u) {
        ++count;
    }
    return count;
}

// Returns the length of the uncompressed name at offset in rdata, or 0 when it is malformed or
// longer than 255 octets.
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

// True unless record is a CNAME or DNAME whose rdata is not exactly one name, which the
// responder could not follow. The zone validator rejects such records before they get here.
bool is_usable(const zone::Record& record)
{
    if (record.type != zone::rrtype::cname && record.type != zone::rrtype::dname) {
        return true;
    }
    return !record.rdata.empty() && name_length_at(record.rdata, 0) == record.rdata.size();
}

} // namespace

std::optional<std::size_t> additional_target_offset(std::uint16_t type)
{
    switch (type) {
    case zone::rrtype::ns:
        return 0;
    case zone::rrtype::mx:
        return 2; // after PREFERENCE (RFC 1035 section 3.3.9)
    case zone::rrtype::srv:
        return 6; // after PRIORITY, WEIGHT and PORT (RFC 2782)
    default:
        return std::nullopt;
    }
}

// ---- NameTable ----

std::uint32_t NameTable::insert(std::span<const std::uint8_t> name, std::uint32_t value)
{
    if (const auto existing = find(name); existing != no_index) {
        return existing;
    }
    if ((entries_.size() + 1) * 2 > slots_.size()) {
        grow();
    }
    entries_.push_back(Entry{static_cast<std::uint32_t>(keys_.size()),
                             static_cast<std::uint8_t>(name.size()), value});
    keys_.insert(keys_.end(), name.begin(), name.end());

    const std::size_t mask = slots_.size() - 1;
    std::size_t slot = hash_name(name) & mask;
    while (slots_[slot] != 0) {
        slot = (slot + 1) & mask;
    }
    slots_[slot] = static_cast<std::uint32_t>(entries_.size());
    return value;
}

std::uint32_t NameTable::find(std::span<const std::uint8_t> name) const
{
    if (slots_.empty()) {
        return no_index;
    }
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = hash_name(name) & mask; slots_[slot] != 0; slot = (slot + 1) & mask) {
        const Entry& entry = entries_[slots_[slot] - 1];
        if (key_equals(entry, name)) {
            return entry.value;
        }
    }
    return no_index;
}

bool NameTable::key_equals(const Entry& entry, std::span<const std::uint8_t> name) const
{
    return entry.length == name.size() &&
           std::memcmp(keys_.data() + entry.offset, name.data(), name.size()) == 0;
}

void NameTable::grow()
{
    std::vector<std::uint32_t> slots(std::max<std::size_t>(16, slots_.size() * 2), 0);
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const Entry& entry = entries_[i];
        std::size_t slot = hash_name({keys_.data() + entry.offset, entry.length}) & mask;
        while (slots[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        slots[slot] = static_cast<std::uint32_t>(i + 1);
    }
    slots_ = std::move(slots);
}

// ---- CompiledZone ----

bool CompiledZone::contains(std::span<const std::uint8_t> name) const
{
    return is_at_or_below(name, node_name(nodes_[apex_]));
}

const CompiledZone::RRset* CompiledZone::find_rrset(const Node& node, std::uint16_t type) const
{
    for (const RRset& rrset : rrsets(node)) {
        if (rrset.type == type) {
            return &rrset;
        }
    }
    return nullptr;
}

RecordView CompiledZone::view(const EncodedRecord& record) const
{
    return RecordView{
        .fixed = {data_.data() + record.offset, 8},
        .rdata = {data_.data() + record.offset + 10, record.rdata_length},
        .name_offsets = {name_offsets_.data() + record.first_name_offset, record.name_offset_count},
    };
}

std::uint32_t CompiledZone::ttl(std::uint32_t index) const
{
    return read_u32(data_.data() + records_[index].offset + 4);
}

RecordView CompiledZone::negative_soa() const
{
    return view(negative_soa_);
}

Result<void> ZoneCompiler::compile(const zone::Zone& source)
{
    apex_ = lowercase_wire(source.origin);
    const zone::Record* soa = nullptr;
    for (const auto& record : source.records) {
        if (record.type == zone::rrtype::soa && lowercase_wire(record.owner) == apex_) {
            soa = &record;
            break;
        }
    }
    if (soa == nullptr || soa->rdata.size() < 22) {
        return make_error(
            Errc::validation_failed,
            fmt::format("zone {} has no SOA record at the apex", source.origin.to_string()));
    }
    zone_.origin_ = source.origin;
    zone_.serial_ = read_u32(soa->rdata.data() + soa->rdata.size() - 20);

    auto items = collect(source, soa->rclass);
    if (auto read = read_nsec3_parameters(items, source.origin); !read) {
        return read;
    }
    const auto nsec3_items = take_nsec3(items);

    zone_.apex_ = add_node(as_bytes(apex_));
    for (std::size_t first = 0; first < items.size();) {
        std::size_t last = first;
        while (last < items.size() && items[last].owner == items[first].owner) {
            ++last;
        }
        const std::uint32_t index = add_node(as_bytes(items[first].owner));
        add_rrset(zone_.nodes_[index], std::span(items).subspan(first, last - first));
        first = last;
    }
    link_nodes();
    link_additional();
    add_nsec3_entries(nsec3_items);
    order_nsec_nodes();

    // The negative SOA is an extra copy whose TTL is min(TTL, MINIMUM) (RFC 2308 section 3).
    const std::uint32_t minimum = read_u32(soa->rdata.data() + soa->rdata.size() - 4);
    const std::uint32_t negative_ttl = std::min(soa->ttl, minimum);
    const std::uint32_t copy = encode(*soa, negative_ttl);
    zone_.negative_soa_ = zone_.records_[copy];
    zone_.records_.pop_back();
    add_negative_soa_signatures(negative_ttl);
    return {};
}

// Returns the in-zone records of zone_class sorted by owner and type, and RRSIG records by the
// type they cover.
std::vector<ZoneCompiler::Item> ZoneCompiler::collect(const zone::Zone& source,
                                                      std::uint16_t zone_class) const
{
    std::vector<Item> items;
    items.reserve(source.records.size());
    for (const auto& record : source.records) {
        std::string owner = lowercase_wire(record.owner);
        if (record.rclass != zone_class || !is_at_or_below(as_bytes(owner), as_bytes(apex_))) {
            continue;
        }
        items.push_back(Item{std::move(owner), &record});
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& left, const Item& right) {
        if (left.owner != right.owner) {
            return left.owner < right.owner;
        }
        if (left.record->type != right.record->type) {
            return left.record->type < right.record->type;
        }
        return covered_type(*left.record) < covered_type(*right.record);
    });
    return items;
}

// Returns the node of name, creating it and every missing ancestor below the apex. Ancestors
// without records are the empty non-terminals that block wildcards (RFC 4592 section 2.2.2).
std::uint32_t ZoneCompiler::add_node(std::span<const std::uint8_t> name)
{
    if (const auto existing = zone_.table_.find(name); existing != no_index) {
        return existing;
    }
    if (name.size() > apex_.size()) {
        add_node(parent_of(name));
    }
    CompiledZone::Node node;
    node.name_offset = static_cast<std::uint32_t>(zone_.names_.size());
    node.name_length = static_cast<std::uint8_t>(name.size());
    node.label_count = static_cast<std::uint8_t>(label_count_of(name));
    node.first_rrset = static_cast<std::uint32_t>(zone_.rrsets_.size());
    zone_.names_.insert(zone_.names_.end(), name.begin(), name.end());
    const auto index = static_cast<std::uint32_t>(zone_.nodes_.size());
    zone_.nodes_.push_back(node);
    return zone_.table_.insert(name, index);
}

// Adds the records of one owner, sorted by type, as RRsets of node, and links each RRset to
// the RRSIG records covering it.
void ZoneCompiler::add_rrset(CompiledZone::Node& node, std::span<const Item> items)
{
    node.first_rrset = static_cast<std::uint32_t>(zone_.rrsets_.size());
    for (std::size_t first = 0; first < items.size();) {
        const std::uint16_t type = items[first].record->type;
        std::size_t last = first;
        while (last < items.size() && items[last].record->type == type) {
            ++last;
        }
        const auto rrset = encode_rrset(items.subspan(first, last - first));
        first = last;
        if (rrset.record_count == 0) {
            continue;
        }
        zone_.rrsets_.push_back(rrset);
        ++node.rrset_count;
        node.has_cname = node.has_cname || type == zone::rrtype::cname;
        node.has_dname = node.has_dname || type == zone::rrtype::dname;
        node.is_cut = node.is_cut || (type == zone::rrtype::ns && node.name_length > apex_.size());
    }
    link_signatures(node);
}

// Encodes records of one owner and type as an RRset; identical records are kept once
// (RFC 2181 section 5). The RRset is empty when no record is usable.
CompiledZone::RRset ZoneCompiler::encode_rrset(std::span<const Item> items)
{
    CompiledZone::RRset rrset{.type = items.front().record->type,
                              .record_count = 0,
                              .first_record = static_cast<std::uint32_t>(zone_.records_.size())};
    std::unordered_set<std::string_view> seen; // rdata already in this RRset
    for (const auto& item : items) {
        const auto& record = *item.record;
        const std::string_view rdata(reinterpret_cast<const char*>(record.rdata.data()),
                                     record.rdata.size());
        const bool duplicate = !seen.insert(rdata).second;
        if (!duplicate && is_usable(record) && rrset.record_count < UINT16_MAX) {
            encode(record, record.ttl);
            ++rrset.record_count;
        }
    }
    return rrset;
}

// Appends record's TYPE, CLASS, TTL, RDLENGTH and RDATA to the data arena.
std::uint32_t ZoneCompiler::encode(const zone::Record& record, std::uint32_t ttl)
{
    CompiledZone::EncodedRecord encoded;
    encoded.offset = static_cast<std::uint32_t>(zone_.data_.size());
    encoded.rdata_length =
        static_cast<std::uint16_t>(std::min<std::size_t>(record.rdata.size(), UINT16_MAX));

    std::uint8_t fixed[10];
    write_u16(fixed, record.type);
    write_u16(fixed + 2, record.rclass);
    write_u32(fixed + 4, ttl);
    write_u16(fixed + 8, encoded.rdata_length);
    zone_.data_.insert(zone_.data_.end(), fixed, fixed + 10);
    zone_.data_.insert(zone_.data_.end(), record.rdata.begin(),
                       record.rdata.begin() + encoded.rdata_length);

    // Keep only well-formed, ascending names inside the rdata, so the writer can trust them.
    encoded.first_name_offset = static_cast<std::uint32_t>(zone_.name_offsets_.size());
    std::size_t free_from = 0;
    const auto rdata = std::span(record.rdata).first(encoded.rdata_length);
    for (const std::size_t offset : zone::compressible_name_offsets(record.type, record.rdata)) {
        const std::size_t length = offset < rdata.size() ? name_length_at(rdata, offset) : 0;
        if (length == 0 || offset < free_from) {
            continue;
        }
        zone_.name_offsets_.push_back(static_cast<std::uint16_t>(offset));
        ++encoded.name_offset_count;
        free_from = offset + length;
    }
    zone_.records_.push_back(encoded);
    return static_cast<std::uint32_t>(zone_.records_.size() - 1);
}

// Sets each node's wildcard child and the highest zone cut or DNAME above it.
void ZoneCompiler::link_nodes()
{
    for (std::uint32_t index = 0; index < zone_.nodes_.size(); ++index) {
        auto& node = zone_.nodes_[index];
        const auto name = zone_.node_name(node);
        if (name.size() <= apex_.size()) {
            continue;
        }
        std::span<const std::uint8_t> ancestor = parent_of(name);
        if (name[0] == 1 && name[1] == '*') {
            zone_.nodes_[zone_.table_.find(ancestor)].wildcard = index;
        }
        // The apex counts for DNAME only, because NS at the apex is no zone cut.
        for (; ancestor.size() >= apex_.size(); ancestor = parent_of(ancestor)) {
            const auto above = zone_.table_.find(ancestor);
            const auto& candidate = zone_.nodes_[above];
            if (candidate.is_cut || candidate.has_dname) {
                node.redirect = above;
            }
        }
    }
}

// Points NS, MX and SRV records at the node that stores the addresses of their target.
void ZoneCompiler::link_additional()
{
    for (auto& record : zone_.records_) {
        const std::uint16_t type = read_u16(zone_.data_.data() + record.offset);
        const auto target_offset = additional_target_offset(type);
        if (!target_offset || *target_offset >= record.rdata_length) {
            continue;
        }
        const std::span<const std::uint8_t> rdata{zone_.data_.data() + record.offset + 10,
                                                  record.rdata_length};
        const std::size_t length = name_length_at(rdata, *target_offset);
        if (length == 0) {
            continue;
        }
        std::string target(rdata.begin() + static_cast<long>(*target_offset),
                           rdata.begin() + static_cast<long>(*target_offset + length));
        lowercase_name({reinterpret_cast<std::uint8_t*>(target.data()), target.size()});
        record.additional_node = address_node(as_bytes(target));
    }
}

// Returns the node holding the A or AAAA records of target: the node itself or, when target
// does not exist, the wildcard below its closest encloser (RFC 4592 section 3.3.1).
std::uint32_t ZoneCompiler::address_node(std::span<const std::uint8_t> target) const
{
    if (!is_at_or_below(target, as_bytes(apex_))) {
        return no_index;
    }
    std::uint32_t node = zone_.table_.find(target);
    if (node == no_index) {
        auto ancestor = parent_of(target);
        std::uint32_t encloser = zone_.table_.find(ancestor);
        while (encloser == no_index) {
            ancestor = parent_of(ancestor);
            encloser = zone_.table_.find(ancestor);
        }
        node = zone_.nodes_[encloser].wildcard;
    }
    if (node == no_index) {
        return no_index;
    }
    const auto& candidate = zone_.nodes_[node];
    const bool has_addresses = zone_.find_rrset(candidate, zone::rrtype::a) != nullptr ||
                               zone_.find_rrset(candidate, zone::rrtype::aaaa) != nullptr;
    return has_addresses ? node : no_index;
}

Result<std::shared_ptr<const CompiledZone>> compile_zone(const zone::Zone& zone)
{
    return compile_zone(std::make_shared<const zone::Zone>(zone));
}

Result<std::shared_ptr<const CompiledZone>> compile_zone(std::shared_ptr<const zone::Zone> zone)
{
    auto compiled = std::make_shared<CompiledZone>();
    ZoneCompiler compiler(*compiled);
    if (auto done = compiler.compile(*zone); !done) {
        return tl::unexpected(done.error());
    }
    compiled->source_ = std::move(zone);
    return std::shared_ptr<const CompiledZone>(std::move(compiled));
}

// ---- ZoneSet ----

ZoneSet::ZoneSet(std::vector<std::shared_ptr<const CompiledZone>> zones)
{
    for (auto& zone : zones) {
        if (!zone) {
            continue;
        }
        const std::string origin = lowercase_wire(zone->origin());
        const auto index = static_cast<std::uint32_t>(zones_.size());
        if (table_.insert(as_bytes(origin), index) == index) {
            zones_.push_back(std::move(zone));
        }
    }
}

const CompiledZone* ZoneSet::find_zone(std::span<const std::uint8_t> name) const
{
    if (zones_.empty() || name.empty()) {
        return nullptr;
    }
    for (std::size_t position = 0;; position += name[position] + 1u) {
        const auto index = table_.find(name.subspan(position));
        if (index != no_index) {
            return zones_[index].get();
        }
        if (name[position] == 0) {
            return nullptr;
        }
    }
}

const CompiledZone* ZoneSet::find_exact(std::span<const std::uint8_t> name) const
{
    const auto index = table_.find(name);
    return index == no_index ? nullptr : zones_[index].get();
}

} // namespace robur::dns
