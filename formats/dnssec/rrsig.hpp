#pragma once

// RRSIG records: building, signing and verifying the signature of one RRset (RFC 4034
// section 3, RFC 4035 sections 5.3.1 to 5.3.3).

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "core/error.hpp"
#include "formats/dnssec/canonical.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {

// The RRSIG RDATA fields before the signature (RFC 4034 section 3.1). Times are seconds since
// 1970-01-01 UTC modulo 2^32, compared with RFC 1982 serial arithmetic.
struct RrsigFields {
    std::uint16_t type_covered = 0;
    std::uint8_t algorithm = 0;
    std::uint8_t labels = 0;
    std::uint32_t original_ttl = 0;
    std::uint32_t expiration = 0;
    std::uint32_t inception = 0;
    std::uint16_t key_tag = 0;
    zone::Name signer;
};

struct Rrsig {
    RrsigFields fields;
    std::vector<std::uint8_t> signature;
};

// Parses RRSIG rdata. Errors: parse_error when it is truncated or the signer name is
// malformed.
Result<Rrsig> parse_rrsig(std::span<const std::uint8_t> rdata);

// Encodes RRSIG rdata; the signer name is written lower-cased, its canonical form.
[[nodiscard]] std::vector<std::uint8_t> rrsig_rdata(const RrsigFields& fields,
                                                    std::span<const std::uint8_t> signature);

// The labels field for an owner name: its label count without the root and without a
// leftmost "*" (RFC 4034 section 3.1.3).
[[nodiscard]] std::uint8_t rrsig_labels(const zone::Name& owner);

// Converts a time to the 32-bit RRSIG time field.
[[nodiscard]] std::uint32_t rrsig_time(std::chrono::sys_seconds time);

// True when a is before b in RFC 1982 serial arithmetic on 32 bits.
[[nodiscard]] bool serial_before(std::uint32_t a, std::uint32_t b);

// Appends the data an RRSIG signs (RFC 4034 section 3.1.8.1): the RRSIG RDATA without the
// signature, then every RR of the RRset in canonical form with the original TTL. When the
// labels field is lower than the owner's label count, the owner is the wildcard it was
// expanded from (RFC 4035 section 5.3.2).
void append_signed_data(std::vector<std::uint8_t>& out, const RrsigFields& fields,
                        const RRset& rrset);

// The signing state of one key for one thread. Its contexts are set up once, so each
// signature skips the algorithm fetch and key setup that sign_data repeats per call. Ed25519
// signs through libsodium: on one Xeon core, libsodium 1.0.18 made 72,000 signatures a second
// and `openssl speed ed25519` (OpenSSL 3.0) 32,000. RFC 8032 signatures are deterministic, so
// the bytes equal sign_data's. Each thread needs its own context, and the key must outlive it.
class SigningContext {
public:
    // Prepares the contexts for key. Errors: internal when OpenSSL rejects the key.
    static Result<SigningContext> create(const KeyPair& key);

    // Computes the RRSIG signature field over data, as sign_data does. Errors: internal when
    // OpenSSL fails.
    Result<std::vector<std::uint8_t>> sign(std::span<const std::uint8_t> data);

    [[nodiscard]] const KeyPair& key() const { return *key_; }
    [[nodiscard]] std::uint16_t key_tag() const { return key_tag_; }

private:
    struct PkeyContextFree {
        void operator()(EVP_PKEY_CTX* context) const;
    };
    struct DigestContextFree {
        void operator()(EVP_MD_CTX* context) const;
    };
    // libsodium's Ed25519 secret key: the RFC 8032 seed followed by the public key.
    struct SodiumSecretKey;
    struct SodiumSecretKeyFree {
        void operator()(SodiumSecretKey* key) const;
    };
    using SodiumSecretKeyPtr = std::unique_ptr<SodiumSecretKey, SodiumSecretKeyFree>;

    // Derives libsodium's secret key from the private key's seed and checks that its public
    // key equals OpenSSL's. Errors: internal when libsodium cannot start or the keys differ.
    static Result<SodiumSecretKeyPtr> sodium_secret_key(const EVP_PKEY& key);

    const KeyPair* key_ = nullptr;
    std::uint16_t key_tag_ = 0;
    // RSA and ECDSA sign a SHA-256 digest through sign_context_; Ed25519 signs the data itself
    // with sodium_key_ (RFC 8032 hashes internally).
    std::unique_ptr<EVP_PKEY_CTX, PkeyContextFree> sign_context_;
    std::unique_ptr<EVP_MD_CTX, DigestContextFree> digest_context_;
    SodiumSecretKeyPtr sodium_key_;
};

// Signs an RRset: the RRSIG record has the RRset's owner, class and TTL, and the signer is the
// key's owner. scratch is reused for the signed data. Errors: those of SigningContext::sign.
Result<zone::Record> sign_rrset(const RRset& rrset, SigningContext& signer, std::uint32_t inception,
                                std::uint32_t expiration, std::vector<std::uint8_t>& scratch);

enum class RrsigStatus {
    valid,
    wrong_key,     // the DNSKEY's algorithm or key tag differs from the RRSIG's
    wrong_labels,  // the labels field exceeds the owner's label count
    bad_signature, // the signature does not verify with the DNSKEY
    not_yet_valid, // now is before the inception time
    expired,       // now is after the expiration time
};

[[nodiscard]] std::string_view to_string(RrsigStatus status);

// Verifies an RRSIG over an RRset with one DNSKEY RDATA, at time now (RRSIG time field form).
// The signature is checked before the times, so that a tampered signature is reported as such
// even when it has also expired.
[[nodiscard]] RrsigStatus verify_rrsig(const Rrsig& rrsig, const RRset& rrset,
                                       std::span<const std::uint8_t> dnskey_rdata,
                                       std::uint32_t now);

} // namespace robur::dnssec
