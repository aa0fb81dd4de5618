#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/tokenizer.hpp"

namespace robur::zone {

// Converts LOC rdata from presentation format to wire format (RFC 1876 section 3):
// "d1 [m1 [s1]] N|S d2 [m2 [s2]] E|W alt[m] [size[m] [hp[m] [vp[m]]]]".
// Read here because ldns 1.8.3 misreads a longitude given with minutes but no seconds.
Result<std::vector<std::uint8_t>> loc_from_text(std::span<const Token> tokens);

} // namespace robur::zone
