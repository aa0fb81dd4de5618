#pragma once

#include <cstdint>
#include <span>

#include "formats/dnssec/nsec3.hpp"

namespace robur::dns {

// Computes NSEC3 hashes (RFC 5155 section 5) on the query path without allocating: OpenSSL's
// SHA-1 context lives on the stack. Stateless, so one per Responder or one per call alike.
class Nsec3Hasher {
public:
    // Hashes name (lower-cased, uncompressed wire form) with salt, repeating the hash
    // iterations more times, into out. Returns false when OpenSSL fails.
    bool hash(std::span<const std::uint8_t> name, std::span<const std::uint8_t> salt,
              std::uint16_t iterations, dnssec::Nsec3Hash& out);
};

} // namespace robur::dns
