// check_key_file: the format check of every file kind a config references.

#include <openssl/dh.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <fmt/format.h>

#include "formats/openvpn/key_files.hpp"
#include "formats/openvpn/openssl_handles.hpp"

namespace robur::openvpn {

namespace {

Diagnostic error_at(std::string_view path, std::uint32_t line, std::string message)
{
    return Diagnostic{Severity::error, {std::string(path), line, 0}, std::move(message)};
}

Diagnostic from_error(const Error& error, std::string_view path)
{
    return Diagnostic{Severity::error,
                      error.where.value_or(SourceLocation{std::string(path), 0, 0}),
                      error.message};
}

// Private key labels OpenSSL reads: PKCS#8 (plain and encrypted) and the traditional forms.
bool is_private_key_label(std::string_view label)
{
    return label == "PRIVATE KEY" || label == "ENCRYPTED PRIVATE KEY" ||
           label == "RSA PRIVATE KEY" || label == "EC PRIVATE KEY";
}

bool decodes_as(std::string_view label, std::string_view text)
{
    auto bio = ossl::memory_reader(text);
    bool ok = false;
    if (label == "CERTIFICATE") {
        ok = ossl::X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) != nullptr;
    } else if (label == "X509 CRL") {
        ok = ossl::CrlPtr(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) != nullptr;
    } else if (label == "DH PARAMETERS") {
        ok = ossl::PkeyPtr(PEM_read_bio_Parameters(bio.get(), nullptr)) != nullptr;
    } else {
        ok = true;
    }
    ERR_clear_error();
    return ok;
}

// Returns the text of one block, so OpenSSL can decode it on its own.
std::string block_text(std::string_view text, const PemBlock& block)
{
    std::string result;
    std::uint32_t line = 1;
    std::size_t start = 0;
    while (start < text.size() && line <= block.end_line) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        if (line >= block.begin_line) {
            result.append(text.substr(start, end - start));
            result += '\n';
        }
        start = end + 1;
        ++line;
    }
    return result;
}

std::vector<Diagnostic> check_pem(std::string_view text, std::string_view path,
                                  KeyFileKind kind)
{
    auto blocks = parse_pem_blocks(text, path);
    if (!blocks) {
        return {from_error(blocks.error(), path)};
    }

    std::vector<Diagnostic> diagnostics;
    std::size_t matching = 0;
    for (const auto& block : *blocks) {
        const bool expected = (kind == KeyFileKind::certificates && block.label == "CERTIFICATE") ||
                            (kind == KeyFileKind::private_key && is_private_key_label(block.label)) ||
                            (kind == KeyFileKind::crl && block.label == "X509 CRL") ||
                            (kind == KeyFileKind::dh_parameters && block.label == "DH PARAMETERS");
        if (!expected) {
            continue;
        }
        ++matching;
        if (!decodes_as(block.label, block_text(text, block))) {
            diagnostics.push_back(error_at(
                path, block.begin_line,
                fmt::format("invalid {} block: its content is not valid DER", block.label)));
        }
    }
    if (matching == 0 && diagnostics.empty()) {
        const char* expected_label = kind == KeyFileKind::certificates  ? "CERTIFICATE"
                               : kind == KeyFileKind::private_key ? "PRIVATE KEY"
                               : kind == KeyFileKind::crl         ? "X509 CRL"
                                                                  : "DH PARAMETERS";
        diagnostics.push_back(
            error_at(path, 1, fmt::format("no '-----BEGIN {}-----' block found", expected_label)));
    }
    if (kind == KeyFileKind::private_key && matching > 1) {
        diagnostics.push_back(error_at(path, 1, "more than one private key in the file"));
    }
    return diagnostics;
}

} // namespace

std::vector<Diagnostic> check_key_file(KeyFileKind kind, std::string_view text,
                                       std::string_view path)
{
    switch (kind) {
    case KeyFileKind::static_key: {
        auto key = parse_static_key(text, path);
        return key ? std::vector<Diagnostic>{} : std::vector{from_error(key.error(), path)};
    }
    case KeyFileKind::tls_crypt_v2_server: {
        auto key = parse_tls_crypt_v2_server_key(text, path);
        return key ? std::vector<Diagnostic>{} : std::vector{from_error(key.error(), path)};
    }
    case KeyFileKind::tls_crypt_v2_client: {
        auto key = parse_tls_crypt_v2_client_key(text, path);
        return key ? std::vector<Diagnostic>{} : std::vector{from_error(key.error(), path)};
    }
    case KeyFileKind::tls_crypt_v2_any: {
        if (text.find("tls-crypt-v2 server key") != std::string_view::npos) {
            return check_key_file(KeyFileKind::tls_crypt_v2_server, text, path);
        }
        return check_key_file(KeyFileKind::tls_crypt_v2_client, text, path);
    }
    case KeyFileKind::certificates:
    case KeyFileKind::private_key:
    case KeyFileKind::crl:
    case KeyFileKind::dh_parameters:
        return check_pem(text, path, kind);
    }
    return {};
}

} // namespace robur::openvpn
