#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/diagnostic.hpp"
#include "formats/zone/zone.hpp"

namespace robur::zone {

struct ValidateOptions {
    // Serial of the version this zone replaces; when set, the new serial must be greater by
    // RFC 1982 arithmetic. Unset for a new zone.
    std::optional<std::uint32_t> previous_serial;

    // Source of the previous version ("HEAD", a commit id), named in the message.
    std::string previous_source;
};

// Checks a parsed zone the way named-checkzone and kzonecheck do. The checks cover the SOA and
// NS records at the apex, out-of-zone data, the CNAME and DNAME rules, glue and occluded data
// at delegations, NS and MX targets that are aliases, RRset TTLs, duplicate records, name
// lengths, the TTL range, record classes and, with a previous serial, the serial increase.
// Returns every finding in file order, each located at the record at fault. Zone-wide findings
// such as a missing SOA carry the master file's path without a line.
[[nodiscard]] std::vector<Diagnostic> validate_zone(const Zone& zone,
                                                    const ValidateOptions& options = {});

} // namespace robur::zone
