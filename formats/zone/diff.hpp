#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/zone/zone.hpp"

namespace robur::zone {

// One line of a record-level difference.
struct DiffLine {
    enum class Kind { removed, added };

    Kind kind = Kind::removed;
    Record record;
};

// The record-level difference between two versions of one zone. Records compare with
// Record::same_data, so a changed TTL shows as the old record removed and the new one added.
struct ZoneDiff {
    Name origin;
    std::optional<std::uint32_t> before_serial; // nullopt when the zone is new or has no SOA
    std::optional<std::uint32_t> after_serial;  // nullopt when the zone was removed
    // Sorted by owner name in canonical order (RFC 4034 section 6.1), then type, class and
    // rdata; a removed record comes before an added one with the same sort key.
    std::vector<DiffLine> lines;

    [[nodiscard]] bool empty() const { return lines.empty(); }
};

// Compares two versions of a zone. Pass a Zone with only the origin set for a zone that does
// not exist on one side. Records that appear several times count once.
[[nodiscard]] ZoneDiff diff_zones(const Zone& before, const Zone& after);

// Renders a difference as text: a header "--- before_label (serial N)" and "+++ after_label
// (serial M)", leaving out a serial that is unknown, then one "-owner TTL class type rdata" or
// "+..." line per record. Returns an empty string for an empty difference.
[[nodiscard]] std::string format_diff_text(const ZoneDiff& diff, std::string_view before_label,
                                           std::string_view after_label);

// Renders a difference as one JSON object: {"zone", "before", "after", "before_serial",
// "after_serial", "removed": [...], "added": [...]} where each record is {"owner", "ttl",
// "class", "type", "rdata"} in presentation format and a missing serial is null.
[[nodiscard]] std::string format_diff_json(const ZoneDiff& diff, std::string_view before_label,
                                           std::string_view after_label);

// Quotes text as a JSON string, escaping quotes, backslashes and control characters.
[[nodiscard]] std::string json_quote(std::string_view text);

} // namespace robur::zone
