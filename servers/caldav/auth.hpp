#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace robur::caldav {

// User name and password from an Authorization header.
struct BasicCredentials {
    std::string user;
    std::string password;
};

// Decodes "Basic <base64(user:password)>" (RFC 7617). Returns nullopt for another scheme or
// malformed base64, and for a user part without the ':' separator.
[[nodiscard]] std::optional<BasicCredentials> parse_basic_authorization(std::string_view header);

// Remembers credentials that passed a password hash check for a short time, so that a client
// sending Basic credentials with every request costs one PBKDF2 or scrypt run per lifetime
// instead of one per request. Entries are keyed by an HMAC-SHA256, under a random key made
// per process, of the user, the password and the stored hash, so the cache contains no password
// and a changed password hash misses. Thread-safe.
class CredentialCache {
public:
    explicit CredentialCache(std::chrono::seconds lifetime = std::chrono::seconds(300),
                             std::size_t max_entries = 10000);

    // Returns true when these credentials were verified against this stored hash within the
    // lifetime.
    [[nodiscard]] bool contains(std::string_view user, std::string_view password,
                                std::string_view stored_hash);

    // Records a successful verification.
    void insert(std::string_view user, std::string_view password, std::string_view stored_hash);

private:
    using Key = std::array<std::uint8_t, 32>;
    struct KeyHash {
        std::size_t operator()(const Key& key) const noexcept;
    };

    [[nodiscard]] Key key_for(std::string_view user, std::string_view password,
                              std::string_view stored_hash) const;

    std::chrono::seconds lifetime_;
    std::size_t max_entries_;
    std::array<std::uint8_t, 32> secret_{};
    std::mutex mutex_;
    std::unordered_map<Key, std::chrono::steady_clock::time_point, KeyHash> entries_;
};

} // namespace robur::caldav
