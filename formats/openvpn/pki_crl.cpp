// CRL issuance and the inspection side of the PKI: reading certificates and CRLs, matching
// keys, verifying chains.

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <fmt/format.h>

#include "formats/openvpn/openssl_handles.hpp"
#include "formats/openvpn/pki.hpp"

namespace robur::openvpn {

namespace {

Error openssl_error(std::string_view what)
{
    return Error{Errc::internal, fmt::format("{} failed: {}", what, ossl::last_error()),
                 std::nullopt};
}

const EVP_MD* signing_digest(EVP_PKEY* key)
{
    return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
}

std::string one_line_name(const X509_NAME* name)
{
    char buffer[512];
    if (X509_NAME_oneline(name, buffer, sizeof buffer) == nullptr) {
        return {};
    }
    return buffer;
}

std::string common_name_of(const X509_NAME* name)
{
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0) {
        return {};
    }
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0) {
        return {};
    }
    std::string text(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return text;
}

Result<ossl::IntegerPtr> integer_from_hex(const std::string& hex)
{
    BIGNUM* number = nullptr;
    if (hex.empty() || BN_hex2bn(&number, hex.c_str()) != static_cast<int>(hex.size())) {
        BN_free(number);
        return make_error(Errc::invalid_argument, fmt::format("invalid serial '{}'", hex));
    }
    ossl::BignumPtr owned(number);
    ossl::IntegerPtr integer(BN_to_ASN1_INTEGER(number, nullptr));
    if (!integer) {
        return tl::unexpected(openssl_error("converting the serial"));
    }
    return integer;
}

CertificateInfo describe(X509* certificate)
{
    CertificateInfo info;
    info.subject = one_line_name(X509_get_subject_name(certificate));
    info.common_name = common_name_of(X509_get_subject_name(certificate));
    info.issuer = one_line_name(X509_get_issuer_name(certificate));
    info.serial = ossl::serial_hex(X509_get0_serialNumber(certificate));
    info.not_before = ossl::to_unix_time(X509_get0_notBefore(certificate));
    info.not_after = ossl::to_unix_time(X509_get0_notAfter(certificate));
    info.is_ca = X509_check_ca(certificate) != 0;
    info.self_signed = X509_self_signed(certificate, 0) == 1;

    const std::uint32_t flags = X509_get_extension_flags(certificate);
    if ((flags & EXFLAG_KUSAGE) != 0) {
        info.key_usage = X509_get_key_usage(certificate);
    }
    if ((flags & EXFLAG_XKUSAGE) != 0) {
        info.extended_key_usage = X509_get_extended_key_usage(certificate);
    }

    const EVP_PKEY* key = X509_get0_pubkey(certificate);
    if (key != nullptr) {
        const char* type = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
        info.key_type = type == nullptr ? "unknown" : type;
        if (info.key_type == "rsaEncryption") {
            info.key_type = "RSA";
        } else if (info.key_type == "id-ecPublicKey") {
            info.key_type = "EC";
        }
        info.key_bits = EVP_PKEY_get_bits(key);
    }
    ERR_clear_error();
    return info;
}

} // namespace

Result<std::string> issue_crl(const Issuer& issuer, const std::vector<RevokedCertificate>& revoked,
                              std::uint64_t crl_number, std::int64_t this_update,
                              std::int64_t next_update)
{
    auto ca_certificate = ossl::read_certificate(issuer.certificate_pem);
    auto ca_key = ossl::read_private_key(issuer.private_key_pem);
    if (!ca_certificate || !ca_key) {
        return make_error(Errc::invalid_argument, "invalid CA: unreadable certificate or key");
    }
    ossl::CrlPtr crl(X509_CRL_new());
    ossl::TimePtr last(ASN1_TIME_set(nullptr, static_cast<time_t>(this_update)));
    ossl::TimePtr next(ASN1_TIME_set(nullptr, static_cast<time_t>(next_update)));
    if (!crl || !last || !next || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_certificate.get())) != 1 ||
        X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
        X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
        return tl::unexpected(openssl_error("building the CRL"));
    }

    for (const auto& entry : revoked) {
        auto serial = integer_from_hex(entry.serial);
        if (!serial) {
            return tl::unexpected(serial.error());
        }
        ossl::RevokedPtr item(X509_REVOKED_new());
        ossl::TimePtr when(ASN1_TIME_set(nullptr, static_cast<time_t>(entry.revoked_at)));
        if (!item || !when || X509_REVOKED_set_serialNumber(item.get(), serial->get()) != 1 ||
            X509_REVOKED_set_revocationDate(item.get(), when.get()) != 1 ||
            X509_CRL_add0_revoked(crl.get(), item.get()) != 1) {
            return tl::unexpected(openssl_error("adding a revoked serial"));
        }
        item.release(); // the CRL owns it now
    }

    ossl::BignumPtr number(BN_new());
    if (!number || BN_set_word(number.get(), crl_number) != 1) {
        return tl::unexpected(openssl_error("setting the CRL number"));
    }
    ossl::IntegerPtr number_integer(BN_to_ASN1_INTEGER(number.get(), nullptr));
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, ca_certificate.get(), nullptr, nullptr, crl.get(), 0);
    ossl::ExtensionPtr authority_key(
        X509V3_EXT_conf_nid(nullptr, &context, NID_authority_key_identifier, "keyid:always"));
    if (!number_integer ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number_integer.get(), 0, 0) != 1 ||
        !authority_key || X509_CRL_add_ext(crl.get(), authority_key.get(), -1) != 1) {
        return tl::unexpected(openssl_error("adding the CRL extensions"));
    }

    if (X509_CRL_sort(crl.get()) != 1 ||
        X509_CRL_sign(crl.get(), ca_key.get(), signing_digest(ca_key.get())) == 0) {
        return tl::unexpected(openssl_error("signing the CRL"));
    }
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
        return tl::unexpected(openssl_error("writing the CRL"));
    }
    return ossl::memory_contents(bio.get());
}

