#pragma once

// Shared state of one check_config run, private to formats/openvpn.

#include <string>
#include <string_view>
#include <vector>

#include "formats/openvpn/checks.hpp"

namespace robur::openvpn::detail {

// The peer role the config gives openvpn, derived from its options.
struct Mode {
    bool server = false;     // `server`, `server-bridge` or `mode server`: multi-client
    bool client = false;     // `client` (tls-client + pull)
    bool tls_server = false; // TLS, acting as the TLS server
    bool tls_client = false; // TLS, acting as the TLS client
    bool static_key = false; // `secret`

    [[nodiscard]] bool tls() const { return tls_server || tls_client; }
};

struct CheckContext {
    const Config& config;
    std::string_view path;
    const FileReader& read_file;
    std::int64_t now = 0;
    Mode mode;
    std::vector<Diagnostic> diagnostics;

    void error(const Directive* directive, std::string message);
    void warning(const Directive* directive, std::string message);
    void add(Severity severity, const Directive* directive, std::string message);
    [[nodiscard]] const Directive* find(std::string_view name) const
    {
        return config.find(name);
    }
    [[nodiscard]] bool has(std::string_view name) const { return config.find(name) != nullptr; }
};

// Checks of the referenced files: existence, formats, certificates, keys and the CRL.
void check_files(CheckContext& context);

} // namespace robur::openvpn::detail
