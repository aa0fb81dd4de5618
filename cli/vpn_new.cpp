// `robur vpn new NAME`: creates vpn/NAME/ with server.conf and client.conf from a template
// under templates/vpn/, a CA, the server certificate, the tls-crypt key and a first CRL, in
// one commit.

#include <arpa/inet.h>

#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "cli/embedded_templates.hpp"
#include "cli/vpn_pki_commands.hpp"
#include "cli/vpn_pki_common.hpp"
#include "formats/openvpn/checks.hpp"
#include "formats/openvpn/key_files.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace {

using namespace vpn_pki;

constexpr std::int64_t seconds_per_day = 86400;

struct Network {
    std::string address;
    std::string netmask;
};

// Parses an IPv4 network in CIDR form ("10.8.0.0/24") into openvpn's `server` arguments.
Result<Network> parse_network(const std::string& cidr)
{
    const auto slash = cidr.find('/');
    const auto invalid = [&](std::string_view why) {
        return make_error(Errc::usage, fmt::format("invalid --network '{}': {}", cidr, why));
    };
    if (slash == std::string::npos) {
        return invalid("expected ADDRESS/PREFIX such as 10.8.0.0/24");
    }
    in_addr address{};
    if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &address) != 1) {
        return invalid("the address is not an IPv4 address");
    }
    int prefix = 0;
    try {
        prefix = std::stoi(cidr.substr(slash + 1));
    } catch (const std::exception&) {
        prefix = -1;
    }
    // openvpn's `server` needs room for the server, clients and the broadcast address.
    if (prefix < 8 || prefix > 29) {
        return invalid("the prefix length must be 8 to 29");
    }
    const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    const std::uint32_t host = ntohl(address.s_addr);
    if ((host & ~mask) != 0) {
        return invalid("host bits are set; give the network address");
    }
    in_addr netmask{};
    netmask.s_addr = htonl(mask);
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &netmask, text, sizeof text);
    return Network{cidr.substr(0, slash), text};
}

// Returns the OpenSSL config of the installed easy-rsa, which `easyrsa init-pki` copies into
// every pki folder and easyrsa 3.1 needs there; nullopt when easy-rsa is not installed.
std::optional<std::string> installed_easyrsa_config()
{
    for (const char* path : {"/usr/share/easy-rsa/openssl-easyrsa.cnf",
                             "/usr/local/share/easy-rsa/openssl-easyrsa.cnf",
                             "/etc/easy-rsa/openssl-easyrsa.cnf"}) {
        std::ifstream stream(path, std::ios::binary);
        if (stream) {
            std::ostringstream content;
            content << stream.rdbuf();
            return content.str();
        }
    }
    return std::nullopt;
}

std::string substitute(std::string_view text, const std::map<std::string, std::string>& values)
{
    std::string result(text);
    for (const auto& [key, value] : values) {
        const std::string placeholder = "{{" + key + "}}";
        for (auto at = result.find(placeholder); at != std::string::npos;
             at = result.find(placeholder, at + value.size())) {
            result.replace(at, placeholder.size(), value);
        }
    }
    return result;
}

std::vector<std::string> template_names()
{
    std::vector<std::string> names;
    for (const auto& entry : embedded_templates()) {
        if (entry.path.starts_with("vpn/") && entry.path.ends_with("/server.conf")) {
            names.emplace_back(entry.path.substr(4, entry.path.size() - 4 - 12));
        }
    }
    return names;
}

// Returns server.conf and client.conf of the template, filled in.
Result<std::pair<std::string, std::string>> render_templates(const VpnNewOptions& options)
{
    const auto server = find_template(fmt::format("vpn/{}/server.conf", options.template_name));
    const auto client = find_template(fmt::format("vpn/{}/client.conf", options.template_name));
    if (!server || !client) {
        return make_error(Errc::usage, fmt::format("unknown template '{}': expected one of {}",
                                                   options.template_name,
                                                   fmt::join(template_names(), ", ")));
    }
    auto network = parse_network(options.network);
    if (!network) {
        return tl::unexpected(network.error());
    }
    const std::map<std::string, std::string> values = {
        {"name", options.name},        {"port", std::to_string(options.port)},
        {"proto", options.proto},      {"remote", options.remote},
        {"network", network->address}, {"netmask", network->netmask},
    };
    return std::pair{substitute(*server, values), substitute(*client, values)};
}

