#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/tokenizer.hpp"

// Rdata conversion through ldns 1.8.3 for the types whose presentation format ldns has.
namespace robur::zone::ldns_rdata {

// True when ldns has a presentation format for the type.
bool has_format(std::uint16_t type);

// Converts presentation rdata to wire format. Fields that take one token each are checked
// first, so that the error names the faulty value.
Result<std::vector<std::uint8_t>> from_text(std::uint16_t type, std::span<const Token> tokens,
                                            const Name& origin);

// Prints wire rdata with ldns; nullopt when ldns cannot read it as the type. Names are
// printed by Name::to_string(). The result is not checked to read back the same.
std::optional<std::string> to_text(std::uint16_t type, std::span<const std::uint8_t> rdata);

} // namespace robur::zone::ldns_rdata
