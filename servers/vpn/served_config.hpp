#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "formats/openvpn/config.hpp"

namespace robur::vpn {

// An address and port openvpn listens on, from `--listen ADDR:PORT`.
struct ListenAddress {
    std::string address; // numeric IPv4 or IPv6 address, without brackets
    std::uint16_t port = 0;
    bool ipv6 = false;

    // "127.0.0.1:1194" or "[::1]:1194".
    [[nodiscard]] std::string to_string() const;
};

// Parses "ADDRESS:PORT", with an IPv6 address in brackets ("[::1]:1194"). The port must be
// 1 to 65535. Errors: invalid_argument for anything else, host names included.
[[nodiscard]] Result<ListenAddress> parse_listen_address(std::string_view text);

// Changes `robur serve vpn` makes to the server config before openvpn reads it.
struct ServeOverrides {
    std::optional<ListenAddress> listen; // replaces local, port and lport; sets the proto family
    bool dev_null = false;               // runs openvpn without a tun/tap device
};

// The config openvpn is started with, and one line per change made to the committed one.
struct ServedConfig {
    std::string text;
    std::vector<std::string> changes;
};

// Writes `config` as one self-contained file for openvpn, with `config` includes expanded in
// place. Options that would stop openvpn from running under a supervisor (daemon, log,
// log-append, syslog, cd) are left out, so openvpn stays in the foreground and writes its log
// to its standard output. Then applies `overrides`:
//  - listen: `local ADDR` and `lport PORT`, and the proto turned into its udp4/udp6 or
//    tcp4-server/tcp6-server form for the address family;
//  - dev_null: `dev null`, and because openvpn 2.6 runs `mode server` only on a tun or tap
//    device, `server` and `mode server` become `tls-server` (point-to-point TLS, one client
//    at a time). Options that need `mode server` or that change the host's interfaces,
//    routes or run interface scripts are left out; TLS, ca, cert, key, crl-verify, tls-auth,
//    tls-crypt, tls-verify, verify-x509-name, remote-cert-tls and push options stay as written.
// Errors: invalid_argument when a rewritten line would exceed openvpn's 256-byte line limit.
[[nodiscard]] Result<ServedConfig> make_served_config(const openvpn::Config& config,
                                                      const ServeOverrides& overrides);

} // namespace robur::vpn
