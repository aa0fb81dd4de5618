#include "formats/zone/writer.hpp"

#include <algorithm>

#include "formats/zone/record_text.hpp"

namespace robur::zone {

namespace {

// A record's position in canonical order, with its owner's sort key computed once, so that
// sorting a large zone compares flat strings rather than labels from the right.
struct SortEntry {
    std::string owner_key;
    bool apex_soa = false;
    std::size_t index = 0;
};

bool canonical_less(const SortEntry& left, const SortEntry& right,
                    const std::vector<Record>& records)
{
    if (const int order = left.owner_key.compare(right.owner_key); order != 0) {
        return order < 0;
    }
    if (left.apex_soa != right.apex_soa) {
        return left.apex_soa;
    }
    const Record& a = records[left.index];
    const Record& b = records[right.index];
    if (a.type != b.type) {
        return a.type < b.type;
    }
    if (a.rclass != b.rclass) {
        return a.rclass < b.rclass;
    }
    if (a.rdata != b.rdata) {
        return a.rdata < b.rdata;
    }
    // The index keeps records that compare equal in their input order, as a stable sort would.
    return left.index < right.index;
}

// The records of zone in canonical order without duplicates, as positions in zone.records.
std::vector<SortEntry> canonical_entries(const Zone& zone)
{
    std::vector<SortEntry> entries(zone.records.size());
    for (std::size_t i = 0; i < zone.records.size(); ++i) {
        const Record& record = zone.records[i];
        entries[i] = {canonical_name_key(record.owner),
                      record.type == rrtype::soa && record.owner == zone.origin, i};
    }
    std::sort(entries.begin(), entries.end(), [&](const SortEntry& left, const SortEntry& right) {
        return canonical_less(left, right, zone.records);
    });

    // Of records with the same data, the first in input order stays, with its TTL.
    const auto duplicates = std::unique(
        entries.begin(), entries.end(), [&](const SortEntry& left, const SortEntry& right) {
            return zone.records[left.index].same_data(zone.records[right.index]);
        });
    entries.erase(duplicates, entries.end());
    return entries;
}

} // namespace

std::string canonical_name_key(const Name& name)
{
    std::string key;
    key.reserve(name.wire_length() + 8);
    for (std::size_t i = name.label_count(); i-- > 0;) {
        for (const char c : name.label(i)) {
            const auto octet = static_cast<std::uint8_t>(c);
            if (octet <= 1) {
                key += '\x01'; // escape, so that 0x00 only ends a label
                key += static_cast<char>(octet);
            } else if (octet >= 'A' && octet <= 'Z') {
                key += static_cast<char>(octet + ('a' - 'A'));
            } else {
                key += c;
            }
        }
        key += '\0';
    }
    return key;
}

std::vector<Record> canonical_records(const Zone& zone)
{
    std::vector<Record> records;
    for (const auto& entry : canonical_entries(zone)) {
        records.push_back(zone.records[entry.index]);
    }
    return records;
}

std::string format_zone(const Zone& zone)
{
    const std::vector<SortEntry> entries = canonical_entries(zone);
    std::string out = "$ORIGIN " + zone.origin.to_string() + "\n";
    // An estimate of 128 octets a record, RRSIG and DNSKEY lines being longer, saves most
    // regrowth of the output.
    out.reserve(out.size() + entries.size() * 128);
    for (const auto& entry : entries) {
        append_record_text(out, zone.records[entry.index]);
        out += '\n';
    }
    return out;
}

} // namespace robur::zone
