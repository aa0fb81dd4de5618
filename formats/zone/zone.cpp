#include "formats/zone/zone.hpp"

namespace robur::zone {

std::optional<std::uint32_t> Zone::serial() const
{
    for (const auto& record : records) {
        if (record.type != rrtype::soa || !(record.owner == origin) || record.rdata.size() < 20) {
            continue;
        }
        // The serial is the first of the five 32-bit fields after MNAME and RNAME.
        const auto* field = record.rdata.data() + record.rdata.size() - 20;
        return (std::uint32_t{field[0]} << 24) | (std::uint32_t{field[1]} << 16) |
               (std::uint32_t{field[2]} << 8) | std::uint32_t{field[3]};
    }
    return std::nullopt;
}

} // namespace robur::zone
