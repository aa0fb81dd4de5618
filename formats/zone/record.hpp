#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"

namespace robur::zone {

// RR type and class numbers used by name in the code; any 16-bit value is a valid type.
namespace rrtype {
inline constexpr std::uint16_t a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16,
                               aaaa = 28, srv = 33, dname = 39, opt = 41, ds = 43, rrsig = 46,
                               nsec = 47, dnskey = 48, nsec3 = 50, nsec3param = 51, svcb = 64,
                               https = 65, tsig = 250, ixfr = 251, axfr = 252, any = 255;
}
namespace rrclass {
inline constexpr std::uint16_t in = 1, ch = 3, hs = 4, none = 254, any = 255;
}

// One resource record. rdata is the uncompressed wire form (RFC 3597 section 4: names inside
// rdata are never compressed here), with the case of embedded names as written.
struct Record {
    Name owner;
    std::uint16_t type = 0;
    std::uint16_t rclass = rrclass::in;
    std::uint32_t ttl = 0;
    std::vector<std::uint8_t> rdata;
    SourceLocation where; // file and line the record came from; empty when built in code

    // Same owner (ignoring case), type, class and rdata; TTL and location do not count.
    [[nodiscard]] bool same_data(const Record& other) const;
};

// Mnemonic of a type ("AAAA", "TYPE262" when unknown) and the reverse; the reverse accepts
// either form, case-insensitively.
[[nodiscard]] std::string type_to_string(std::uint16_t type);
[[nodiscard]] std::optional<std::uint16_t> type_from_string(std::string_view text);
[[nodiscard]] std::string class_to_string(std::uint16_t rclass);
[[nodiscard]] std::optional<std::uint16_t> class_from_string(std::string_view text);

// Rdata in presentation format; types without a known format use RFC 3597 "\# len hex".
[[nodiscard]] std::string rdata_to_string(std::uint16_t type, std::span<const std::uint8_t> rdata);

// "owner TTL class type rdata" with an absolute owner name.
[[nodiscard]] std::string record_to_string(const Record& record);

// Names embedded in rdata that message compression may use (RFC 3597 section 4: only the
// RFC 1035 types NS, CNAME, SOA, PTR, MX and the obsolete MB, MD, MF, MG, MINFO, MR).
// Returns the offsets of those names inside rdata; empty for every other type.
[[nodiscard]] std::vector<std::size_t>
compressible_name_offsets(std::uint16_t type, std::span<const std::uint8_t> rdata);

} // namespace robur::zone
