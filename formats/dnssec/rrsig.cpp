#include "formats/dnssec/rrsig.hpp"

#include <array>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>

namespace robur::dnssec {

namespace {

// Type covered, algorithm, labels, original TTL, expiration, inception and key tag.
constexpr std::size_t fixed_fields_length = 18;

std::uint16_t read_u16(std::span<const std::uint8_t> bytes, std::size_t offset)
{
    return static_cast<std::uint16_t>((bytes[offset] << 8) | bytes[offset + 1]);
}

std::uint32_t read_u32(std::span<const std::uint8_t> bytes, std::size_t offset)
{
    return (std::uint32_t{read_u16(bytes, offset)} << 16) | read_u16(bytes, offset + 2);
}

void append_fields(std::vector<std::uint8_t>& out, const RrsigFields& fields)
{
    append_u16(out, fields.type_covered);
    out.push_back(fields.algorithm);
    out.push_back(fields.labels);
    append_u32(out, fields.original_ttl);
    append_u32(out, fields.expiration);
    append_u32(out, fields.inception);
    append_u16(out, fields.key_tag);
    const zone::Name signer = fields.signer.lowercase();
    out.insert(out.end(), signer.wire().begin(), signer.wire().end());
}

// The owner name as signed: the wildcard "*.<rightmost labels>" when labels is lower than the
// owner's label count (RFC 4035 section 5.3.2).
zone::Name signed_owner(const zone::Name& owner, std::uint8_t labels)
{
    if (labels >= owner.label_count()) {
        return owner;
    }
    return owner.suffix(labels).prepend("*").value_or(owner);
}

constexpr std::size_t p256_half_size = 32; // r and s of an ECDSA P-256 signature (RFC 6605)

// Fetched once: an explicit fetch saves the provider lookup that EVP_sha256() repeats per use.
const EVP_MD* sha256()
{
    static const EVP_MD* digest = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return digest;
}

tl::unexpected<Error> openssl_failure(std::string_view operation)
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    return make_error(Errc::internal, fmt::format("{} failed: {}", operation, text.data()));
}

// Reads one DER INTEGER at der[position] into out, right-aligned in 32 octets.
bool read_der_integer(std::span<const std::uint8_t> der, std::size_t& position,
                      std::span<std::uint8_t> out)
{
    if (position + 2 > der.size() || der[position] != 0x02) {
        return false;
    }
    std::size_t length = der[position + 1];
    std::size_t start = position + 2;
    if (length >= 0x80 || start + length > der.size()) {
        return false;
    }
    position = start + length;
    while (length > out.size() && der[start] == 0) {
        ++start;
        --length;
    }
    if (length > out.size()) {
        return false;
    }
    std::copy(der.begin() + static_cast<std::ptrdiff_t>(start),
              der.begin() + static_cast<std::ptrdiff_t>(start + length),
              out.end() - static_cast<std::ptrdiff_t>(length));
    return true;
}

// Converts OpenSSL's DER ECDSA-Sig-Value (SEQUENCE of r and s) to r || s, 32 octets each
// (RFC 6605 section 4). A P-256 signature is at most 72 octets, so every length is one octet.
Result<std::vector<std::uint8_t>> ecdsa_der_to_fixed(std::span<const std::uint8_t> der)
{
    std::vector<std::uint8_t> fixed(2 * p256_half_size, 0);
    std::size_t position = 2;
    const bool ok = der.size() >= 2 && der[0] == 0x30 && der[1] == der.size() - 2 &&
                    read_der_integer(der, position, std::span(fixed).first(p256_half_size)) &&
                    read_der_integer(der, position, std::span(fixed).last(p256_half_size)) &&
                    position == der.size();
    if (!ok) {
        return make_error(Errc::internal, "OpenSSL returned a malformed ECDSA signature");
    }
    return fixed;
}

} // namespace

Result<Rrsig> parse_rrsig(std::span<const std::uint8_t> rdata)
{
    if (rdata.size() < fixed_fields_length + 1) {
        return make_error(Errc::parse_error, "RRSIG rdata is truncated");
    }
    const auto signer_length = wire_name_length(rdata.subspan(fixed_fields_length));
    if (!signer_length) {
        return make_error(Errc::parse_error, "RRSIG signer name is malformed");
    }
    auto signer = zone::Name::from_wire(rdata.subspan(fixed_fields_length, *signer_length));
    if (!signer) {
        return tl::unexpected(signer.error());
    }

    Rrsig rrsig;
    rrsig.fields.type_covered = read_u16(rdata, 0);
    rrsig.fields.algorithm = rdata[2];
    rrsig.fields.labels = rdata[3];
    rrsig.fields.original_ttl = read_u32(rdata, 4);
    rrsig.fields.expiration = read_u32(rdata, 8);
    rrsig.fields.inception = read_u32(rdata, 12);
    rrsig.fields.key_tag = read_u16(rdata, 16);
    rrsig.fields.signer = std::move(*signer);
    const auto signature = rdata.subspan(fixed_fields_length + *signer_length);
    rrsig.signature.assign(signature.begin(), signature.end());
    return rrsig;
}

