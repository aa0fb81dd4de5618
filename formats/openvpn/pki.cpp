#include "formats/openvpn/pki.hpp"

#include <array>

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "formats/openvpn/openssl_handles.hpp"

namespace robur::openvpn {

namespace {

constexpr int rsa_bits = 3072;
constexpr int serial_bytes = 16;

Error openssl_error(std::string_view what)
{
    return Error{Errc::internal, fmt::format("{} failed: {}", what, ossl::last_error()),
                 std::nullopt};
}

Result<std::string> write_private_key(EVP_PKEY* key)
{
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
        return tl::unexpected(openssl_error("writing the private key"));
    }
    return ossl::memory_contents(bio.get());
}

Result<std::string> write_certificate(X509* certificate)
{
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) {
        return tl::unexpected(openssl_error("writing the certificate"));
    }
    return ossl::memory_contents(bio.get());
}

bool is_ip_address(const std::string& text)
{
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(text.c_str());
    if (address == nullptr) {
        return false;
    }
    ASN1_OCTET_STRING_free(address);
    return true;
}

// Adds one extension given in OpenSSL's config syntax ("critical,CA:TRUE").
Result<void> add_extension(X509* certificate, X509* issuer, int nid, const std::string& value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    ossl::ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
        return tl::unexpected(openssl_error(fmt::format("adding extension {}", OBJ_nid2sn(nid))));
    }
    return {};
}

Result<ossl::NamePtr> make_name(std::string_view common_name)
{
    if (common_name.empty() || common_name.size() > 64) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid common name '{}': expected 1 to 64 characters",
                                      common_name));
    }
    ossl::NamePtr name(X509_NAME_new());
    const std::string text(common_name);
    if (!name || X509_NAME_add_entry_by_txt(
                     name.get(), "CN", MBSTRING_UTF8,
                     reinterpret_cast<const unsigned char*>(text.c_str()), -1, -1, 0) != 1) {
        return tl::unexpected(openssl_error("building the subject name"));
    }
    return name;
}

// Sets the version, a random serial and the validity period of a new certificate.
Result<void> set_basics(X509* certificate, std::int64_t not_before, std::int64_t not_after)
{
    if (not_after <= not_before) {
        return make_error(Errc::invalid_argument,
                          "invalid validity period: notAfter must be later than notBefore");
    }
    auto serial = random_serial();
    if (!serial) {
        return tl::unexpected(serial.error());
    }
    BIGNUM* number = nullptr;
    if (BN_hex2bn(&number, serial->c_str()) == 0) {
        return tl::unexpected(openssl_error("converting the serial"));
    }
    ossl::BignumPtr owned(number);
    ossl::IntegerPtr integer(BN_to_ASN1_INTEGER(number, nullptr));
    if (!integer || X509_set_version(certificate, X509_VERSION_3) != 1 ||
        X509_set_serialNumber(certificate, integer.get()) != 1 ||
        ASN1_TIME_set(X509_getm_notBefore(certificate), static_cast<time_t>(not_before)) ==
            nullptr ||
        ASN1_TIME_set(X509_getm_notAfter(certificate), static_cast<time_t>(not_after)) ==
            nullptr) {
        return tl::unexpected(openssl_error("setting the certificate fields"));
    }
    return {};
}

// Ed25519 signs without a separate digest; every other key type signs with SHA-256.
const EVP_MD* signing_digest(EVP_PKEY* key)
{
    return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
}

std::string key_usage_for(EVP_PKEY* key)
{
    // RFC 5280 section 4.2.1.3: an RSA key exchanges keys by encipherment, an EC key by
    // agreement. TLS 1.3 only needs digitalSignature; the rest serves older peers.
    if (EVP_PKEY_get_id(key) == EVP_PKEY_RSA) {
        return "critical,digitalSignature,keyEncipherment";
    }
    if (EVP_PKEY_get_id(key) == EVP_PKEY_EC) {
        return "critical,digitalSignature,keyAgreement";
    }
    return "critical,digitalSignature";
}

std::string alt_name_list(const std::vector<std::string>& names)
{
    std::string list;
    for (const auto& name : names) {
        if (!list.empty()) {
            list += ',';
        }
        list += is_ip_address(name) ? "IP:" : "DNS:";
        list += name;
    }
    return list;
}

Result<void> add_leaf_extensions(X509* certificate, X509* issuer, EVP_PKEY* subject_key,
                                 const CertificateProfile& profile)
{
    const bool server = profile.role == CertificateRole::server;
    std::vector<std::pair<int, std::string>> extensions = {
        {NID_basic_constraints, "CA:FALSE"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid,issuer"},
        {NID_key_usage, key_usage_for(subject_key)},
        {NID_ext_key_usage, server ? "serverAuth" : "clientAuth"},
    };
    if (!profile.alt_names.empty()) {
        extensions.emplace_back(NID_subject_alt_name, alt_name_list(profile.alt_names));
    }
    for (const auto& [nid, value] : extensions) {
        auto added = add_extension(certificate, issuer, nid, value);
        if (!added) {
            return added;
        }
    }
    return {};
}

} // namespace

Result<KeyAlgorithm> parse_key_algorithm(std::string_view text)
{
    if (text == "ecdsa") {
        return KeyAlgorithm::ecdsa_p256;
    }
    if (text == "ed25519") {
        return KeyAlgorithm::ed25519;
    }
    if (text == "rsa") {
        return KeyAlgorithm::rsa3072;
    }
    return make_error(Errc::invalid_argument,
                      fmt::format("invalid key algorithm '{}': expected ecdsa, ed25519 or rsa",
                                  text));
}

