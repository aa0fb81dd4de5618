#include "formats/dnssec/key.hpp"

#include <array>
#include <string_view>

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "formats/dnssec/openssl_util.hpp"

namespace robur::dnssec {

namespace {

using detail::Bignum;
using detail::DigestContext;
using detail::openssl_error;
using detail::PkeyContext;

// ECDSA P-256 coordinates and signature halves are 32 octets each (RFC 6605 section 4).
constexpr std::size_t p256_field_size = 32;
constexpr std::size_t ed25519_key_size = 32;
constexpr std::size_t ed25519_signature_size = 64;

const char* openssl_type(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::rsasha256:
        return "RSA";
    case Algorithm::ecdsap256sha256:
        return "EC";
    case Algorithm::ed25519:
        return "ED25519";
    }
    return "";
}

// The digest that EVP_DigestSign applies: SHA-256 for RSA and ECDSA, none for Ed25519,
// which hashes internally (RFC 8032).
const EVP_MD* digest_for(Algorithm algorithm)
{
    return algorithm == Algorithm::ed25519 ? nullptr : EVP_sha256();
}

// RFC 3110 section 2: exponent length (one octet, or zero and two octets when the exponent
// is longer than 255 octets), exponent, modulus.
std::vector<std::uint8_t> rsa_public_key(const EVP_PKEY* key)
{
    const Bignum modulus = detail::get_bignum(key, OSSL_PKEY_PARAM_RSA_N);
    const Bignum exponent = detail::get_bignum(key, OSSL_PKEY_PARAM_RSA_E);
    if (!modulus || !exponent) {
        return {};
    }
    const auto exponent_bytes = detail::bignum_bytes(exponent.get());
    const auto modulus_bytes = detail::bignum_bytes(modulus.get());

    std::vector<std::uint8_t> field;
    if (exponent_bytes.size() <= 255) {
        field.push_back(static_cast<std::uint8_t>(exponent_bytes.size()));
    } else {
        field.push_back(0);
        field.push_back(static_cast<std::uint8_t>(exponent_bytes.size() >> 8));
        field.push_back(static_cast<std::uint8_t>(exponent_bytes.size() & 0xff));
    }
    field.insert(field.end(), exponent_bytes.begin(), exponent_bytes.end());
    field.insert(field.end(), modulus_bytes.begin(), modulus_bytes.end());
    return field;
}

std::vector<std::uint8_t> ecdsa_public_key(const EVP_PKEY* key)
{
    const Bignum x = detail::get_bignum(key, OSSL_PKEY_PARAM_EC_PUB_X);
    const Bignum y = detail::get_bignum(key, OSSL_PKEY_PARAM_EC_PUB_Y);
    if (!x || !y) {
        return {};
    }
    auto field = detail::bignum_bytes(x.get(), p256_field_size);
    const auto y_bytes = detail::bignum_bytes(y.get(), p256_field_size);
    field.insert(field.end(), y_bytes.begin(), y_bytes.end());
    return field;
}

std::vector<std::uint8_t> ed25519_public_key(const EVP_PKEY* key)
{
    std::vector<std::uint8_t> field(ed25519_key_size);
    std::size_t length = field.size();
    if (EVP_PKEY_get_raw_public_key(key, field.data(), &length) != 1 || length != field.size()) {
        ERR_clear_error();
        return {};
    }
    return field;
}

Result<std::shared_ptr<EVP_PKEY>> rsa_from_dnskey(std::span<const std::uint8_t> field)
{
    std::size_t exponent_length = field.empty() ? 0 : field[0];
    std::size_t offset = 1;
    if (!field.empty() && field[0] == 0) {
        if (field.size() < 3) {
            return make_error(Errc::invalid_argument, "RSA public key too short");
        }
        exponent_length = static_cast<std::size_t>(field[1]) << 8 | field[2];
        offset = 3;
    }
    if (exponent_length == 0 || field.size() <= offset + exponent_length) {
        return make_error(Errc::invalid_argument, "RSA public key too short");
    }

    const Bignum exponent = detail::bignum_from_bytes(field.subspan(offset, exponent_length));
    const Bignum modulus = detail::bignum_from_bytes(field.subspan(offset + exponent_length));
    const detail::ParamBuild builder(OSSL_PARAM_BLD_new());
    if (!exponent || !modulus || !builder ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
        return openssl_error("building an RSA public key");
    }
    return detail::key_from_params("RSA", builder.get(), EVP_PKEY_PUBLIC_KEY);
}

// An ECDSA public key on curve ("P-256" or "P-384") whose coordinates have field_size octets.
Result<std::shared_ptr<EVP_PKEY>> ecdsa_from_dnskey(std::span<const std::uint8_t> field,
                                                    const char* curve = "P-256",
                                                    std::size_t field_size = p256_field_size)
{
    if (field.size() != 2 * field_size) {
        return make_error(Errc::invalid_argument,
                          fmt::format("ECDSA {} public key has {} octets, expected {}", curve,
                                      field.size(), 2 * field_size));
    }

    // OpenSSL takes the uncompressed SEC 1 point: 0x04, x, y.
    std::vector<std::uint8_t> point{0x04};
    point.insert(point.end(), field.begin(), field.end());
    const detail::ParamBuild builder(OSSL_PARAM_BLD_new());
    if (!builder ||
        OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) !=
            1 ||
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        return openssl_error("building an ECDSA public key");
    }
    auto key = detail::key_from_params("EC", builder.get(), EVP_PKEY_PUBLIC_KEY);
    if (!key) {
        return make_error(Errc::invalid_argument,
                          fmt::format("ECDSA public key is not a point on {}", curve));
    }
    return key;
}

