#include "formats/dnssec/openssl_util.hpp"

#include <array>

#include <fmt/format.h>
#include <openssl/err.h>

namespace robur::dnssec::detail {

std::shared_ptr<EVP_PKEY> share_key(EVP_PKEY* key)
{
    return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

tl::unexpected<Error> openssl_error(std::string_view what)
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return make_error(Errc::internal, fmt::format("{} failed", what));
    }
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    return make_error(Errc::internal, fmt::format("{} failed: {}", what, text.data()));
}

Bignum get_bignum(const EVP_PKEY* key, const char* name)
{
    BIGNUM* bignum = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bignum) != 1) {
        ERR_clear_error();
        return nullptr;
    }
    return Bignum(bignum);
}

std::vector<std::uint8_t> bignum_bytes(const BIGNUM* bignum, std::size_t width)
{
    const auto natural = static_cast<std::size_t>(BN_num_bytes(bignum));
    std::vector<std::uint8_t> bytes(width == 0 ? natural : width);
    if (width == 0) {
        BN_bn2bin(bignum, bytes.data());
    } else {
        BN_bn2binpad(bignum, bytes.data(), static_cast<int>(width));
    }
    return bytes;
}

Bignum bignum_from_bytes(std::span<const std::uint8_t> bytes)
{
    return Bignum(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
}

Result<std::shared_ptr<EVP_PKEY>> key_from_params(const char* type, OSSL_PARAM_BLD* builder,
                                                  int selection)
{
    const Params params(OSSL_PARAM_BLD_to_param(builder));
    if (!params) {
        return openssl_error("building key parameters");
    }

    const PkeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    if (!context || EVP_PKEY_fromdata_init(context.get()) != 1) {
        return openssl_error("creating a key context");
    }

    EVP_PKEY* key = nullptr;
    if (EVP_PKEY_fromdata(context.get(), &key, selection, params.get()) != 1) {
        return openssl_error(fmt::format("importing a {} key", type));
    }
    return share_key(key);
}

} // namespace robur::dnssec::detail
