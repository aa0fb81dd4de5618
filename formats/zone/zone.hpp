#pragma once

#include <string>
#include <vector>

#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"

namespace robur::zone {

// The records of one zone as read from its master file and the files it includes.
struct Zone {
    Name origin;
    std::vector<Record> records;    // in the order the files list them
    std::vector<std::string> files; // the master file first, then every $INCLUDEd file

    // The serial of the first SOA at the apex, when there is one.
    [[nodiscard]] std::optional<std::uint32_t> serial() const;
};

} // namespace robur::zone