// An EdDSA public key (RFC 8080): type is EVP_PKEY_ED25519 (32 octets) or EVP_PKEY_ED448 (57).
Result<std::shared_ptr<EVP_PKEY>> eddsa_from_dnskey(std::span<const std::uint8_t> field,
                                                    int type = EVP_PKEY_ED25519,
                                                    std::size_t key_size = ed25519_key_size)
{
    if (field.size() != key_size) {
        return make_error(Errc::invalid_argument,
                          fmt::format("EdDSA public key has {} octets, expected {}", field.size(),
                                      key_size));
    }
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(type, nullptr, field.data(), field.size());
    if (key == nullptr) {
        return openssl_error("importing an EdDSA public key");
    }
    return detail::share_key(key);
}

// RFC 6605 section 4: the signature is r || s, each 32 octets, where OpenSSL writes a DER
// ECDSA-Sig-Value.
Result<std::vector<std::uint8_t>> ecdsa_der_to_raw(std::span<const std::uint8_t> der)
{
    const unsigned char* cursor = der.data();
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> signature(
        d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())), ECDSA_SIG_free);
    if (!signature) {
        return openssl_error("decoding an ECDSA signature");
    }
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(signature.get(), &r, &s);
    auto raw = detail::bignum_bytes(r, p256_field_size);
    const auto s_bytes = detail::bignum_bytes(s, p256_field_size);
    raw.insert(raw.end(), s_bytes.begin(), s_bytes.end());
    return raw;
}

std::vector<std::uint8_t> ecdsa_raw_to_der(std::span<const std::uint8_t> raw)
{
    const std::size_t field_size = raw.size() / 2;
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> signature(ECDSA_SIG_new(),
                                                                    ECDSA_SIG_free);
    Bignum r = detail::bignum_from_bytes(raw.first(field_size));
    Bignum s = detail::bignum_from_bytes(raw.subspan(field_size));
    if (!signature || !r || !s || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
        return {};
    }
    // ECDSA_SIG_set0 took ownership of r and s.
    static_cast<void>(r.release());
    static_cast<void>(s.release());

    const int length = i2d_ECDSA_SIG(signature.get(), nullptr);
    if (length <= 0) {
        return {};
    }
    std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
    unsigned char* cursor = der.data();
    i2d_ECDSA_SIG(signature.get(), &cursor);
    return der;
}

bool key_has_algorithm(const EVP_PKEY* key, Algorithm algorithm)
{
    return key != nullptr && EVP_PKEY_is_a(key, openssl_type(algorithm)) == 1;
}

Result<std::shared_ptr<EVP_PKEY>> generate_pkey(Algorithm algorithm)
{
    const PkeyContext context(
        EVP_PKEY_CTX_new_from_name(nullptr, openssl_type(algorithm), nullptr));
    if (!context || EVP_PKEY_keygen_init(context.get()) != 1) {
        return openssl_error("starting key generation");
    }
    // RSA keys have 2048 bits, the size RFC 8624 section 3.1 and common practice use; OpenSSL's
    // default public exponent is 65537.
    if (algorithm == Algorithm::rsasha256 &&
        EVP_PKEY_CTX_set_rsa_keygen_bits(context.get(), 2048) != 1) {
        return openssl_error("setting the RSA key size");
    }
    if (algorithm == Algorithm::ecdsap256sha256 &&
        EVP_PKEY_CTX_set_group_name(context.get(), "P-256") != 1) {
        return openssl_error("selecting the P-256 curve");
    }

    EVP_PKEY* key = nullptr;
    if (EVP_PKEY_generate(context.get(), &key) != 1) {
        return openssl_error("generating a key");
    }
    return detail::share_key(key);
}

} // namespace

