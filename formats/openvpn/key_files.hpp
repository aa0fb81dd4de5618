#pragma once

// Key and certificate files that OpenVPN configs reference: static key V1 files (`secret`,
// `tls-auth`, `tls-crypt`), tls-crypt-v2 server and client keys, and PEM certificates,
// private keys, CRLs and DH parameters. Parsers report the file and line of each fault.
// Pure: no files, no logging.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"

namespace robur::openvpn {

// 2048 bits of key material: four 512-bit keys (two cipher keys, two HMAC keys), as
// `openvpn --genkey secret` writes them.
inline constexpr std::size_t static_key_bytes = 256;

struct StaticKey {
    std::array<std::uint8_t, static_key_bytes> bytes{};
};

// Parses an OpenVPN static key V1 file. Anything before the BEGIN line is a comment, as
// openvpn treats it; between the framing lines there must be 16 lines of 32 hexadecimal
// digits. Errors: parse_error with the file and line.
[[nodiscard]] Result<StaticKey> parse_static_key(std::string_view text, std::string_view path);

// Writes a static key in `openvpn --genkey secret`'s text format.
[[nodiscard]] std::string write_static_key(const StaticKey& key);

// Generates a random static key. Errors: internal when the random generator fails.
[[nodiscard]] Result<StaticKey> generate_static_key();

// One PEM block: its label ("CERTIFICATE"), decoded bytes and the lines of its framing.
struct PemBlock {
    std::string label;
    std::vector<std::uint8_t> data;
    std::uint32_t begin_line = 0;
    std::uint32_t end_line = 0;
};

// Reads every PEM block of a text, checking the framing and the base64 body line by line.
// Text outside blocks is ignored, as OpenSSL ignores it. RFC 7468 headers (legacy encrypted
// keys' "Proc-Type:" lines) are skipped. Errors: parse_error at the first faulty line.
[[nodiscard]] Result<std::vector<PemBlock>> parse_pem_blocks(std::string_view text,
                                                             std::string_view path);

// Sizes of OpenVPN's tls-crypt-v2 keys. A server key is one cipher and one HMAC key of 512
// bits. A client key is the client's 2048-bit key followed by the wrapped key (WKc) that the
// server unwraps, and the last two octets of WKc give its length.
inline constexpr std::size_t tls_crypt_v2_server_key_bytes = 128;
inline constexpr std::size_t tls_crypt_v2_client_key_bytes = 256;
inline constexpr std::size_t tls_crypt_v2_max_wrapped_key_bytes = 1024;

struct TlsCryptV2ClientKey {
    std::vector<std::uint8_t> key;         // the 256 octets of Kc
    std::vector<std::uint8_t> wrapped_key; // WKc, tag and length included
};

// Parses a "-----BEGIN OpenVPN tls-crypt-v2 server key-----" file. Errors: parse_error.
[[nodiscard]] Result<std::vector<std::uint8_t>> parse_tls_crypt_v2_server_key(
    std::string_view text, std::string_view path);

// Parses a "-----BEGIN OpenVPN tls-crypt-v2 client key-----" file. Errors: parse_error.
[[nodiscard]] Result<TlsCryptV2ClientKey> parse_tls_crypt_v2_client_key(std::string_view text,
                                                                        std::string_view path);

// The kind of key file a directive expects, for check_key_file.
enum class KeyFileKind {
    static_key,          // secret, tls-auth, tls-crypt
    tls_crypt_v2_server, // tls-crypt-v2 on a server
    tls_crypt_v2_client, // tls-crypt-v2 on a client
    tls_crypt_v2_any,    // tls-crypt-v2 when the mode is unknown
    certificates,        // ca, cert, extra-certs: one or more certificates
    private_key,         // key
    crl,                 // crl-verify
    dh_parameters,       // dh
};

// Checks that a referenced file has the expected format, returning every fault found with
// the file and line. An empty list means the file is usable by openvpn.
[[nodiscard]] std::vector<Diagnostic> check_key_file(KeyFileKind kind, std::string_view text,
                                                     std::string_view path);

} // namespace robur::openvpn
