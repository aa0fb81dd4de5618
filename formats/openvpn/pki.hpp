#pragma once

// Certificate authority operations for OpenVPN: keys, the CA, server and client certificates,
// CRLs and certificate inspection. Keys, certificates and CRLs cross this interface as PEM text
// (private keys as unencrypted PKCS#8, as `easyrsa build-client-full NAME nopass` writes them).
// Pure: no files, no logging.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace robur::openvpn {

enum class KeyAlgorithm { ecdsa_p256, ed25519, rsa3072 };

// Parses "ecdsa", "ed25519" or "rsa". Errors: invalid_argument naming the value.
[[nodiscard]] Result<KeyAlgorithm> parse_key_algorithm(std::string_view text);
[[nodiscard]] std::string_view to_string(KeyAlgorithm algorithm);

// Default validity periods in days. Certificates use 825 days, the longest lifetime that
// Apple platforms accept for TLS server certificates and easy-rsa 3.1's default.
inline constexpr int default_ca_days = 3650;
inline constexpr int default_certificate_days = 825;
inline constexpr int default_crl_days = 180;

enum class CertificateRole { server, client };

// A CA certificate with its private key, both PEM.
struct Issuer {
    std::string certificate_pem;
    std::string private_key_pem;
};

// The contents of a new leaf certificate. Times are Unix seconds.
struct CertificateProfile {
    std::string common_name;
    CertificateRole role = CertificateRole::client;
    std::int64_t not_before = 0;
    std::int64_t not_after = 0;
    // subjectAltName entries: IP addresses become iPAddress, anything else dNSName.
    std::vector<std::string> alt_names;
};

// Generates a private key. Errors: internal when OpenSSL fails.
[[nodiscard]] Result<std::string> generate_private_key(KeyAlgorithm algorithm);

// Creates a self-signed CA certificate: basicConstraints CA:TRUE critical, keyUsage
// keyCertSign and cRLSign critical, subject and authority key identifiers, a random 128-bit
// serial. Errors: invalid_argument for an unreadable key or empty name.
[[nodiscard]] Result<std::string> create_ca_certificate(std::string_view private_key_pem,
                                                        std::string_view common_name,
                                                        std::int64_t not_before,
                                                        std::int64_t not_after);

// Issues a server certificate (keyUsage digitalSignature plus keyEncipherment for RSA or
// keyAgreement for EC keys, extendedKeyUsage serverAuth) or a client certificate (the same
// keyUsage, extendedKeyUsage clientAuth) for `subject_key_pem`'s public key.
[[nodiscard]] Result<std::string> issue_certificate(const Issuer& issuer,
                                                    std::string_view subject_key_pem,
                                                    const CertificateProfile& profile);

// Creates a PKCS#10 request for `common_name`, as easy-rsa keeps under reqs/.
[[nodiscard]] Result<std::string> create_certificate_request(std::string_view private_key_pem,
                                                             std::string_view common_name);

// One entry of a CRL. `serial` is upper-case hexadecimal.
struct RevokedCertificate {
    std::string serial;
    std::int64_t revoked_at = 0;
};

// Issues a CRL v2 with a cRLNumber extension and an authority key identifier, valid from
// `this_update` to `next_update` (Unix seconds).
[[nodiscard]] Result<std::string> issue_crl(const Issuer& issuer,
                                            const std::vector<RevokedCertificate>& revoked,
                                            std::uint64_t crl_number, std::int64_t this_update,
                                            std::int64_t next_update);

// The fields robur reads from a certificate.
struct CertificateInfo {
    std::string subject;     // one-line form, "/CN=client1" as index.txt writes it
    std::string common_name; // empty when the subject has none
    std::string issuer;
    std::string serial; // upper-case hexadecimal
    std::int64_t not_before = 0;
    std::int64_t not_after = 0;
    bool is_ca = false;
    bool self_signed = false;
    std::optional<std::uint32_t> key_usage;          // X509v3 KU_* bits when present
    std::optional<std::uint32_t> extended_key_usage; // XKU_* bits when present
    std::string key_type; // "EC", "ED25519", "RSA", ...
    int key_bits = 0;
};

// Reads the first certificate of a PEM text. Errors: parse_error.
[[nodiscard]] Result<CertificateInfo> read_certificate_info(std::string_view pem);

// Reads every certificate of a PEM text, in order (a `ca` file may hold a bundle).
[[nodiscard]] Result<std::vector<CertificateInfo>> read_certificate_bundle(std::string_view pem);

struct CrlInfo {
    std::string issuer;
    std::int64_t this_update = 0;
    std::optional<std::int64_t> next_update;
    std::optional<std::uint64_t> crl_number;
    std::vector<RevokedCertificate> revoked;
};

// Reads a PEM CRL. Errors: parse_error.
[[nodiscard]] Result<CrlInfo> read_crl_info(std::string_view pem);

// Returns true when the private key's public half is the certificate's public key.
// Errors: parse_error when either text is unreadable.
[[nodiscard]] Result<bool> key_matches_certificate(std::string_view certificate_pem,
                                                   std::string_view private_key_pem);

// Verifies `certificate_pem` against the CA bundle `ca_pem` at time `at` (Unix seconds),
// checking signatures and validity periods of the chain, not purposes. Errors:
// validation_failed with OpenSSL's reason ("certificate has expired", ...).
[[nodiscard]] Result<void> verify_certificate(std::string_view ca_pem,
                                              std::string_view certificate_pem, std::int64_t at);

// Returns true when the CRL is signed by the first certificate of `ca_pem`.
[[nodiscard]] Result<bool> crl_signed_by(std::string_view crl_pem, std::string_view ca_pem);

// Returns a random 128-bit serial as upper-case hexadecimal with the top bit clear, so the
// DER integer stays positive at 16 octets.
[[nodiscard]] Result<std::string> random_serial();

} // namespace robur::openvpn
