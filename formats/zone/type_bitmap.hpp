#pragma once
// The windowed type bitmap of NSEC, NSEC3 and CSYNC records (RFC 4034 section 4.1.2).

#include <cstdint>
#include <span>
#include <vector>

namespace robur::zone {

// Appends the bitmap of types, which must be in strictly ascending order: only windows with a
// type, each with as many octets as its highest type needs.
void append_type_bitmap(std::vector<std::uint8_t>& out, std::span<const std::uint16_t> types);

} // namespace robur::zone
