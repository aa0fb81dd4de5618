#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"

// The sections of a DNS UPDATE message (RFC 2136 section 2), decoded from untrusted bytes.
namespace robur::dns {

// One resource record of the prerequisite or update section. The class and TTL carry the
// RFC 2136 meanings (ANY and NONE select the kind of prerequisite or deletion), so the record
// is kept as sent. Names in rdata are decompressed; their case is kept.
struct UpdateRecord {
    zone::Name owner;
    std::uint16_t type = 0;
    std::uint16_t rclass = 0;
    std::uint32_t ttl = 0;
    std::vector<std::uint8_t> rdata;
};

struct UpdateMessage {
    std::uint16_t id = 0;
    zone::Name zone;                        // ZNAME of the zone section
    std::uint16_t zone_class = 0;           // ZCLASS
    std::vector<UpdateRecord> prerequisites; // the answer section (PRCOUNT records)
    std::vector<UpdateRecord> updates;       // the authority section (UPCOUNT records)
};

// Decodes an UPDATE request: the header (opcode 5, QR clear), exactly one zone section entry
// of type SOA, then the prerequisite and update records. The additional section may hold an
// OPT record, a final TSIG record and related records such as glue (RFC 2136 section 2.6), which
// are checked for form and skipped. Errors: parse_error naming the fault; the server then
// returns FORMERR.
[[nodiscard]] Result<UpdateMessage> parse_update(std::span<const std::uint8_t> message);

} // namespace robur::dns
