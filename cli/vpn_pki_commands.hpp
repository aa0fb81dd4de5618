#pragma once

// The `robur vpn` PKI commands: options and entry points, registered by cli/vpn_pki.cpp.

#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/diagnostic.hpp"
#include "formats/openvpn/pki.hpp"
#include "store/commit.hpp"

namespace robur::cli {

struct VpnNewOptions {
    std::string name;
    std::string template_name = "routed";
    std::string algorithm = "ecdsa";
    int port = 1194;
    std::string proto = "udp";
    std::string remote = "vpn.example.com";
    std::string network = "10.8.0.0/24";
    int ca_days = openvpn::default_ca_days;
    int certificate_days = openvpn::default_certificate_days;
    int crl_days = openvpn::default_crl_days;
};

struct VpnClientOptions {
    std::string name;
    std::string client;
    int days = openvpn::default_certificate_days;
    int crl_days = openvpn::default_crl_days;
    std::string output; // export: -o FILE; empty means stdout
};

struct VpnImportOptions {
    std::string name;
    std::string config;  // path of an existing server.conf
    std::string easyrsa; // easy-rsa pki folder; empty: take the files the config names
    std::string remote = "vpn.example.com"; // host clients connect to, for client.conf
};

int run_vpn_new(const Context& context, const VpnNewOptions& options);
int run_vpn_client_add(const Context& context, const VpnClientOptions& options);
int run_vpn_client_revoke(const Context& context, const VpnClientOptions& options);
int run_vpn_client_export(const Context& context, const VpnClientOptions& options);
int run_vpn_crl_renew(const Context& context, const VpnClientOptions& options);
int run_vpn_list(const Context& context, const std::string& name);
int run_vpn_import(const Context& context, const VpnImportOptions& options);

// Parses and checks server.conf and client.conf of `folder` ("vpn/NAME") as they will be
// after `changes`, reading referenced files from the changes only. Prints every diagnostic on
// stderr. Errors: validation_failed when any is an error.
[[nodiscard]] Result<void> check_new_files(const std::string& folder,
                                           const std::vector<store::FileChange>& changes);

} // namespace robur::cli