std::vector<std::uint8_t> rrsig_rdata(const RrsigFields& fields,
                                      std::span<const std::uint8_t> signature)
{
    std::vector<std::uint8_t> rdata;
    rdata.reserve(fixed_fields_length + fields.signer.wire_length() + signature.size());
    append_fields(rdata, fields);
    rdata.insert(rdata.end(), signature.begin(), signature.end());
    return rdata;
}

std::uint8_t rrsig_labels(const zone::Name& owner)
{
    const std::size_t count = owner.label_count();
    return static_cast<std::uint8_t>(owner.is_wildcard() ? count - 1 : count);
}

std::uint32_t rrsig_time(std::chrono::sys_seconds time)
{
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(time.time_since_epoch().count()));
}

bool serial_before(std::uint32_t a, std::uint32_t b)
{
    constexpr std::uint32_t half = 1U << 31;
    return (a < b && b - a < half) || (a > b && a - b > half);
}

void append_signed_data(std::vector<std::uint8_t>& out, const RrsigFields& fields,
                        const RRset& rrset)
{
    append_fields(out, fields);
    const zone::Name owner = signed_owner(rrset.owner, fields.labels).lowercase();
    for (const auto& rdata : rrset.rdatas) {
        append_canonical_rr(out, owner.wire(), rrset.type, rrset.rclass, fields.original_ttl,
                            rdata);
    }
}

void SigningContext::PkeyContextFree::operator()(EVP_PKEY_CTX* context) const
{
    EVP_PKEY_CTX_free(context);
}

void SigningContext::DigestContextFree::operator()(EVP_MD_CTX* context) const
{
    EVP_MD_CTX_free(context);
}

struct SigningContext::SodiumSecretKey {
    std::array<unsigned char, crypto_sign_SECRETKEYBYTES> bytes{};
};

void SigningContext::SodiumSecretKeyFree::operator()(SodiumSecretKey* key) const
{
    sodium_memzero(key->bytes.data(), key->bytes.size());
    delete key;
}

Result<SigningContext::SodiumSecretKeyPtr> SigningContext::sodium_secret_key(const EVP_PKEY& key)
{
    // sodium_init is safe to call from several threads and more than once.
    if (sodium_init() < 0) {
        return make_error(Errc::internal, "libsodium failed to initialise");
    }
    std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> openssl_public{};
    std::size_t seed_length = seed.size();
    std::size_t public_length = openssl_public.size();
    if (EVP_PKEY_get_raw_private_key(&key, seed.data(), &seed_length) != 1 ||
        EVP_PKEY_get_raw_public_key(&key, openssl_public.data(), &public_length) != 1 ||
        seed_length != seed.size() || public_length != openssl_public.size()) {
        sodium_memzero(seed.data(), seed.size());
        return openssl_failure("reading the Ed25519 private key");
    }

    SodiumSecretKeyPtr secret(new SodiumSecretKey);
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> sodium_public{};
    const int derived =
        crypto_sign_seed_keypair(sodium_public.data(), secret->bytes.data(), seed.data());
    sodium_memzero(seed.data(), seed.size());
    if (derived != 0 || sodium_public != openssl_public) {
        return make_error(Errc::internal,
                          "libsodium derived another Ed25519 public key than OpenSSL");
    }
    return secret;
}

