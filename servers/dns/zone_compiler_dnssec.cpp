// The DNSSEC steps of compiling a zone and the lookups of CompiledZone they enable: RRSIGs
// linked to the RRsets they cover, NSEC owners in canonical order and the NSEC3 table.

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "formats/dnssec/nsec3.hpp"
#include "formats/zone/record.hpp"
#include "servers/dns/wire.hpp"
#include "servers/dns/zone_compiler.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {

namespace rrtype = zone::rrtype;

namespace {

constexpr std::size_t max_labels = 128; // a 255-octet name has at most 127 labels

// Stores the offset of each label of name (lower-cased wire form) and returns their count.
std::size_t label_offsets(std::span<const std::uint8_t> name,
                          std::array<std::uint8_t, max_labels>& offsets)
{
    std::size_t count = 0;
    for (std::size_t position = 0; position < name.size() && name[position] != 0;
         position += name[position] + 1u) {
        offsets[count] = static_cast<std::uint8_t>(position);
        ++count;
    }
    return count;
}

std::span<const std::uint8_t> as_bytes(const std::string& text)
{
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// True when rdata, an NSEC3 RDATA, uses the hash algorithm, iterations and salt of parameters.
bool has_parameters(std::span<const std::uint8_t> rdata,
                    const CompiledZone::Nsec3Parameters& parameters)
{
    if (rdata.size() < 5 || rdata.size() < 5u + rdata[4]) {
        return false;
    }
    const auto salt = rdata.subspan(5, rdata[4]);
    return rdata[0] == parameters.algorithm &&
           read_u16(rdata.data() + 2) == parameters.iterations &&
           std::ranges::equal(salt, parameters.salt);
}

bool hash_less(const dnssec::Nsec3Hash& left, const dnssec::Nsec3Hash& right)
{
    return std::memcmp(left.data(), right.data(), left.size()) < 0;
}

} // namespace

int compare_canonical(std::span<const std::uint8_t> left, std::span<const std::uint8_t> right)
{
    std::array<std::uint8_t, max_labels> left_labels{};
    std::array<std::uint8_t, max_labels> right_labels{};
    std::size_t left_count = label_offsets(left, left_labels);
    std::size_t right_count = label_offsets(right, right_labels);

    while (left_count > 0 && right_count > 0) {
        --left_count;
        --right_count;
        const auto left_label =
            left.subspan(left_labels[left_count] + 1u, left[left_labels[left_count]]);
        const auto right_label =
            right.subspan(right_labels[right_count] + 1u, right[right_labels[right_count]]);
        const std::size_t common = std::min(left_label.size(), right_label.size());
        if (const int order = std::memcmp(left_label.data(), right_label.data(), common);
            order != 0) {
            return order;
        }
        if (left_label.size() != right_label.size()) {
            return left_label.size() < right_label.size() ? -1 : 1;
        }
    }
    if (left_count == right_count) {
        return 0;
    }
    return left_count < right_count ? -1 : 1;
}

std::uint16_t covered_type(const zone::Record& record)
{
    if (record.type != rrtype::rrsig || record.rdata.size() < 2) {
        return 0;
    }
    return read_u16(record.rdata.data());
}

// ---- CompiledZone lookups ----

std::uint32_t CompiledZone::nsec_at_or_before(std::span<const std::uint8_t> name) const
{
    if (nsec_nodes_.empty()) {
        return no_index;
    }
    const auto after =
        std::upper_bound(nsec_nodes_.begin(), nsec_nodes_.end(), name,
                         [this](std::span<const std::uint8_t> key, std::uint32_t index) {
                             return compare_canonical(key, node_name(nodes_[index])) < 0;
                         });
    // Before the first owner (the apex) only names outside the zone sort; wrap around.
    return after == nsec_nodes_.begin() ? nsec_nodes_.back() : *(after - 1);
}

std::uint32_t CompiledZone::find_nsec3(const dnssec::Nsec3Hash& hash) const
{
    const auto found = std::lower_bound(nsec3_entries_.begin(), nsec3_entries_.end(), hash,
                                        [](const Nsec3Entry& entry, const dnssec::Nsec3Hash& key) {
                                            return hash_less(entry.hash, key);
                                        });
    if (found == nsec3_entries_.end() || found->hash != hash) {
        return no_index;
    }
    return static_cast<std::uint32_t>(found - nsec3_entries_.begin());
}

std::uint32_t CompiledZone::nsec3_covering(const dnssec::Nsec3Hash& hash) const
{
    if (nsec3_entries_.empty()) {
        return no_index;
    }
    const auto first_not_less =
        std::lower_bound(nsec3_entries_.begin(), nsec3_entries_.end(), hash,
                         [](const Nsec3Entry& entry, const dnssec::Nsec3Hash& key) {
                             return hash_less(entry.hash, key);
                         });
    if (first_not_less == nsec3_entries_.begin()) {
        return static_cast<std::uint32_t>(nsec3_entries_.size() - 1);
    }
    return static_cast<std::uint32_t>(first_not_less - nsec3_entries_.begin() - 1);
}

// ---- ZoneCompiler DNSSEC steps ----

// Reads the NSEC3PARAM at the apex that a server uses: hash algorithm 1 and flags 0 (RFC 5155
// section 4.1.2 makes servers ignore the others). Errors when it sets too many iterations.
Result<void> ZoneCompiler::read_nsec3_parameters(std::span<const Item> items,
                                                 const zone::Name& origin)
{
    for (const auto& item : items) {
        if (item.owner != apex_ || item.record->type != rrtype::nsec3param) {
            continue;
        }
        auto parsed = dnssec::parse_nsec3param(item.record->rdata);
        if (!parsed || parsed->algorithm != dnssec::nsec3_sha1 || parsed->flags != 0) {
            continue;
        }
        if (parsed->iterations > dnssec::max_nsec3_iterations) {
            return make_error(
                Errc::validation_failed,
                fmt::format("zone {}: NSEC3PARAM has {} iterations, more than the maximum {} "
                            "that robur serves; sign the zone again with 0 iterations "
                            "(RFC 9276 section 3.1)",
                            origin.to_string(), parsed->iterations, dnssec::max_nsec3_iterations));
        }
        zone_.nsec3_parameters_ = CompiledZone::Nsec3Parameters{
            .algorithm = parsed->algorithm,
            .iterations = parsed->iterations,
            .salt = std::move(parsed->salt),
        };
        return {};
    }
    return {};
}

// Moves the NSEC3 records and the RRSIGs covering them out of items. Only records whose owner
// is a base32hex SHA-1 hash one label below the apex move; others stay ordinary data.
std::vector<ZoneCompiler::Item> ZoneCompiler::take_nsec3(std::vector<Item>& items) const
{
    std::vector<Item> nsec3_items;
    const auto is_nsec3 = [this](const Item& item) {
        const auto type = item.record->type;
        if (type != rrtype::nsec3 && covered_type(*item.record) != rrtype::nsec3) {
            return false;
        }
        const auto owner = as_bytes(item.owner);
        if (owner.size() != owner[0] + 1u + apex_.size()) {
            return false;
        }
        const std::string_view label(item.owner.data() + 1, owner[0]);
        const auto hash = dnssec::base32hex_decode(label);
        return hash && hash->size() == dnssec::Nsec3Hash{}.size();
    };
    for (auto& item : items) {
        if (is_nsec3(item)) {
            nsec3_items.push_back(std::move(item));
            item.record = nullptr;
        }
    }
    std::erase_if(items, [](const Item& item) { return item.record == nullptr; });
    return nsec3_items;
}

// Builds the NSEC3 table from the records take_nsec3() moved out, sorted by owner, keeping
// the NSEC3 records with the chain's parameters. Nothing when there is no NSEC3PARAM.
void ZoneCompiler::add_nsec3_entries(std::span<const Item> items)
{
    if (!zone_.nsec3_parameters_) {
        return;
    }
    const auto& parameters = *zone_.nsec3_parameters_;
    for (std::size_t first = 0; first < items.size();) {
        std::size_t last = first;
        while (last < items.size() && items[last].owner == items[first].owner) {
            ++last;
        }
        std::vector<Item> nsec3;
        std::vector<Item> signatures;
        for (const auto& item : items.subspan(first, last - first)) {
            if (item.record->type == rrtype::rrsig) {
                signatures.push_back(item);
            } else if (has_parameters(item.record->rdata, parameters)) {
                nsec3.push_back(item);
            }
        }
        const std::string& owner = items[first].owner;
        first = last;
        if (nsec3.empty()) {
            continue;
        }

        CompiledZone::Nsec3Entry entry;
        const auto hash =
            dnssec::base32hex_decode(std::string_view(owner.data() + 1, as_bytes(owner)[0]));
        std::copy(hash->begin(), hash->end(), entry.hash.begin());
        entry.name_offset = static_cast<std::uint32_t>(zone_.names_.size());
        entry.name_length = static_cast<std::uint8_t>(owner.size());
        zone_.names_.insert(zone_.names_.end(), owner.begin(), owner.end());
        entry.rrset = static_cast<std::uint32_t>(zone_.rrsets_.size());
        zone_.rrsets_.push_back(encode_rrset(nsec3));
        zone_.signatures_.resize(zone_.rrsets_.size());
        if (!signatures.empty()) {
            zone_.signatures_.back() = encode_rrset(signatures);
        }
        zone_.nsec3_entries_.push_back(entry);
    }
    std::sort(zone_.nsec3_entries_.begin(), zone_.nsec3_entries_.end(),
              [](const auto& left, const auto& right) { return hash_less(left.hash, right.hash); });
}

// Points every RRset of node at the RRSIG records that cover it. The node's RRSIG RRset stays
// as it is for queries of type RRSIG; its records are sorted by the type they cover.
void ZoneCompiler::link_signatures(const CompiledZone::Node& node)
{
    const auto* rrsig = zone_.find_rrset(node, rrtype::rrsig);
    if (rrsig == nullptr) {
        return;
    }
    const auto covered_at = [this](std::uint32_t index) -> std::uint16_t {
        const auto& record = zone_.records_[index];
        return record.rdata_length < 2 ? 0 : read_u16(zone_.data_.data() + record.offset + 10);
    };
    zone_.signatures_.resize(zone_.rrsets_.size());
    const std::uint32_t end = rrsig->first_record + rrsig->record_count;
    for (std::uint32_t first = rrsig->first_record; first < end;) {
        const std::uint16_t covered = covered_at(first);
        std::uint32_t last = first;
        while (last < end && covered_at(last) == covered) {
            ++last;
        }
        for (std::uint32_t i = node.first_rrset; i < node.first_rrset + node.rrset_count; ++i) {
            if (zone_.rrsets_[i].type == covered && covered != rrtype::rrsig) {
                zone_.signatures_[i] = CompiledZone::RRset{
                    .type = rrtype::rrsig,
                    .record_count = static_cast<std::uint16_t>(last - first),
                    .first_record = first,
                };
            }
        }
        first = last;
    }
}

// Lists the nodes owning NSEC records in canonical order.
void ZoneCompiler::order_nsec_nodes()
{
    for (std::uint32_t index = 0; index < zone_.nodes_.size(); ++index) {
        if (zone_.find_rrset(zone_.nodes_[index], rrtype::nsec) != nullptr) {
            zone_.nsec_nodes_.push_back(index);
        }
    }
    std::sort(zone_.nsec_nodes_.begin(), zone_.nsec_nodes_.end(),
              [this](std::uint32_t left, std::uint32_t right) {
                  return compare_canonical(zone_.node_name(zone_.nodes_[left]),
                                           zone_.node_name(zone_.nodes_[right])) < 0;
              });
}

// Copies the apex SOA's RRSIGs with the negative SOA's TTL into an RRset of no node, and marks
// the zone signed when the apex has a DNSKEY RRset and a signed SOA. An unsigned zone keeps
// no signature array.
void ZoneCompiler::add_negative_soa_signatures(std::uint32_t ttl)
{
    const auto& apex = zone_.nodes_[zone_.apex_];
    const auto* soa = zone_.find_rrset(apex, rrtype::soa);
    const auto soa_signatures = soa != nullptr ? zone_.signatures(*soa) : CompiledZone::RRset{};
    zone_.signed_ =
        soa_signatures.record_count > 0 && zone_.find_rrset(apex, rrtype::dnskey) != nullptr;

    CompiledZone::RRset copies{.type = rrtype::rrsig,
                               .record_count = 0,
                               .first_record = static_cast<std::uint32_t>(zone_.records_.size())};
    if (zone_.signed_) {
        for (std::uint32_t i = 0; i < soa_signatures.record_count; ++i) {
            copy_with_ttl(soa_signatures.first_record + i, ttl);
        }
        copies.record_count = soa_signatures.record_count;
    }
    zone_.negative_soa_signatures_ = static_cast<std::uint32_t>(zone_.rrsets_.size());
    zone_.rrsets_.push_back(copies);
    if (zone_.signed_) {
        zone_.signatures_.resize(zone_.rrsets_.size());
    } else {
        zone_.signatures_ = {};
    }
}

// Appends a copy of the encoded record at index with another TTL; returns the copy's index.
std::uint32_t ZoneCompiler::copy_with_ttl(std::uint32_t index, std::uint32_t ttl)
{
    CompiledZone::EncodedRecord copy = zone_.records_[index];
    const std::size_t size = 10u + copy.rdata_length;
    copy.offset = static_cast<std::uint32_t>(zone_.data_.size());
    zone_.data_.resize(zone_.data_.size() + size);
    std::memcpy(zone_.data_.data() + copy.offset, zone_.data_.data() + zone_.records_[index].offset,
                size);
    write_u32(zone_.data_.data() + copy.offset + 4, ttl);
    zone_.records_.push_back(copy);
    return static_cast<std::uint32_t>(zone_.records_.size() - 1);
}

} // namespace robur::dns
