// OpenSSL 3.0 allocates a provider context on every EVP_DigestInit_ex2, even when a context
// is reused with the same fetched digest (measured with CRYPTO_set_mem_functions on 3.0.22:
// one allocation per call). The low-level SHA-1 functions keep their state in a SHA_CTX on
// the stack, so the query path uses them despite their deprecation in OpenSSL 3.0.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "servers/dns/nsec3_hasher.hpp"

#include <openssl/sha.h>

namespace robur::dns {

static_assert(SHA_DIGEST_LENGTH == dnssec::Nsec3Hash{}.size());

bool Nsec3Hasher::hash(std::span<const std::uint8_t> name, std::span<const std::uint8_t> salt,
                       std::uint16_t iterations, dnssec::Nsec3Hash& out)
{
    std::span<const std::uint8_t> input = name;
    for (std::uint32_t round = 0; round <= iterations; ++round) {
        SHA_CTX context;
        const bool hashed = SHA1_Init(&context) == 1 &&
                            SHA1_Update(&context, input.data(), input.size()) == 1 &&
                            SHA1_Update(&context, salt.data(), salt.size()) == 1 &&
                            SHA1_Final(out.data(), &context) == 1;
        if (!hashed) {
            return false;
        }
        input = out;
    }
    return true;
}

} // namespace robur::dns
