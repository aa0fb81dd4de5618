#include "servers/caldav/password.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace robur::caldav {

namespace {

constexpr std::size_t salt_size = 16;
constexpr std::size_t hash_size = 32;

// Bounds for parameters read from a stored hash, so that an edited users/ file cannot make one
// login cost minutes or gigabytes.
constexpr std::uint32_t min_pbkdf2_iterations = 1000;
constexpr std::uint32_t max_pbkdf2_iterations = 10000000;
constexpr std::uint32_t max_scrypt_log2_n = 22;
constexpr std::uint32_t max_scrypt_r = 32;
constexpr std::uint32_t max_scrypt_p = 16;
constexpr std::uint64_t max_scrypt_memory = 1024ULL * 1024 * 1024;

using Bytes = std::vector<unsigned char>;

std::string base64_encode(const Bytes& bytes)
{
    std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int length =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), bytes.data(),
                        static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(length));
    while (!text.empty() && text.back() == '=') {
        text.pop_back();
    }
    return text;
}

std::optional<Bytes> base64_decode(std::string_view text)
{
    std::string padded(text);
    while (padded.size() % 4 != 0) {
        padded.push_back('=');
    }
    Bytes bytes(padded.size() / 4 * 3 + 1);
    const int length = EVP_DecodeBlock(bytes.data(),
                                       reinterpret_cast<const unsigned char*>(padded.data()),
                                       static_cast<int>(padded.size()));
    if (length < 0) {
        return std::nullopt;
    }
    const std::size_t padding = padded.size() - text.size();
    bytes.resize(static_cast<std::size_t>(length) - padding);
    return bytes;
}

struct ParsedHash {
    PasswordScheme scheme = PasswordScheme::pbkdf2_sha256;
    PasswordCost cost;
    Bytes salt;
    Bytes hash;
};

Result<Bytes> derive(std::string_view password, PasswordScheme scheme, const PasswordCost& cost,
                     const Bytes& salt)
{
    Bytes output(hash_size);
    int status = 0;
    if (scheme == PasswordScheme::pbkdf2_sha256) {
        status = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                   salt.data(), static_cast<int>(salt.size()),
                                   static_cast<int>(cost.pbkdf2_iterations), EVP_sha256(),
                                   static_cast<int>(output.size()), output.data());
    } else {
        const std::uint64_t n = std::uint64_t{1} << cost.scrypt_log2_n;
        status = EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n,
                                cost.scrypt_r, cost.scrypt_p, max_scrypt_memory, output.data(),
                                output.size());
    }
    if (status != 1) {
        return make_error(Errc::internal, "OpenSSL failed to derive the password hash");
    }
    return output;
}

std::optional<std::uint32_t> parse_number(std::string_view text)
{
    std::uint32_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc{} || stop != end || text.empty()) {
        return std::nullopt;
    }
    return value;
}

// Reads "key=value,key=value" parameters; returns false on a malformed or unknown key.
bool parse_scrypt_parameters(std::string_view text, PasswordCost& cost)
{
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        const auto equals = item.find('=');
        if (equals == std::string_view::npos) {
            return false;
        }
        const auto value = parse_number(item.substr(equals + 1));
        const auto key = item.substr(0, equals);
        if (!value) {
            return false;
        }
        if (key == "ln") {
            cost.scrypt_log2_n = *value;
        } else if (key == "r") {
            cost.scrypt_r = *value;
        } else if (key == "p") {
            cost.scrypt_p = *value;
        } else {
            return false;
        }
    }
    return true;
}

bool parameters_in_bounds(const ParsedHash& parsed)
{
    if (parsed.scheme == PasswordScheme::pbkdf2_sha256) {
        return parsed.cost.pbkdf2_iterations >= min_pbkdf2_iterations &&
               parsed.cost.pbkdf2_iterations <= max_pbkdf2_iterations;
    }
    return parsed.cost.scrypt_log2_n >= 1 && parsed.cost.scrypt_log2_n <= max_scrypt_log2_n &&
           parsed.cost.scrypt_r >= 1 && parsed.cost.scrypt_r <= max_scrypt_r &&
           parsed.cost.scrypt_p >= 1 && parsed.cost.scrypt_p <= max_scrypt_p;
}

Result<ParsedHash> parse_stored(std::string_view stored)
{
    // Fields: "", scheme, parameters, salt, hash.
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const auto dollar = stored.find('$', start);
        fields.push_back(stored.substr(start, dollar - start));
        if (dollar == std::string_view::npos) {
            break;
        }
        start = dollar + 1;
    }
    auto malformed = [] {
        return make_error(Errc::invalid_argument,
                          "password hash is malformed: expected $pbkdf2-sha256$i=N$SALT$HASH or "
                          "$scrypt$ln=N,r=N,p=N$SALT$HASH");
    };
    if (fields.size() != 5 || !fields[0].empty()) {
        return malformed();
    }

    ParsedHash parsed;
    if (fields[1] == "pbkdf2-sha256" && fields[2].starts_with("i=")) {
        const auto iterations = parse_number(fields[2].substr(2));
        if (!iterations) {
            return malformed();
        }
        parsed.cost.pbkdf2_iterations = *iterations;
    } else if (fields[1] == "scrypt") {
        parsed.scheme = PasswordScheme::scrypt;
        if (!parse_scrypt_parameters(fields[2], parsed.cost)) {
            return malformed();
        }
    } else {
        return malformed();
    }
    auto salt = base64_decode(fields[3]);
    auto hash = base64_decode(fields[4]);
    if (!salt || !hash || salt->empty() || hash->size() != hash_size) {
        return malformed();
    }
    if (!parameters_in_bounds(parsed)) {
        return make_error(Errc::invalid_argument,
                          fmt::format("password hash parameters '{}' are outside the accepted "
                                      "bounds",
                                      fields[2]));
    }
    parsed.salt = std::move(*salt);
    parsed.hash = std::move(*hash);
    return parsed;
}

} // namespace

Result<std::string> hash_password(std::string_view password, PasswordScheme scheme,
                                  const PasswordCost& cost)
{
    Bytes salt(salt_size);
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
        return make_error(Errc::internal, "OpenSSL RAND_bytes failed to produce a salt");
    }
    auto hash = derive(password, scheme, cost, salt);
    if (!hash) {
        return tl::unexpected(hash.error());
    }
    if (scheme == PasswordScheme::pbkdf2_sha256) {
        return fmt::format("$pbkdf2-sha256$i={}${}${}", cost.pbkdf2_iterations,
                           base64_encode(salt), base64_encode(*hash));
    }
    return fmt::format("$scrypt$ln={},r={},p={}${}${}", cost.scrypt_log2_n, cost.scrypt_r,
                       cost.scrypt_p, base64_encode(salt), base64_encode(*hash));
}

Result<bool> verify_password(std::string_view password, std::string_view stored)
{
    auto parsed = parse_stored(stored);
    if (!parsed) {
        return tl::unexpected(parsed.error());
    }
    auto hash = derive(password, parsed->scheme, parsed->cost, parsed->salt);
    if (!hash) {
        return tl::unexpected(hash.error());
    }
    return CRYPTO_memcmp(hash->data(), parsed->hash.data(), hash_size) == 0;
}

} // namespace robur::caldav
