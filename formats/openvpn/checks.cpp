#include "formats/openvpn/checks.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "formats/openvpn/checks_context.hpp"

namespace robur::openvpn {

namespace detail {

void CheckContext::add(Severity severity, const Directive* directive, std::string message)
{
    SourceLocation where{std::string(path), 0, 0};
    if (directive != nullptr) {
        where = directive->where;
    }
    diagnostics.push_back(Diagnostic{severity, std::move(where), std::move(message)});
}

void CheckContext::error(const Directive* directive, std::string message)
{
    add(Severity::error, directive, std::move(message));
}

void CheckContext::warning(const Directive* directive, std::string message)
{
    add(Severity::warning, directive, std::move(message));
}

} // namespace detail

namespace {

using detail::CheckContext;
using detail::Mode;

// openvpn 2.6's --data-ciphers when the config sets none.
constexpr std::string_view default_data_ciphers = "AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305";

// Cipher families OpenSSL 3 moved to its legacy provider, which openvpn does not load.
constexpr std::array<std::string_view, 6> legacy_cipher_prefixes = {"BF-",  "CAST5-", "DES-",
                                                                    "RC2-", "SEED-",  "IDEA-"};

// Options that run a script when openvpn starts, and those that run one per client or event.
constexpr std::array<std::string_view, 2> startup_scripts = {"up", "route-up"};
constexpr std::array<std::string_view, 9> event_scripts = {
    "down",           "route-pre-down", "ipchange",          "client-connect",
    "client-disconnect", "learn-address",  "auth-user-pass-verify", "tls-verify",
    "client-crresponse"};

std::string upper(std::string_view text)
{
    std::string result(text);
    for (auto& c : result) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return result;
}

bool list_contains(std::string_view list, std::string_view cipher)
{
    const std::string wanted = upper(cipher);
    std::size_t start = 0;
    while (start <= list.size()) {
        auto end = list.find(':', start);
        if (end == std::string_view::npos) {
            end = list.size();
        }
        if (upper(list.substr(start, end - start)) == wanted) {
            return true;
        }
        start = end + 1;
    }
    return false;
}

bool is_legacy_cipher(std::string_view cipher)
{
    const std::string name = upper(cipher);
    return std::ranges::any_of(legacy_cipher_prefixes,
                               [&](std::string_view prefix) { return name.starts_with(prefix); });
}

Mode derive_mode(const Config& config)
{
    Mode mode;
    const Directive* mode_option = config.find("mode");
    mode.server = config.find("server") != nullptr || config.find("server-bridge") != nullptr ||
                  (mode_option != nullptr && !mode_option->args.empty() &&
                   mode_option->args[0] == "server");
    mode.client = config.find("client") != nullptr;
    // `server` implies tls-server and `client` implies tls-client (openvpn's helper options).
    mode.tls_server = config.find("tls-server") != nullptr || config.find("server") != nullptr ||
                      config.find("server-bridge") != nullptr;
    mode.tls_client = config.find("tls-client") != nullptr || mode.client;
    mode.static_key = config.find("secret") != nullptr;
    return mode;
}

void check_encryption(CheckContext& context)
{
    const Mode& mode = context.mode;
    if (!mode.tls() && !mode.static_key) {
        context.error(context.find("dev"),
                      "cleartext tunnel: neither TLS (client, server, tls-client, tls-server) nor "
                      "a static key (secret) is configured, so traffic is neither encrypted nor "
                      "authenticated");
        return;
    }

    const Directive* cipher = context.find("cipher");
    if (mode.static_key && !mode.tls()) {
        const Directive* secret = context.find("secret");
        context.warning(secret, "static-key mode (secret) is deprecated in openvpn 2.6 and "
                                "removed in 2.7; use TLS with tls-crypt instead");
        if (cipher == nullptr) {
            context.error(secret, "static-key mode without a cipher: openvpn 2.6 then uses "
                                  "BF-CBC, which OpenSSL 3 does not provide; add 'cipher "
                                  "AES-256-CBC' on both peers");
        } else if (!cipher->args.empty() && is_legacy_cipher(cipher->args[0])) {
            context.error(cipher, fmt::format("cipher '{}' is not available in OpenSSL 3 "
                                              "without the legacy provider",
                                              cipher->args[0]));
        }
        return;
    }

    if (cipher == nullptr || cipher->args.empty() || upper(cipher->args[0]) == "NONE") {
        return;
    }
    const Directive* data_ciphers = context.find("data-ciphers");
    if (data_ciphers == nullptr) {
        data_ciphers = context.find("ncp-ciphers");
    }
    const std::string_view list = data_ciphers != nullptr && !data_ciphers->args.empty()
                                      ? std::string_view(data_ciphers->args[0])
                                      : default_data_ciphers;
    if (!list_contains(list, cipher->args[0])) {
        context.warning(cipher,
                        fmt::format("cipher '{}' is missing in data-ciphers ({}), so openvpn "
                                    "ignores it for cipher negotiation; add it to data-ciphers "
                                    "or data-ciphers-fallback for old peers",
                                    cipher->args[0], list));
    }
}

void check_compression(CheckContext& context)
{
    for (const Directive* option : context.config.find_all("comp-lzo")) {
        if (!option->args.empty() && option->args[0] == "no") {
            continue;
        }
        context.warning(option, "compression enabled (comp-lzo): compressed traffic leaks "
                                "content through packet sizes (VORACLE); openvpn 2.6 only "
                                "decompresses received packets unless allow-compression yes");
    }
    for (const Directive* option : context.config.find_all("compress")) {
        if (option->args.empty() || option->args[0].starts_with("stub")) {
            continue;
        }
        context.warning(option, fmt::format("compression enabled (compress {}): compressed "
                                            "traffic leaks content through packet sizes "
                                            "(VORACLE)",
                                            option->args[0]));
    }
    const Directive* allow = context.find("allow-compression");
    if (allow != nullptr && !allow->args.empty() && allow->args[0] == "yes") {
        context.warning(allow, "allow-compression yes also compresses sent packets, which "
                               "exposes the tunnel to VORACLE attacks");
    }
}

void check_server_options(CheckContext& context)
{
    const Mode& mode = context.mode;
    if (mode.server) {
        for (const Directive* remote : context.config.find_all("remote")) {
            context.error(remote, "remote cannot be used in server mode");
        }
    }
    if (mode.tls_server) {
        if (!context.has("dh")) {
            context.error(nullptr, "a TLS server needs a dh option ('dh none' uses ECDH only)");
        }
        if (!context.has("cert") && !context.has("pkcs12")) {
            context.error(nullptr, "a TLS server needs a certificate (cert or pkcs12)");
        }
        if (!context.has("key") && !context.has("pkcs12")) {
            context.error(nullptr, "a TLS server needs a private key (key or pkcs12)");
        }
        const Directive* verify = context.find("verify-client-cert");
        if (verify != nullptr && !verify->args.empty() && verify->args[0] == "none") {
            context.warning(verify, "verify-client-cert none lets clients in without a "
                                    "certificate; only a plugin or script authenticates them");
        }
        const Directive* remote_tls = context.find("remote-cert-tls");
        if (remote_tls != nullptr && !remote_tls->args.empty() && remote_tls->args[0] == "server") {
            context.error(remote_tls, "remote-cert-tls server on a TLS server rejects every "
                                      "client; clients check the server with it, a server uses "
                                      "remote-cert-tls client");
        }
    }
    if (!mode.server) {
        for (const std::string_view name :
             {"client-config-dir", "ifconfig-pool", "duplicate-cn", "client-to-client"}) {
            if (const Directive* option = context.find(name); option != nullptr) {
                context.warning(option,
                                fmt::format("{} has no effect outside server mode", name));
            }
        }
    }
}

void check_client_options(CheckContext& context)
{
    const Mode& mode = context.mode;
    if (!mode.tls_client) {
        return;
    }
    if (const Directive* dh = context.find("dh"); dh != nullptr) {
        context.warning(dh, "dh is ignored by a TLS client; only the server uses it");
    }
    const bool verifies_server = context.has("remote-cert-tls") ||
                                 context.has("verify-x509-name") ||
                                 context.has("peer-fingerprint") || context.has("tls-verify") ||
                                 context.has("remote-cert-eku") || context.has("remote-cert-ku");
    if (!verifies_server) {
        context.warning(context.find("client") != nullptr ? context.find("client")
                                                          : context.find("tls-client"),
                        "no server certificate verification: any certificate the CA signed, a "
                        "client's too, can impersonate the server; add 'remote-cert-tls server'");
    }
    if (mode.client && !context.has("remote")) {
        bool in_connection = false;
        for (const auto& directive : context.config.directives) {
            in_connection = in_connection || (directive.name == "remote" && directive.connection >= 0);
        }
        if (!in_connection) {
            context.error(context.find("client"), "a client needs a remote option");
        }
    }
}

void check_consistency(CheckContext& context)
{
    const Mode& mode = context.mode;
    if (mode.client && mode.server) {
        context.error(context.find("client"), "client and server mode are both set");
    }
    if (context.has("tls-server") && context.has("tls-client")) {
        context.error(context.find("tls-client"), "tls-server and tls-client are both set");
    }
    if (context.has("tls-auth") && context.has("tls-crypt")) {
        context.error(context.find("tls-crypt"), "tls-auth and tls-crypt exclude each other");
    }
    if (!context.has("dev")) {
        context.error(nullptr, "a TUN/TAP device is required (dev)");
    }
    check_server_options(context);
    check_client_options(context);
}

void check_scripts(CheckContext& context)
{
    const Directive* security = context.find("script-security");
    const bool allowed = security != nullptr && !security->args.empty() &&
                         security->args[0] != "0" && security->args[0] != "1";
    if (allowed) {
        return;
    }
    for (const std::string_view name : startup_scripts) {
        if (const Directive* option = context.find(name); option != nullptr) {
            context.error(option, fmt::format("{} runs a script, which script-security below 2 "
                                              "forbids, so openvpn stops at start; add "
                                              "'script-security 2'",
                                              name));
        }
    }
    for (const std::string_view name : event_scripts) {
        if (const Directive* option = context.find(name); option != nullptr) {
            context.warning(option, fmt::format("{} runs a script, which script-security below "
                                                "2 forbids; add 'script-security 2'",
                                                name));
        }
    }
}

} // namespace

std::vector<Diagnostic> check_config(const Config& config, std::string_view path,
                                     const FileReader& read_file, const CheckOptions& options)
{
    CheckContext context{.config = config,
                         .path = path,
                         .read_file = read_file,
                         .now = options.now != 0 ? options.now
                                                 : static_cast<std::int64_t>(std::time(nullptr)),
                         .mode = derive_mode(config),
                         .diagnostics = {}};

    check_encryption(context);
    check_compression(context);
    check_consistency(context);
    check_scripts(context);
    detail::check_files(context);

    return std::move(context.diagnostics);
}

} // namespace robur::openvpn
