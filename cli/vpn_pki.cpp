// Registers the PKI commands of `robur vpn`: new, client add|revoke|export, crl renew, list
// and import.

#include <memory>

#include "cli/commands.hpp"
#include "cli/vpn_pki_commands.hpp"

namespace robur::cli {

namespace {

void add_new_command(CLI::App& vpn, Context& context)
{
    auto options = std::make_shared<VpnNewOptions>();
    auto* command = vpn.add_subcommand(
        "new", "Create vpn/NAME/ with server.conf, client.conf, a CA, the server certificate, "
               "a tls-crypt key and a first CRL, in one commit");
    command->add_option("NAME", options->name, "VPN name, the folder under vpn/")->required();
    command->add_option("--template", options->template_name,
                        "Config template: routed (default: clients reach the VPN subnet) or "
                        "full-tunnel (clients send all traffic through the VPN)");
    command->add_option("--algorithm", options->algorithm,
                        "Key type of the CA and every certificate: ecdsa (P-256, default), "
                        "ed25519 or rsa (3072 bits)")
        ->check(CLI::IsMember({"ecdsa", "ed25519", "rsa"}));
    command->add_option("--port", options->port, "Port the server listens on (default 1194)")
        ->check(CLI::Range(1, 65535));
    command->add_option("--proto", options->proto, "Transport: udp (default) or tcp")
        ->check(CLI::IsMember({"udp", "tcp"}));
    command->add_option("--remote", options->remote,
                        "Host name or address clients connect to, written to client.conf "
                        "(default vpn.example.com)");
    command->add_option("--network", options->network,
                        "IPv4 subnet of the tunnel in CIDR form (default 10.8.0.0/24)");
    command->add_option("--ca-days", options->ca_days, "CA validity in days (default 3650)")
        ->check(CLI::Range(1, 36500));
    command->add_option("--days", options->certificate_days,
                        "Server certificate validity in days (default 825)")
        ->check(CLI::Range(1, 36500));
    command->add_option("--crl-days", options->crl_days,
                        "Days until the CRL's next update (default 180)")
        ->check(CLI::Range(1, 3650));
    command->callback([&context, options] { context.exit_code = run_vpn_new(context, *options); });
}

void add_client_commands(CLI::App& vpn, Context& context)
{
    auto* client = vpn.add_subcommand("client", "Manage the client certificates of a VPN");
    client->require_subcommand(1);

    auto add_options = std::make_shared<VpnClientOptions>();
    auto* add = client->add_subcommand(
        "add", "Issue a key and a client certificate (extendedKeyUsage clientAuth) in one commit");
    add->add_option("NAME", add_options->name, "VPN name")->required();
    add->add_option("CLIENT", add_options->client,
                    "Client name, the certificate's CN: letters, digits, '.', '_', '-', '@'")
        ->required();
    add->add_option("--days", add_options->days, "Certificate validity in days (default 825)")
        ->check(CLI::Range(1, 36500));
    add->callback(
        [&context, add_options] { context.exit_code = run_vpn_client_add(context, *add_options); });

    auto revoke_options = std::make_shared<VpnClientOptions>();
    auto* revoke = client->add_subcommand(
        "revoke", "Revoke a client certificate: mark it in index.txt and re-issue the CRL, in "
                  "one commit");
    revoke->add_option("NAME", revoke_options->name, "VPN name")->required();
    revoke->add_option("CLIENT", revoke_options->client, "Client name")->required();
    revoke->add_option("--crl-days", revoke_options->crl_days,
                       "Days until the new CRL's next update (default 180)")
        ->check(CLI::Range(1, 3650));
    revoke->callback([&context, revoke_options] {
        context.exit_code = run_vpn_client_revoke(context, *revoke_options);
    });

    auto export_options = std::make_shared<VpnClientOptions>();
    auto* exporter = client->add_subcommand(
        "export", "Write a single-file .ovpn profile: client.conf, then the <ca>, <cert>, <key> "
                  "and <tls-crypt> blocks; it holds the private key");
    exporter->add_option("NAME", export_options->name, "VPN name")->required();
    exporter->add_option("CLIENT", export_options->client, "Client name")->required();
    exporter->add_option("-o,--output", export_options->output,
                         "File to write with mode 0600 (default: standard output)");
    exporter->callback([&context, export_options] {
        context.exit_code = run_vpn_client_export(context, *export_options);
    });
}

void add_crl_commands(CLI::App& vpn, Context& context)
{
    auto* crl = vpn.add_subcommand("crl", "Manage the certificate revocation list of a VPN");
    crl->require_subcommand(1);
    auto options = std::make_shared<VpnClientOptions>();
    auto* renew = crl->add_subcommand(
        "renew", "Re-issue the CRL with a new number and next update, in one commit; openvpn "
                 "rejects every client once the CRL's next update has passed");
    renew->add_option("NAME", options->name, "VPN name")->required();
    renew->add_option("--crl-days", options->crl_days,
                      "Days until the CRL's next update (default 180)")
        ->check(CLI::Range(1, 3650));
    renew->callback(
        [&context, options] { context.exit_code = run_vpn_crl_renew(context, *options); });
}

void add_list_and_import(CLI::App& vpn, Context& context)
{
    auto name = std::make_shared<std::string>();
    auto* list = vpn.add_subcommand(
        "list", "List VPNs with their CA expiry, CRL next update and certificates");
    list->add_option("NAME", *name, "Only this VPN");
    list->callback([&context, name] { context.exit_code = run_vpn_list(context, *name); });

    auto options = std::make_shared<VpnImportOptions>();
    auto* import = vpn.add_subcommand(
        "import", "Take an existing server config and easy-rsa pki folder into vpn/NAME/, "
                  "rewriting its file paths, in one commit");
    import->add_option("NAME", options->name, "VPN name, the folder under vpn/")->required();
    import->add_option("--config", options->config, "The server config to import")
        ->required()
        ->check(CLI::ExistingFile);
    import->add_option("--easyrsa", options->easyrsa,
                       "easy-rsa 3 pki folder to take as vpn/NAME/pki/")
        ->check(CLI::ExistingDirectory);
    import->add_option("--remote", options->remote,
                       "Host name clients connect to, for client.conf (default vpn.example.com)");
    import->callback(
        [&context, options] { context.exit_code = run_vpn_import(context, *options); });
}

} // namespace

void add_vpn_pki_commands(CLI::App& vpn, Context& context)
{
    add_new_command(vpn, context);
    add_client_commands(vpn, context);
    add_crl_commands(vpn, context);
    add_list_and_import(vpn, context);
}

} // namespace robur::cli
