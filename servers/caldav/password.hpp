#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace robur::caldav {

// Key derivation functions a stored password hash may use.
enum class PasswordScheme { pbkdf2_sha256, scrypt };

// Cost parameters for new hashes. The defaults follow the OWASP password storage guidance of
// 2023: PBKDF2-HMAC-SHA256 with 600,000 iterations, scrypt with N=2^17, r=8, p=1.
struct PasswordCost {
    std::uint32_t pbkdf2_iterations = 600000;
    std::uint32_t scrypt_log2_n = 17;
    std::uint32_t scrypt_r = 8;
    std::uint32_t scrypt_p = 1;
};

// Hashes a password with a fresh 16-byte random salt into a self-describing string:
//   $pbkdf2-sha256$i=600000$<salt>$<hash>
//   $scrypt$ln=17,r=8,p=1$<salt>$<hash>
// where salt and hash are base64 without padding and the hash is 32 bytes.
// Errors: internal when OpenSSL fails.
[[nodiscard]] Result<std::string> hash_password(std::string_view password, PasswordScheme scheme,
                                                const PasswordCost& cost = {});

// Returns true when `password` matches `stored`, a string hash_password wrote. The hashes are
// compared in constant time. Errors: invalid_argument for a malformed string or parameters
// outside the accepted bounds, internal when OpenSSL fails.
[[nodiscard]] Result<bool> verify_password(std::string_view password, std::string_view stored);

} // namespace robur::caldav
