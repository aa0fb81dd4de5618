#include "formats/zone/writer.hpp"

#include <algorithm>

namespace robur::zone {

namespace {

bool canonical_less(const Record& left, const Record& right, const Name& apex)
{
    if (const auto order = left.owner <=> right.owner; order != 0) {
        return order < 0;
    }
    const bool left_apex_soa = left.type == rrtype::soa && left.owner == apex;
    const bool right_apex_soa = right.type == rrtype::soa && right.owner == apex;
    if (left_apex_soa != right_apex_soa) {
        return left_apex_soa;
    }
    if (left.type != right.type) {
        return left.type < right.type;
    }
    if (left.rclass != right.rclass) {
        return left.rclass < right.rclass;
    }
    return left.rdata < right.rdata;
}

} // namespace

std::vector<Record> canonical_records(const Zone& zone)
{
    std::vector<Record> records = zone.records;
    std::stable_sort(records.begin(), records.end(), [&](const Record& left, const Record& right) {
        return canonical_less(left, right, zone.origin);
    });
    const auto duplicates =
        std::unique(records.begin(), records.end(),
                    [](const Record& left, const Record& right) { return left.same_data(right); });
    records.erase(duplicates, records.end());
    return records;
}

std::string format_zone(const Zone& zone)
{
    std::string out = "$ORIGIN " + zone.origin.to_string() + "\n";
    for (const auto& record : canonical_records(zone)) {
        out += record_to_string(record);
        out += '\n';
    }
    return out;
}

} // namespace robur::zone
