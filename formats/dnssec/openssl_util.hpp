#pragma once

// OpenSSL handles and helpers shared by the DNSSEC sources; not part of the library's
// interface.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "core/error.hpp"

namespace robur::dnssec::detail {

struct BignumFree {
    void operator()(BIGNUM* bignum) const { BN_clear_free(bignum); }
};
struct PkeyContextFree {
    void operator()(EVP_PKEY_CTX* context) const { EVP_PKEY_CTX_free(context); }
};
struct DigestContextFree {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
struct ParamBuildFree {
    void operator()(OSSL_PARAM_BLD* builder) const { OSSL_PARAM_BLD_free(builder); }
};
struct ParamFree {
    void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};

using Bignum = std::unique_ptr<BIGNUM, BignumFree>;
using PkeyContext = std::unique_ptr<EVP_PKEY_CTX, PkeyContextFree>;
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextFree>;
using ParamBuild = std::unique_ptr<OSSL_PARAM_BLD, ParamBuildFree>;
using Params = std::unique_ptr<OSSL_PARAM, ParamFree>;

// Wraps a key in a shared_ptr that frees it.
std::shared_ptr<EVP_PKEY> share_key(EVP_PKEY* key);

// Builds an internal error from `what` and the oldest error in OpenSSL's queue, then clears
// the queue.
tl::unexpected<Error> openssl_error(std::string_view what);

// Reads a BIGNUM parameter of a key ("n", "e", "priv", ...); null when the key lacks it.
Bignum get_bignum(const EVP_PKEY* key, const char* name);

// Big-endian bytes of a BIGNUM without leading zeros, or padded to `width` octets when
// width is not 0.
std::vector<std::uint8_t> bignum_bytes(const BIGNUM* bignum, std::size_t width = 0);

// A BIGNUM from big-endian bytes.
Bignum bignum_from_bytes(std::span<const std::uint8_t> bytes);

// Builds a key from parameters with EVP_PKEY_fromdata; selection is EVP_PKEY_PUBLIC_KEY or
// EVP_PKEY_KEYPAIR.
Result<std::shared_ptr<EVP_PKEY>> key_from_params(const char* type, OSSL_PARAM_BLD* builder,
                                                  int selection);

} // namespace robur::dnssec::detail