Result<CertificateInfo> read_certificate_info(std::string_view pem)
{
    auto certificate = ossl::read_certificate(pem);
    if (!certificate) {
        return make_error(Errc::parse_error, "not a PEM certificate");
    }
    return describe(certificate.get());
}

Result<std::vector<CertificateInfo>> read_certificate_bundle(std::string_view pem)
{
    auto bio = ossl::memory_reader(pem);
    std::vector<CertificateInfo> bundle;
    while (true) {
        ossl::X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!certificate) {
            break;
        }
        bundle.push_back(describe(certificate.get()));
    }
    ERR_clear_error();
    if (bundle.empty()) {
        return make_error(Errc::parse_error, "no PEM certificate found");
    }
    return bundle;
}

Result<CrlInfo> read_crl_info(std::string_view pem)
{
    auto crl = ossl::read_crl(pem);
    if (!crl) {
        return make_error(Errc::parse_error, "not a PEM CRL");
    }
    CrlInfo info;
    info.issuer = one_line_name(X509_CRL_get_issuer(crl.get()));
    info.this_update = ossl::to_unix_time(X509_CRL_get0_lastUpdate(crl.get()));
    if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get()); next != nullptr) {
        info.next_update = ossl::to_unix_time(next);
    }
    ossl::IntegerPtr number(static_cast<ASN1_INTEGER*>(
        X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
    std::uint64_t value = 0;
    if (number && ASN1_INTEGER_get_uint64(&value, number.get()) == 1) {
        info.crl_number = value;
    }
    const STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl.get());
    for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
        const X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
        info.revoked.push_back(
            {ossl::serial_hex(X509_REVOKED_get0_serialNumber(entry)),
             ossl::to_unix_time(X509_REVOKED_get0_revocationDate(entry))});
    }
    ERR_clear_error();
    return info;
}

Result<bool> key_matches_certificate(std::string_view certificate_pem,
                                     std::string_view private_key_pem)
{
    auto certificate = ossl::read_certificate(certificate_pem);
    if (!certificate) {
        return make_error(Errc::parse_error, "not a PEM certificate");
    }
    auto key = ossl::read_private_key(private_key_pem);
    if (!key) {
        return make_error(Errc::parse_error, "not a PEM private key");
    }
    const bool matches = X509_check_private_key(certificate.get(), key.get()) == 1;
    ERR_clear_error();
    return matches;
}

Result<void> verify_certificate(std::string_view ca_pem, std::string_view certificate_pem,
                                std::int64_t at)
{
    auto certificate = ossl::read_certificate(certificate_pem);
    if (!certificate) {
        return make_error(Errc::parse_error, "not a PEM certificate");
    }
    ossl::StorePtr store(X509_STORE_new());
    auto bio = ossl::memory_reader(ca_pem);
    int added = 0;
    while (store) {
        ossl::X509Ptr ca(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!ca || X509_STORE_add_cert(store.get(), ca.get()) != 1) {
            break;
        }
        ++added;
    }
    ERR_clear_error();
    if (added == 0) {
        return make_error(Errc::parse_error, "no PEM certificate in the CA file");
    }
    ossl::StoreContextPtr context(X509_STORE_CTX_new());
    if (!context ||
        X509_STORE_CTX_init(context.get(), store.get(), certificate.get(), nullptr) != 1) {
        return tl::unexpected(openssl_error("X509_STORE_CTX_init"));
    }
    X509_STORE_CTX_set_time(context.get(), 0, static_cast<time_t>(at));
    if (X509_verify_cert(context.get()) != 1) {
        const int reason = X509_STORE_CTX_get_error(context.get());
        ERR_clear_error();
        return make_error(Errc::validation_failed, X509_verify_cert_error_string(reason));
    }
    return {};
}

Result<bool> crl_signed_by(std::string_view crl_pem, std::string_view ca_pem)
{
    auto crl = ossl::read_crl(crl_pem);
    if (!crl) {
        return make_error(Errc::parse_error, "not a PEM CRL");
    }
    auto ca = ossl::read_certificate(ca_pem);
    if (!ca) {
        return make_error(Errc::parse_error, "not a PEM certificate");
    }
    EVP_PKEY* key = X509_get0_pubkey(ca.get());
    const bool signed_by = key != nullptr && X509_CRL_verify(crl.get(), key) == 1;
    ERR_clear_error();
    return signed_by;
}

} // namespace robur::openvpn