std::vector<std::uint8_t> KeyPair::public_key() const
{
    if (!key) {
        return {};
    }
    switch (algorithm) {
    case Algorithm::rsasha256:
        return rsa_public_key(key.get());
    case Algorithm::ecdsap256sha256:
        return ecdsa_public_key(key.get());
    case Algorithm::ed25519:
        return ed25519_public_key(key.get());
    }
    return {};
}

std::vector<std::uint8_t> KeyPair::dnskey_rdata() const
{
    std::vector<std::uint8_t> rdata{static_cast<std::uint8_t>(flags >> 8),
                                    static_cast<std::uint8_t>(flags & 0xff), dnskey_protocol,
                                    static_cast<std::uint8_t>(algorithm)};
    const auto field = public_key();
    rdata.insert(rdata.end(), field.begin(), field.end());
    return rdata;
}

std::uint16_t KeyPair::key_tag() const
{
    return dnssec::key_tag(dnskey_rdata());
}

zone::Record KeyPair::dnskey_record(std::uint32_t ttl) const
{
    zone::Record record;
    record.owner = owner;
    record.type = zone::rrtype::dnskey;
    record.rclass = zone::rrclass::in;
    record.ttl = ttl;
    record.rdata = dnskey_rdata();
    return record;
}

std::uint16_t key_tag(std::span<const std::uint8_t> dnskey_rdata)
{
    if (dnskey_rdata.size() < 4) {
        return 0;
    }
    // Algorithm 1 (RSA/MD5) keys use the 16 bits before the last octet of the modulus.
    if (dnskey_rdata[3] == 1) {
        const std::size_t size = dnskey_rdata.size();
        if (size < 7) {
            return 0;
        }
        return static_cast<std::uint16_t>(dnskey_rdata[size - 3] << 8 | dnskey_rdata[size - 2]);
    }

    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < dnskey_rdata.size(); ++i) {
        sum += (i & 1) != 0 ? dnskey_rdata[i] : static_cast<std::uint32_t>(dnskey_rdata[i]) << 8;
    }
    sum += (sum >> 16) & 0xffff;
    return static_cast<std::uint16_t>(sum & 0xffff);
}

Result<KeyPair> generate_key(const zone::Name& owner, Algorithm algorithm, std::uint16_t flags)
{
    if ((flags & dnskey_flags::zone_key) == 0) {
        return make_error(Errc::invalid_argument,
                          fmt::format("DNSKEY flags {} lack the zone key bit (256)", flags));
    }
    auto key = generate_pkey(algorithm);
    if (!key) {
        return tl::unexpected(key.error());
    }
    return KeyPair{.owner = owner, .flags = flags, .algorithm = algorithm, .key = *key};
}

Result<std::vector<std::uint8_t>> sign_data(const KeyPair& key, std::span<const std::uint8_t> data)
{
    if (!key_has_algorithm(key.key.get(), key.algorithm)) {
        return make_error(Errc::internal,
                          fmt::format("the key is not a {} key", algorithm_name(key.algorithm)));
    }

    const DigestContext context(EVP_MD_CTX_new());
    if (!context || EVP_DigestSignInit(context.get(), nullptr, digest_for(key.algorithm), nullptr,
                                       key.key.get()) != 1) {
        return openssl_error("starting a signature");
    }
    std::size_t length = 0;
    if (EVP_DigestSign(context.get(), nullptr, &length, data.data(), data.size()) != 1) {
        return openssl_error("sizing a signature");
    }
    std::vector<std::uint8_t> signature(length);
    if (EVP_DigestSign(context.get(), signature.data(), &length, data.data(), data.size()) != 1) {
        return openssl_error("signing");
    }
    signature.resize(length);

    if (key.algorithm == Algorithm::ecdsap256sha256) {
        return ecdsa_der_to_raw(signature);
    }
    return signature;
}

