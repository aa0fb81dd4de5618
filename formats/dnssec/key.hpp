#pragma once

// DNSSEC key pairs: generation, the DNSKEY public key encodings, key tags, and signing and
// verifying raw data with the algorithms robur signs with.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <openssl/types.h>

#include "core/error.hpp"
#include "formats/dnssec/algorithm.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {

// DNSKEY flags bits (RFC 4034 section 2.1.1, RFC 5011 section 3).
namespace dnskey_flags {
inline constexpr std::uint16_t zone_key = 0x0100;
inline constexpr std::uint16_t revoke = 0x0080;
inline constexpr std::uint16_t secure_entry_point = 0x0001;
inline constexpr std::uint16_t zsk = zone_key;
inline constexpr std::uint16_t ksk = zone_key | secure_entry_point;
} // namespace dnskey_flags

// The DNSKEY protocol field, always 3 (RFC 4034 section 2.1.2).
inline constexpr std::uint8_t dnskey_protocol = 3;

// A DNSSEC key of a zone with its private part.
struct KeyPair {
    zone::Name owner;
    std::uint16_t flags = dnskey_flags::zsk; // 256 ZSK; 257 KSK or CSK (SEP bit set)
    Algorithm algorithm = Algorithm::ecdsap256sha256;
    std::shared_ptr<EVP_PKEY> key; // private and public key (OpenSSL 3)

    // The DNSKEY public key field: RFC 3110 for RSA, x || y (64 octets) for ECDSA P-256
    // (RFC 6605), the 32-octet public key for Ed25519 (RFC 8080).
    [[nodiscard]] std::vector<std::uint8_t> public_key() const;

    // The DNSKEY RDATA: flags, protocol 3, algorithm, public key.
    [[nodiscard]] std::vector<std::uint8_t> dnskey_rdata() const;

    // The key tag of the DNSKEY RDATA (RFC 4034 appendix B).
    [[nodiscard]] std::uint16_t key_tag() const;

    // The DNSKEY record at the owner name, class IN.
    [[nodiscard]] zone::Record dnskey_record(std::uint32_t ttl) const;
};

// Generates a key: RSA with 2048 bits and e = 65537, ECDSA on P-256, or Ed25519. Errors:
// invalid_argument when flags lack the zone key bit; internal when OpenSSL fails.
Result<KeyPair> generate_key(const zone::Name& owner, Algorithm algorithm, std::uint16_t flags);

// Computes the signature field of an RRSIG over data: RSASSA-PKCS1-v1_5 with SHA-256
// (RFC 5702), ECDSA P-256 with SHA-256 as r || s in 64 octets (RFC 6605), or Ed25519
// (RFC 8080). Errors: internal when OpenSSL fails or the key does not fit the algorithm.
Result<std::vector<std::uint8_t>> sign_data(const KeyPair& key, std::span<const std::uint8_t> data);

// Verifies a signature with the public key of a DNSKEY RDATA. Returns false for a wrong
// signature, a malformed RDATA and algorithms other than the three above.
bool verify_data(std::span<const std::uint8_t> dnskey_rdata, std::span<const std::uint8_t> data,
                 std::span<const std::uint8_t> signature);

// Computes the key tag of any DNSKEY RDATA (RFC 4034 appendix B, including the algorithm 1
// rule). Returns 0 for RDATA shorter than the 4-octet header.
[[nodiscard]] std::uint16_t key_tag(std::span<const std::uint8_t> dnskey_rdata);

// Builds the OpenSSL public key for a DNSKEY public key field of the algorithm. Errors:
// invalid_argument when the field is malformed for the algorithm.
Result<std::shared_ptr<EVP_PKEY>> public_key_from_dnskey(Algorithm algorithm,
                                                         std::span<const std::uint8_t> public_key);

// Checks that the private key of key_pair belongs to the given DNSKEY public key field by
// signing a test message and verifying it. Errors: invalid_argument when they differ.
Result<void> check_key_matches(const KeyPair& key_pair, std::span<const std::uint8_t> public_key);

} // namespace robur::dnssec