Result<SigningContext> SigningContext::create(const KeyPair& key)
{
    SigningContext context;
    context.key_ = &key;
    context.key_tag_ = key.key_tag();
    if (!key.key) {
        return make_error(Errc::internal, "the key to sign with has no private key");
    }
    if (key.algorithm == Algorithm::ed25519) {
        auto secret = sodium_secret_key(*key.key);
        if (!secret) {
            return tl::unexpected(secret.error());
        }
        context.sodium_key_ = std::move(*secret);
        return context;
    }

    context.digest_context_.reset(EVP_MD_CTX_new());
    if (!context.digest_context_) {
        return openssl_failure("preparing a signing context");
    }

    context.sign_context_.reset(EVP_PKEY_CTX_new(key.key.get(), nullptr));
    if (!context.sign_context_ || EVP_PKEY_sign_init(context.sign_context_.get()) != 1) {
        return openssl_failure("preparing a signature");
    }
    if (key.algorithm == Algorithm::rsasha256) {
        // PKCS #1 v1.5 wraps the digest in a DigestInfo naming SHA-256 (RFC 5702 section 3).
        if (EVP_PKEY_CTX_set_rsa_padding(context.sign_context_.get(), RSA_PKCS1_PADDING) != 1 ||
            EVP_PKEY_CTX_set_signature_md(context.sign_context_.get(), sha256()) != 1) {
            return openssl_failure("preparing an RSA signature");
        }
    }
    return context;
}

Result<std::vector<std::uint8_t>> SigningContext::sign(std::span<const std::uint8_t> data)
{
    std::size_t length = 0;
    if (key_->algorithm == Algorithm::ed25519) {
        std::vector<std::uint8_t> signature(crypto_sign_BYTES);
        if (crypto_sign_detached(signature.data(), nullptr, data.data(), data.size(),
                                 sodium_key_->bytes.data()) != 0) {
            return make_error(Errc::internal, "signing with Ed25519 failed in libsodium");
        }
        return signature;
    }

    std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_length = 0;
    if (EVP_DigestInit_ex(digest_context_.get(), sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(digest_context_.get(), data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(digest_context_.get(), digest.data(), &digest_length) != 1 ||
        EVP_PKEY_sign(sign_context_.get(), nullptr, &length, digest.data(), digest_length) != 1) {
        return openssl_failure("hashing the signed data");
    }
    std::vector<std::uint8_t> signature(length);
    if (EVP_PKEY_sign(sign_context_.get(), signature.data(), &length, digest.data(),
                      digest_length) != 1) {
        return openssl_failure("signing");
    }
    signature.resize(length);
    if (key_->algorithm == Algorithm::ecdsap256sha256) {
        return ecdsa_der_to_fixed(signature);
    }
    return signature;
}

Result<zone::Record> sign_rrset(const RRset& rrset, SigningContext& signer, std::uint32_t inception,
                                std::uint32_t expiration, std::vector<std::uint8_t>& scratch)
{
    const KeyPair& key = signer.key();
    const RrsigFields fields{rrset.type,
                             static_cast<std::uint8_t>(key.algorithm),
                             rrsig_labels(rrset.owner),
                             rrset.ttl,
                             expiration,
                             inception,
                             signer.key_tag(),
                             key.owner};
    scratch.clear();
    append_signed_data(scratch, fields, rrset);
    auto signature = signer.sign(scratch);
    if (!signature) {
        return tl::unexpected(signature.error());
    }
    return zone::Record{
        rrset.owner, zone::rrtype::rrsig, rrset.rclass, rrset.ttl, rrsig_rdata(fields, *signature),
        {}};
}

std::string_view to_string(RrsigStatus status)
{
    switch (status) {
    case RrsigStatus::valid:
        return "valid";
    case RrsigStatus::wrong_key:
        return "the DNSKEY's algorithm or key tag differs";
    case RrsigStatus::wrong_labels:
        return "the labels field exceeds the owner's label count";
    case RrsigStatus::bad_signature:
        return "the signature does not verify";
    case RrsigStatus::not_yet_valid:
        return "the signature is not valid yet";
    case RrsigStatus::expired:
        return "the signature has expired";
    }
    return "unknown";
}

RrsigStatus verify_rrsig(const Rrsig& rrsig, const RRset& rrset,
                         std::span<const std::uint8_t> dnskey_rdata, std::uint32_t now)
{
    const auto& fields = rrsig.fields;
    if (dnskey_rdata.size() < 4 || dnskey_rdata[3] != fields.algorithm ||
        key_tag(dnskey_rdata) != fields.key_tag) {
        return RrsigStatus::wrong_key;
    }
    if (fields.labels > rrset.owner.label_count()) {
        return RrsigStatus::wrong_labels;
    }

    std::vector<std::uint8_t> data;
    append_signed_data(data, fields, rrset);
    if (!verify_data(dnskey_rdata, data, rrsig.signature)) {
        return RrsigStatus::bad_signature;
    }
    if (serial_before(now, fields.inception)) {
        return RrsigStatus::not_yet_valid;
    }
    if (serial_before(fields.expiration, now)) {
        return RrsigStatus::expired;
    }
    return RrsigStatus::valid;
}

} // namespace robur::dnssec
