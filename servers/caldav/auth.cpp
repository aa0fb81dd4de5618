#include "servers/caldav/auth.hpp"

#include <cstring>
#include <strings.h>
#include <stdexcept>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace robur::caldav {

namespace {

std::optional<std::string> decode_base64(std::string_view text)
{
    if (text.empty() || text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::vector<unsigned char> bytes(text.size() / 4 * 3 + 1);
    const int length = EVP_DecodeBlock(bytes.data(),
                                       reinterpret_cast<const unsigned char*>(text.data()),
                                       static_cast<int>(text.size()));
    if (length < 0) {
        return std::nullopt;
    }
    std::size_t size = static_cast<std::size_t>(length);
    // EVP_DecodeBlock counts the padding as zero bytes.
    for (auto it = text.rbegin(); it != text.rend() && *it == '=' && size > 0; ++it) {
        --size;
    }
    return std::string(reinterpret_cast<const char*>(bytes.data()), size);
}

} // namespace

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header)
{
    while (!header.empty() && header.front() == ' ') {
        header.remove_prefix(1);
    }
    const auto space = header.find(' ');
    if (space == std::string_view::npos) {
        return std::nullopt;
    }
    const auto scheme = header.substr(0, space);
    if (scheme.size() != 5 || strncasecmp(scheme.data(), "basic", 5) != 0) {
        return std::nullopt;
    }
    auto encoded = header.substr(space + 1);
    while (!encoded.empty() && encoded.front() == ' ') {
        encoded.remove_prefix(1);
    }
    while (!encoded.empty() && encoded.back() == ' ') {
        encoded.remove_suffix(1);
    }
    auto decoded = decode_base64(encoded);
    if (!decoded) {
        return std::nullopt;
    }
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

CredentialCache::CredentialCache(std::chrono::seconds lifetime, std::size_t max_entries)
    : lifetime_(lifetime), max_entries_(max_entries)
{
    if (RAND_bytes(secret_.data(), static_cast<int>(secret_.size())) != 1) {
        throw std::runtime_error("OpenSSL RAND_bytes failed to produce the credential cache key");
    }
}

std::size_t CredentialCache::KeyHash::operator()(const Key& key) const noexcept
{
    std::size_t value = 0;
    std::memcpy(&value, key.data(), sizeof(value));
    return value;
}

CredentialCache::Key CredentialCache::key_for(std::string_view user, std::string_view password,
                                              std::string_view stored_hash) const
{
    // The NUL separators keep ("ab", "c") and ("a", "bc") apart; none of the parts contains NUL
    // because a user name cannot and the hash is text.
    std::string message;
    message.reserve(user.size() + password.size() + stored_hash.size() + 2);
    message.append(user).push_back('\0');
    message.append(stored_hash).push_back('\0');
    message.append(password);
    Key key{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), key.data(),
         &length);
    OPENSSL_cleanse(message.data(), message.size());
    return key;
}

bool CredentialCache::contains(std::string_view user, std::string_view password,
                               std::string_view stored_hash)
{
    const auto key = key_for(user, password, stored_hash);
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key);
    if (found == entries_.end()) {
        return false;
    }
    if (now - found->second > lifetime_) {
        entries_.erase(found);
        return false;
    }
    return true;
}

void CredentialCache::insert(std::string_view user, std::string_view password,
                             std::string_view stored_hash)
{
    const auto key = key_for(user, password, stored_hash);
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (entries_.size() >= max_entries_) {
        std::erase_if(entries_, [&](const auto& entry) { return now - entry.second > lifetime_; });
        if (entries_.size() >= max_entries_) {
            entries_.clear();
        }
    }
    entries_[key] = now;
}

} // namespace robur::caldav
