#include "formats/openvpn/openssl_handles.hpp"

#include <climits>
#include <ctime>

#include <openssl/err.h>
#include <openssl/pem.h>

namespace robur::openvpn::ossl {

BioPtr memory_reader(std::string_view text)
{
    // Configs and keys are small; anything above INT_MAX is rejected by giving BIO no data.
    const int size = text.size() > INT_MAX ? 0 : static_cast<int>(text.size());
    return BioPtr(BIO_new_mem_buf(text.data(), size));
}

std::string memory_contents(BIO* bio)
{
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    if (size <= 0 || data == nullptr) {
        return {};
    }
    return std::string(data, static_cast<std::size_t>(size));
}

std::string last_error()
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "unknown OpenSSL error";
    }
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    return buffer;
}

PkeyPtr read_private_key(std::string_view pem)
{
    auto bio = memory_reader(pem);
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    return key;
}

X509Ptr read_certificate(std::string_view pem)
{
    auto bio = memory_reader(pem);
    X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    return certificate;
}

CrlPtr read_crl(std::string_view pem)
{
    auto bio = memory_reader(pem);
    CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    return crl;
}

std::int64_t to_unix_time(const ASN1_TIME* time)
{
    struct tm broken_down {};
    if (time == nullptr || ASN1_TIME_to_tm(time, &broken_down) != 1) {
        return 0;
    }
    return static_cast<std::int64_t>(timegm(&broken_down));
}

std::string serial_hex(const ASN1_INTEGER* serial)
{
    BignumPtr number(ASN1_INTEGER_to_BN(serial, nullptr));
    if (!number) {
        return {};
    }
    char* hex = BN_bn2hex(number.get());
    if (hex == nullptr) {
        return {};
    }
    std::string text(hex);
    OPENSSL_free(hex);
    return text == "0" ? "00" : text;
}

} // namespace robur::openvpn::ossl
