#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/tokenizer.hpp"

// SVCB and HTTPS rdata (RFC 9460). ldns 1.8.3 parses these types but accepts rdata that
// RFC 9460 forbids (duplicate keys, a port above 65535 wrapped around, mandatory keys that are
// missing), so robur converts them itself.
namespace robur::zone::svcb {

// Converts "SvcPriority TargetName SvcParams..." to wire rdata, with the SvcParams sorted by
// key. Fails on unknown key names, malformed values, duplicate keys, and on records that are
// not self-consistent (RFC 9460 section 8): mandatory keys missing, no-default-alpn without alpn.
Result<std::vector<std::uint8_t>> from_text(std::span<const Token> tokens, const Name& origin);

// Returns the presentation format of wire rdata. Returns nullopt when the rdata breaks the
// wire rules (keys not strictly increasing, a value of the wrong size), so that the caller
// can fall back to RFC 3597 form.
std::optional<std::string> to_text(std::span<const std::uint8_t> rdata);

} // namespace robur::zone::svcb
