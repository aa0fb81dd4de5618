#pragma once

// OpenSSL handles owned by unique_ptr, and PEM conversion helpers shared by the PKI code.
// Private to formats/openvpn.

#include <memory>
#include <string>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace robur::openvpn::ossl {

struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct PkeyContextFree {
    void operator()(EVP_PKEY_CTX* context) const { EVP_PKEY_CTX_free(context); }
};
struct X509Free {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
struct CrlFree {
    void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
};
struct RevokedFree {
    void operator()(X509_REVOKED* entry) const { X509_REVOKED_free(entry); }
};
struct RequestFree {
    void operator()(X509_REQ* request) const { X509_REQ_free(request); }
};
struct NameFree {
    void operator()(X509_NAME* name) const { X509_NAME_free(name); }
};
struct IntegerFree {
    void operator()(ASN1_INTEGER* value) const { ASN1_INTEGER_free(value); }
};
struct TimeFree {
    void operator()(ASN1_TIME* value) const { ASN1_TIME_free(value); }
};
struct BignumFree {
    void operator()(BIGNUM* value) const { BN_free(value); }
};
struct ExtensionFree {
    void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};
struct StoreFree {
    void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreContextFree {
    void operator()(X509_STORE_CTX* context) const { X509_STORE_CTX_free(context); }
};

using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyContextPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyContextFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;
using RevokedPtr = std::unique_ptr<X509_REVOKED, RevokedFree>;
using RequestPtr = std::unique_ptr<X509_REQ, RequestFree>;
using NamePtr = std::unique_ptr<X509_NAME, NameFree>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, IntegerFree>;
using TimePtr = std::unique_ptr<ASN1_TIME, TimeFree>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumFree>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, ExtensionFree>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;
using StoreContextPtr = std::unique_ptr<X509_STORE_CTX, StoreContextFree>;

// Returns a read-only memory BIO over `text`, which must outlive it.
BioPtr memory_reader(std::string_view text);

// Returns the bytes written to a memory BIO.
std::string memory_contents(BIO* bio);

// Returns OpenSSL's last error as one line and clears the error queue.
std::string last_error();

// Parses the first PEM object of each kind in `text`; nullptr when there is none.
PkeyPtr read_private_key(std::string_view pem);
X509Ptr read_certificate(std::string_view pem);
CrlPtr read_crl(std::string_view pem);

// Converts an ASN1_TIME to Unix seconds; 0 when it cannot be converted.
std::int64_t to_unix_time(const ASN1_TIME* time);

// Formats an ASN1_INTEGER serial as upper-case hexadecimal without separators, as easy-rsa
// names files under certs_by_serial/ and writes index.txt.
std::string serial_hex(const ASN1_INTEGER* serial);

} // namespace robur::openvpn::ossl