// Builds every file of the new VPN.
Result<std::vector<store::FileChange>> build_vpn(const VpnNewOptions& options, std::int64_t now)
{
    auto configs = render_templates(options);
    if (!configs) {
        return tl::unexpected(configs.error());
    }
    auto algorithm = openvpn::parse_key_algorithm(options.algorithm);
    if (!algorithm) {
        return make_error(Errc::usage, algorithm.error().message);
    }
    auto ca_key = openvpn::generate_private_key(*algorithm);
    if (!ca_key) {
        return tl::unexpected(ca_key.error());
    }
    auto ca = openvpn::create_ca_certificate(*ca_key, fmt::format("{} CA", options.name), now,
                                             now + options.ca_days * seconds_per_day);
    if (!ca) {
        return tl::unexpected(ca.error());
    }
    auto static_key = openvpn::generate_static_key();
    if (!static_key) {
        return tl::unexpected(static_key.error());
    }

    Pki pki{.folder = pki_folder(options.name),
            .issuer = {*ca, *ca_key},
            .algorithm = *algorithm,
            .index = {},
            .next_crl_number = 1};
    auto changes = issue_leaf(pki, "server", openvpn::CertificateRole::server,
                              options.certificate_days, now);
    if (!changes) {
        return tl::unexpected(changes.error());
    }
    auto crl = crl_changes(pki, options.crl_days, now);
    if (!crl) {
        return tl::unexpected(crl.error());
    }
    const std::string folder = vpn_folder(options.name);
    changes->insert(changes->end(), crl->begin(), crl->end());
    for (auto& change : index_changes(pki)) {
        changes->push_back(std::move(change));
    }
    changes->push_back({folder + "/server.conf", configs->first, store::mode_file});
    changes->push_back({folder + "/client.conf", configs->second, store::mode_file});
    changes->push_back({pki.folder + "/ca.crt", *ca, store::mode_file});
    changes->push_back({pki.folder + "/private/ca.key", *ca_key, store::mode_file});
    changes->push_back(
        {pki.folder + "/tls-crypt.key", openvpn::write_static_key(*static_key), store::mode_file});
    if (auto easyrsa_config = installed_easyrsa_config(); easyrsa_config) {
        changes->push_back({pki.folder + "/openssl-easyrsa.cnf", std::move(*easyrsa_config),
                            store::mode_file});
    }
    return changes;
}

void print_result(const Context& context, const VpnNewOptions& options, const std::string& commit)
{
    if (context.json) {
        fmt::print("{{\"vpn\":{},\"template\":{},\"algorithm\":{},\"commit\":{}}}\n",
                   zone::json_quote(options.name), zone::json_quote(options.template_name),
                   zone::json_quote(options.algorithm), zone::json_quote(commit));
        return;
    }
    fmt::print("created VPN {} in vpn/{}/ (template {}, {} keys), commit {}\n", options.name,
               options.name, options.template_name, options.algorithm, commit);
    fmt::print("next: robur vpn client add {} CLIENT; robur vpn client export {} CLIENT\n",
               options.name, options.name);
}

} // namespace

int run_vpn_new(const Context& context, const VpnNewOptions& options)
{
    if (auto valid = check_name("VPN name", options.name); !valid) {
        return report(valid.error());
    }
    auto opened = open_head(context);
    if (!opened) {
        return report(opened.error());
    }
    if (opened->snapshot && opened->snapshot->exists(vpn_folder(options.name))) {
        return report(Error{Errc::conflict,
                            fmt::format("VPN '{}' already exists in vpn/{}/", options.name,
                                        options.name),
                            std::nullopt});
    }

    auto changes = build_vpn(options, now_seconds());
    if (!changes) {
        return report(changes.error());
    }
    auto findings = check_new_files(vpn_folder(options.name), *changes);
    if (!findings) {
        return report(findings.error());
    }

    auto commit = commit_changes(opened->repository, opened->head, std::move(*changes),
                                 fmt::format("Create VPN {}\n\nTemplate {}, {} keys: CA, server "
                                             "certificate, tls-crypt key and a first CRL.",
                                             options.name, options.template_name,
                                             options.algorithm));
    if (!commit) {
        return report(commit.error());
    }
    print_result(context, options, *commit);
    return exit_ok;
}

} // namespace robur::cli
