// The file half of check_config: referenced files exist, have the right format, and the
// certificates, key and CRL in them fit together and are within their validity periods.

#include <array>
#include <ctime>
#include <optional>

#include <openssl/x509v3.h>

#include <fmt/format.h>

#include "formats/openvpn/checks_context.hpp"
#include "formats/openvpn/key_files.hpp"
#include "formats/openvpn/pki.hpp"

namespace robur::openvpn::detail {

namespace {

constexpr std::int64_t seconds_per_day = 86400;

// The content a file option expects; `kind` is nullopt for files only checked to exist.
struct FileOption {
    std::string_view name;
    std::optional<KeyFileKind> kind;
};

constexpr std::array<FileOption, 12> file_options = {{
    {"ca", KeyFileKind::certificates},
    {"cert", KeyFileKind::certificates},
    {"extra-certs", KeyFileKind::certificates},
    {"key", KeyFileKind::private_key},
    {"crl-verify", KeyFileKind::crl},
    {"dh", KeyFileKind::dh_parameters},
    {"secret", KeyFileKind::static_key},
    {"tls-auth", KeyFileKind::static_key},
    {"tls-crypt", KeyFileKind::static_key},
    {"tls-crypt-v2", KeyFileKind::tls_crypt_v2_any},
    {"pkcs12", std::nullopt},
    {"auth-user-pass", std::nullopt},
}};

// A referenced file's content and where its first line sits (the line after <tag> for an
// inline block, line 1 of the file otherwise).
struct LoadedFile {
    std::string content;
    std::string path;
    std::uint32_t first_line = 1;
};

bool names_no_file(const Directive& directive)
{
    if (directive.name == "dh" && directive.args.size() == 1 && directive.args[0] == "none") {
        return true;
    }
    if (directive.name == "crl-verify" && directive.args.size() >= 2 &&
        directive.args[1] == "dir") {
        return true;
    }
    // `auth-user-pass` alone and `auth-user-pass stdin` prompt on the terminal.
    return directive.name == "auth-user-pass" &&
           (directive.args.empty() || directive.args[0] == "stdin");
}

// Resolves a path as openvpn does: relative to its working folder, which `cd` changes before
// any file is read.
std::string resolve(const CheckContext& context, const std::string& written)
{
    const Directive* cd = context.find("cd");
    if (written.starts_with('/') || cd == nullptr || cd->args.empty()) {
        return written;
    }
    std::string folder = cd->args[0];
    if (!folder.ends_with('/')) {
        folder += '/';
    }
    return folder + written;
}

std::optional<LoadedFile> load(CheckContext& context, const Directive& directive)
{
    if (directive.inline_content) {
        return LoadedFile{*directive.inline_content, directive.where.path,
                          directive.where.line + 1};
    }
    // A marker such as `ca [inline]` without its <ca> block names a file, as openvpn reads it.
    if (directive.args.empty() || names_no_file(directive)) {
        return std::nullopt;
    }
    const std::string path = resolve(context, directive.args[0]);
    auto content = context.read_file(path);
    if (!content) {
        context.error(&directive, fmt::format("{}: file '{}' not found", directive.name, path));
        return std::nullopt;
    }
    return LoadedFile{std::move(*content), path, 1};
}

void check_format(CheckContext& context, const Directive& directive, KeyFileKind kind,
                  const LoadedFile& file)
{
    if (kind == KeyFileKind::tls_crypt_v2_any && context.mode.tls_server) {
        kind = KeyFileKind::tls_crypt_v2_server;
    } else if (kind == KeyFileKind::tls_crypt_v2_any && context.mode.tls_client) {
        kind = KeyFileKind::tls_crypt_v2_client;
    }
    for (auto diagnostic : check_key_file(kind, file.content, file.path)) {
        // Lines of an inline block count from the config's line after <tag>.
        if (diagnostic.where.line != 0) {
            diagnostic.where.line += file.first_line - 1;
        }
        diagnostic.where.path = file.path;
        diagnostic.message = fmt::format("{} ({}): {}", directive.name,
                                         directive.inline_content ? "inline" : "file",
                                         diagnostic.message);
        context.diagnostics.push_back(std::move(diagnostic));
    }
}

std::string format_date(std::int64_t unix_seconds)
{
    const auto seconds = static_cast<std::time_t>(unix_seconds);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    return fmt::format("{:04}-{:02}-{:02}", parts.tm_year + 1900, parts.tm_mon + 1,
                       parts.tm_mday);
}

void check_validity(CheckContext& context, const Directive& directive,
                    const CertificateInfo& certificate)
{
    const std::string subject = certificate.subject.empty() ? "certificate" : certificate.subject;
    if (certificate.not_after < context.now) {
        context.error(&directive, fmt::format("{}: certificate {} expired on {}", directive.name,
                                              subject, format_date(certificate.not_after)));
    } else if (certificate.not_after < context.now + certificate_warning_days * seconds_per_day) {
        context.warning(&directive, fmt::format("{}: certificate {} expires on {}, within {} days",
                                                directive.name, subject,
                                                format_date(certificate.not_after),
                                                certificate_warning_days));
    }
    if (certificate.not_before > context.now) {
        context.error(&directive, fmt::format("{}: certificate {} is not valid before {}",
                                              directive.name, subject,
                                              format_date(certificate.not_before)));
    }
}

void check_purpose(CheckContext& context, const Directive& directive,
                   const CertificateInfo& certificate)
{
    if (certificate.is_ca) {
        context.warning(&directive, "cert: the certificate is a CA certificate, not a server "
                                    "or client certificate");
    }
    const bool server = context.mode.tls_server;
    const std::uint32_t expected_purpose = server ? XKU_SSL_SERVER : XKU_SSL_CLIENT;
    const char* purpose = server ? "serverAuth" : "clientAuth";
    const char* peer_option = server ? "remote-cert-tls server" : "remote-cert-tls client";
    if (!certificate.extended_key_usage || (*certificate.extended_key_usage & expected_purpose) == 0) {
        context.warning(&directive,
                        fmt::format("cert: certificate {} lacks extendedKeyUsage {}, so peers "
                                    "using {} reject it",
                                    certificate.subject, purpose, peer_option));
    }
    if (!certificate.key_usage) {
        context.warning(&directive,
                        fmt::format("cert: certificate {} has no keyUsage, so peers using {} "
                                    "reject it",
                                    certificate.subject, peer_option));
    }
}

void check_certificate(CheckContext& context, const Directive& directive,
                       const LoadedFile& file, const std::optional<LoadedFile>& ca)
{
    auto certificate = read_certificate_info(file.content);
    if (!certificate) {
        return; // check_format reported it
    }
    check_validity(context, directive, *certificate);
    if (context.mode.tls()) {
        check_purpose(context, directive, *certificate);
    }
    if (!ca) {
        return;
    }
    auto verified = verify_certificate(ca->content, file.content, context.now);
    if (!verified && verified.error().code == Errc::validation_failed &&
        verified.error().message.find("expired") == std::string::npos &&
        verified.error().message.find("not yet valid") == std::string::npos) {
        context.error(&directive, fmt::format("cert: certificate {} does not verify against "
                                              "the ca: {}",
                                              certificate->subject, verified.error().message));
    }
}

void check_ca(CheckContext& context, const Directive& directive, const LoadedFile& file)
{
    auto bundle = read_certificate_bundle(file.content);
    if (!bundle) {
        return;
    }
    for (const auto& certificate : *bundle) {
        check_validity(context, directive, certificate);
        if (!certificate.is_ca) {
            context.warning(&directive, fmt::format("ca: certificate {} is not a CA certificate",
                                                    certificate.subject));
        }
    }
}

void check_crl(CheckContext& context, const Directive& directive, const LoadedFile& file,
               const std::optional<LoadedFile>& ca)
{
    auto crl = read_crl_info(file.content);
    if (!crl) {
        return;
    }
    if (ca) {
        auto signed_by = crl_signed_by(file.content, ca->content);
        if (signed_by && !*signed_by) {
            context.error(&directive, "crl-verify: the CRL is not signed by the ca, so openvpn "
                                      "rejects every client certificate");
        }
    }
    if (!crl->next_update) {
        return;
    }
    const std::int64_t next = *crl->next_update;
    if (next < context.now) {
        context.error(&directive, fmt::format("crl-verify: the CRL expired on {} (nextUpdate), "
                                              "so openvpn rejects every client; renew it with "
                                              "'robur vpn crl renew'",
                                              format_date(next)));
    } else if (next < context.now + crl_warning_days * seconds_per_day) {
        context.warning(&directive, fmt::format("crl-verify: the CRL expires on {} "
                                                "(nextUpdate), within {} days; renew it with "
                                                "'robur vpn crl renew'",
                                                format_date(next), crl_warning_days));
    }
}

void check_key_match(CheckContext& context, const Directive& key_directive,
                     const LoadedFile& key, const LoadedFile& certificate)
{
    auto matches = key_matches_certificate(certificate.content, key.content);
    if (matches && !*matches) {
        context.error(&key_directive, "key: the private key does not match the certificate "
                                      "given by cert");
    }
}

} // namespace

void check_files(CheckContext& context)
{
    std::optional<LoadedFile> ca;
    std::optional<LoadedFile> certificate;
    std::optional<LoadedFile> key;
    for (const FileOption& option : file_options) {
        const Directive* directive = context.find(option.name);
        if (directive == nullptr) {
            continue;
        }
        auto file = load(context, *directive);
        if (!file) {
            continue;
        }
        if (option.kind) {
            check_format(context, *directive, *option.kind, *file);
        }
        if (option.name == "ca") {
            check_ca(context, *directive, *file);
            ca = std::move(file);
        } else if (option.name == "cert") {
            check_certificate(context, *directive, *file, ca);
            certificate = std::move(file);
        } else if (option.name == "key") {
            key = std::move(file);
        } else if (option.name == "crl-verify") {
            check_crl(context, *directive, *file, ca);
        }
    }
    if (key && certificate) {
        check_key_match(context, *context.find("key"), *key, *certificate);
    }
}

} // namespace robur::openvpn::detail
