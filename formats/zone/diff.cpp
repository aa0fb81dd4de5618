#include "formats/zone/diff.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace robur::zone {

namespace {

// Canonical record order: owner (RFC 4034 section 6.1), then type, class and rdata octets.
bool canonical_less(const Record& left, const Record& right)
{
    const auto order = left.owner <=> right.owner;
    if (order != 0) {
        return order < 0;
    }
    return std::tie(left.type, left.rclass, left.rdata) <
           std::tie(right.type, right.rclass, right.rdata);
}

bool same_key(const Record& left, const Record& right)
{
    return !canonical_less(left, right) && !canonical_less(right, left);
}

// The records of a zone in canonical order, each listed once.
std::vector<const Record*> sorted_unique(const Zone& zone)
{
    std::vector<const Record*> sorted;
    sorted.reserve(zone.records.size());
    for (const auto& record : zone.records) {
        sorted.push_back(&record);
    }
    std::stable_sort(sorted.begin(), sorted.end(), [](const Record* left, const Record* right) {
        return canonical_less(*left, *right);
    });

    std::vector<const Record*> unique;
    for (const Record* record : sorted) {
        const bool repeated = !unique.empty() && unique.back()->same_data(*record) &&
                              unique.back()->ttl == record->ttl;
        if (!repeated) {
            unique.push_back(record);
        }
    }
    return unique;
}

// True when records contains one with the same data and TTL as record, starting the search at the
// first record with record's sort key.
bool contains(const std::vector<const Record*>& records, const Record& record)
{
    auto it = std::lower_bound(
        records.begin(), records.end(), &record,
        [](const Record* left, const Record* right) { return canonical_less(*left, *right); });
    for (; it != records.end() && same_key(**it, record); ++it) {
        if ((*it)->same_data(record) && (*it)->ttl == record.ttl) {
            return true;
        }
    }
    return false;
}

// " (serial N)" after a header label, or nothing when that side has no serial.
std::string serial_text(const std::optional<std::uint32_t>& serial)
{
    return serial ? fmt::format(" (serial {})", *serial) : std::string();
}

std::string record_json(const Record& record)
{
    return fmt::format(R"({{"owner": {}, "ttl": {}, "class": {}, "type": {}, "rdata": {}}})",
                       json_quote(record.owner.to_string()), record.ttl,
                       json_quote(class_to_string(record.rclass)),
                       json_quote(type_to_string(record.type)),
                       json_quote(rdata_to_string(record.type, record.rdata)));
}

std::string serial_json(const std::optional<std::uint32_t>& serial)
{
    return serial ? std::to_string(*serial) : std::string("null");
}

} // namespace

ZoneDiff diff_zones(const Zone& before, const Zone& after)
{
    ZoneDiff diff{.origin = after.origin,
                  .before_serial = before.serial(),
                  .after_serial = after.serial(),
                  .lines = {}};
    const auto old_records = sorted_unique(before);
    const auto new_records = sorted_unique(after);

    for (const Record* record : old_records) {
        if (!contains(new_records, *record)) {
            diff.lines.push_back({DiffLine::Kind::removed, *record});
        }
    }
    for (const Record* record : new_records) {
        if (!contains(old_records, *record)) {
            diff.lines.push_back({DiffLine::Kind::added, *record});
        }
    }

    std::stable_sort(
        diff.lines.begin(), diff.lines.end(), [](const DiffLine& left, const DiffLine& right) {
            if (canonical_less(left.record, right.record)) {
                return true;
            }
            if (canonical_less(right.record, left.record)) {
                return false;
            }
            return left.kind == DiffLine::Kind::removed && right.kind == DiffLine::Kind::added;
        });
    return diff;
}

std::string format_diff_text(const ZoneDiff& diff, std::string_view before_label,
                             std::string_view after_label)
{
    if (diff.empty()) {
        return {};
    }
    std::string text =
        fmt::format("--- {}{}\n+++ {}{}\n", before_label, serial_text(diff.before_serial),
                    after_label, serial_text(diff.after_serial));
    for (const auto& line : diff.lines) {
        text += line.kind == DiffLine::Kind::removed ? '-' : '+';
        text += record_to_string(line.record);
        text += '\n';
    }
    return text;
}

std::string format_diff_json(const ZoneDiff& diff, std::string_view before_label,
                             std::string_view after_label)
{
    std::string removed;
    std::string added;
    for (const auto& line : diff.lines) {
        std::string& list = line.kind == DiffLine::Kind::removed ? removed : added;
        if (!list.empty()) {
            list += ", ";
        }
        list += record_json(line.record);
    }
    return fmt::format(
        R"({{"zone": {}, "before": {}, "after": {}, "before_serial": {}, "after_serial": {}, )"
        R"("removed": [{}], "added": [{}]}})",
        json_quote(diff.origin.to_string()), json_quote(before_label), json_quote(after_label),
        serial_json(diff.before_serial), serial_json(diff.after_serial), removed, added);
}

std::string json_quote(std::string_view text)
{
    std::string quoted = "\"";
    for (const char c : text) {
        const auto octet = static_cast<unsigned char>(c);
        switch (c) {
        case '"':
            quoted += "\\\"";
            break;
        case '\\':
            quoted += "\\\\";
            break;
        case '\n':
            quoted += "\\n";
            break;
        case '\r':
            quoted += "\\r";
            break;
        case '\t':
            quoted += "\\t";
            break;
        default:
            if (octet < 0x20 || octet == 0x7f) {
                quoted += fmt::format("\\u{:04x}", octet);
            } else {
                quoted += c;
            }
        }
    }
    quoted += '"';
    return quoted;
}

} // namespace robur::zone
