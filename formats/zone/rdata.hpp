#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/tokenizer.hpp"

// Conversion of rdata between presentation format and uncompressed wire format.
namespace robur::zone {

// Converts the rdata fields of a record of the given type to wire format. Relative names
// are completed with origin. RFC 3597 "\# length hex" is accepted for every type. The error
// message names the faulty value and the type, without a location.
Result<std::vector<std::uint8_t>> rdata_from_text(std::uint16_t type, std::span<const Token> tokens,
                                                  const Name& origin);

// Returns the presentation format in the type's own syntax. Returns nullopt when robur has
// no syntax for the type or the rdata does not fit it, so the caller uses RFC 3597 form.
std::optional<std::string> rdata_to_native_text(std::uint16_t type,
                                                std::span<const std::uint8_t> rdata);

// True when ldns or robur has a presentation format of its own for the type.
bool has_native_format(std::uint16_t type);

} // namespace robur::zone