Result<std::shared_ptr<EVP_PKEY>> public_key_from_dnskey(Algorithm algorithm,
                                                         std::span<const std::uint8_t> public_key)
{
    switch (algorithm) {
    case Algorithm::rsasha256:
        return rsa_from_dnskey(public_key);
    case Algorithm::ecdsap256sha256:
        return ecdsa_from_dnskey(public_key);
    case Algorithm::ed25519:
        return eddsa_from_dnskey(public_key);
    }
    return make_error(Errc::unsupported, "unknown DNSSEC algorithm");
}

bool verify_data(std::span<const std::uint8_t> dnskey_rdata, std::span<const std::uint8_t> data,
                 std::span<const std::uint8_t> signature)
{
    if (dnskey_rdata.size() < 5 || dnskey_rdata[2] != dnskey_protocol) {
        return false;
    }
    const auto public_key = dnskey_rdata.subspan(4);

    // Zones signed elsewhere may use algorithms robur does not sign with; those listed here are
    // verified too (numbers from the IANA DNS Security Algorithm Numbers registry).
    Result<std::shared_ptr<EVP_PKEY>> key = make_error(Errc::unsupported, "unknown algorithm");
    const EVP_MD* digest = nullptr;
    std::size_t ecdsa_field = 0; // octets per coordinate, for ECDSA signatures
    std::size_t eddsa_signature = 0;
    switch (dnskey_rdata[3]) {
    case 5: // RSASHA1 (RFC 3110)
    case 7: // RSASHA1-NSEC3-SHA1 (RFC 5155)
        key = rsa_from_dnskey(public_key);
        digest = EVP_sha1();
        break;
    case 8: // RSASHA256 (RFC 5702)
        key = rsa_from_dnskey(public_key);
        digest = EVP_sha256();
        break;
    case 10: // RSASHA512 (RFC 5702)
        key = rsa_from_dnskey(public_key);
        digest = EVP_sha512();
        break;
    case 13: // ECDSAP256SHA256 (RFC 6605)
        key = ecdsa_from_dnskey(public_key);
        digest = EVP_sha256();
        ecdsa_field = p256_field_size;
        break;
    case 14: // ECDSAP384SHA384 (RFC 6605)
        key = ecdsa_from_dnskey(public_key, "P-384", 48);
        digest = EVP_sha384();
        ecdsa_field = 48;
        break;
    case 15: // ED25519 (RFC 8080)
        key = eddsa_from_dnskey(public_key);
        eddsa_signature = ed25519_signature_size;
        break;
    case 16: // ED448 (RFC 8080)
        key = eddsa_from_dnskey(public_key, EVP_PKEY_ED448, 57);
        eddsa_signature = 114;
        break;
    default:
        return false;
    }
    if (!key) {
        return false;
    }

    std::vector<std::uint8_t> encoded(signature.begin(), signature.end());
    if (ecdsa_field != 0) {
        if (signature.size() != 2 * ecdsa_field) {
            return false;
        }
        encoded = ecdsa_raw_to_der(signature);
    } else if (eddsa_signature != 0 && signature.size() != eddsa_signature) {
        return false;
    }

    const DigestContext context(EVP_MD_CTX_new());
    const bool valid =
        context &&
        EVP_DigestVerifyInit(context.get(), nullptr, digest, nullptr, key->get()) == 1 &&
        EVP_DigestVerify(context.get(), encoded.data(), encoded.size(), data.data(),
                         data.size()) == 1;
    ERR_clear_error();
    return valid;
}

Result<void> check_key_matches(const KeyPair& key_pair, std::span<const std::uint8_t> public_key)
{
    static constexpr std::string_view probe = "robur key pair check";
    const auto* probe_bytes = reinterpret_cast<const std::uint8_t*>(probe.data());
    const std::span<const std::uint8_t> message(probe_bytes, probe.size());

    auto signature = sign_data(key_pair, message);
    if (!signature) {
        return tl::unexpected(signature.error());
    }
    std::vector<std::uint8_t> rdata{static_cast<std::uint8_t>(key_pair.flags >> 8),
                                    static_cast<std::uint8_t>(key_pair.flags & 0xff),
                                    dnskey_protocol, static_cast<std::uint8_t>(key_pair.algorithm)};
    rdata.insert(rdata.end(), public_key.begin(), public_key.end());
    if (!verify_data(rdata, message, *signature)) {
        return make_error(Errc::invalid_argument, "the private key does not match the public key");
    }
    return {};
}

} // namespace robur::dnssec