std::string_view to_string(KeyAlgorithm algorithm)
{
    switch (algorithm) {
    case KeyAlgorithm::ecdsa_p256:
        return "ecdsa";
    case KeyAlgorithm::ed25519:
        return "ed25519";
    case KeyAlgorithm::rsa3072:
        return "rsa";
    }
    return "ecdsa";
}

Result<std::string> generate_private_key(KeyAlgorithm algorithm)
{
    ossl::PkeyPtr key;
    switch (algorithm) {
    case KeyAlgorithm::ecdsa_p256:
        key.reset(EVP_EC_gen("P-256"));
        break;
    case KeyAlgorithm::ed25519:
        key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
        break;
    case KeyAlgorithm::rsa3072:
        key.reset(EVP_RSA_gen(rsa_bits));
        break;
    }
    if (!key) {
        return tl::unexpected(openssl_error("generating the key"));
    }
    return write_private_key(key.get());
}

Result<std::string> random_serial()
{
    std::array<unsigned char, serial_bytes> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        return tl::unexpected(openssl_error("RAND_bytes"));
    }
    // Clear the top bit so the DER encoding needs no sign octet, and set the next one so the
    // serial keeps its full 16 octets (index.txt sorts and compares serials as text).
    bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
    std::string hex;
    for (const unsigned char byte : bytes) {
        hex += fmt::format("{:02X}", byte);
    }
    return hex;
}

Result<std::string> create_ca_certificate(std::string_view private_key_pem,
                                          std::string_view common_name, std::int64_t not_before,
                                          std::int64_t not_after)
{
    auto key = ossl::read_private_key(private_key_pem);
    if (!key) {
        return make_error(Errc::invalid_argument, "invalid CA private key: not a PEM private key");
    }
    auto name = make_name(common_name);
    if (!name) {
        return tl::unexpected(name.error());
    }
    ossl::X509Ptr certificate(X509_new());
    if (!certificate) {
        return tl::unexpected(openssl_error("X509_new"));
    }
    auto basics = set_basics(certificate.get(), not_before, not_after);
    if (!basics) {
        return tl::unexpected(basics.error());
    }
    if (X509_set_subject_name(certificate.get(), name->get()) != 1 ||
        X509_set_issuer_name(certificate.get(), name->get()) != 1 ||
        X509_set_pubkey(certificate.get(), key.get()) != 1) {
        return tl::unexpected(openssl_error("setting the CA names"));
    }

    const std::array<std::pair<int, const char*>, 4> extensions = {{
        {NID_basic_constraints, "critical,CA:TRUE"},
        {NID_key_usage, "critical,keyCertSign,cRLSign"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
    }};
    for (const auto& [nid, value] : extensions) {
        auto added = add_extension(certificate.get(), certificate.get(), nid, value);
        if (!added) {
            return tl::unexpected(added.error());
        }
    }

    if (X509_sign(certificate.get(), key.get(), signing_digest(key.get())) == 0) {
        return tl::unexpected(openssl_error("signing the CA certificate"));
    }
    return write_certificate(certificate.get());
}

Result<std::string> issue_certificate(const Issuer& issuer, std::string_view subject_key_pem,
                                      const CertificateProfile& profile)
{
    auto ca_certificate = ossl::read_certificate(issuer.certificate_pem);
    auto ca_key = ossl::read_private_key(issuer.private_key_pem);
    auto subject_key = ossl::read_private_key(subject_key_pem);
    if (!ca_certificate || !ca_key) {
        return make_error(Errc::invalid_argument, "invalid CA: unreadable certificate or key");
    }
    if (!subject_key) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid private key for '{}'", profile.common_name));
    }
    auto name = make_name(profile.common_name);
    if (!name) {
        return tl::unexpected(name.error());
    }
    ossl::X509Ptr certificate(X509_new());
    if (!certificate) {
        return tl::unexpected(openssl_error("X509_new"));
    }
    auto basics = set_basics(certificate.get(), profile.not_before, profile.not_after);
    if (!basics) {
        return tl::unexpected(basics.error());
    }
    if (X509_set_subject_name(certificate.get(), name->get()) != 1 ||
        X509_set_issuer_name(certificate.get(),
                             X509_get_subject_name(ca_certificate.get())) != 1 ||
        X509_set_pubkey(certificate.get(), subject_key.get()) != 1) {
        return tl::unexpected(openssl_error("setting the certificate names"));
    }
    auto extensions =
        add_leaf_extensions(certificate.get(), ca_certificate.get(), subject_key.get(), profile);
    if (!extensions) {
        return tl::unexpected(extensions.error());
    }

    if (X509_sign(certificate.get(), ca_key.get(), signing_digest(ca_key.get())) == 0) {
        return tl::unexpected(openssl_error("signing the certificate"));
    }
    return write_certificate(certificate.get());
}

Result<std::string> create_certificate_request(std::string_view private_key_pem,
                                               std::string_view common_name)
{
    auto key = ossl::read_private_key(private_key_pem);
    if (!key) {
        return make_error(Errc::invalid_argument, "invalid private key: not a PEM private key");
    }
    auto name = make_name(common_name);
    if (!name) {
        return tl::unexpected(name.error());
    }
    ossl::RequestPtr request(X509_REQ_new());
    if (!request || X509_REQ_set_version(request.get(), 0) != 1 ||
        X509_REQ_set_subject_name(request.get(), name->get()) != 1 ||
        X509_REQ_set_pubkey(request.get(), key.get()) != 1 ||
        X509_REQ_sign(request.get(), key.get(), signing_digest(key.get())) == 0) {
        return tl::unexpected(openssl_error("building the certificate request"));
    }
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509_REQ(bio.get(), request.get()) != 1) {
        return tl::unexpected(openssl_error("writing the certificate request"));
    }
    return ossl::memory_contents(bio.get());
}

} // namespace robur::openvpn
