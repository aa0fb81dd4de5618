// `robur vpn client add|revoke NAME CLIENT` and `robur vpn crl renew NAME`: each changes the
// VPN's pki/ folder as easy-rsa 3 would, in one commit.

#include <algorithm>

#include <fmt/format.h>

#include "cli/vpn_pki_commands.hpp"
#include "cli/vpn_pki_common.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace {

using namespace vpn_pki;

// Opens HEAD and loads the PKI of VPN `name`.
struct Loaded {
    Opened opened;
    Pki pki;
};

Result<Loaded> load(const Context& context, const VpnClientOptions& options, bool with_client)
{
    if (auto valid = check_name("VPN name", options.name); !valid) {
        return tl::unexpected(valid.error());
    }
    if (with_client) {
        if (auto valid = check_name("client name", options.client); !valid) {
            return tl::unexpected(valid.error());
        }
    }
    auto opened = open_head(context);
    if (!opened) {
        return tl::unexpected(opened.error());
    }
    if (!opened->snapshot) {
        return make_error(Errc::not_found,
                          fmt::format("VPN '{}' not found: the branch has no commits",
                                      options.name));
    }
    auto pki = load_pki(*opened->snapshot, options.name);
    if (!pki) {
        return tl::unexpected(pki.error());
    }
    return Loaded{std::move(*opened), std::move(*pki)};
}

// The files easy-rsa moves under revoked/ when it revokes a certificate.
std::vector<store::FileChange> move_to_revoked(const store::Snapshot& snapshot,
                                               const std::string& folder,
                                               const std::string& client,
                                               const std::string& serial)
{
    const std::vector<std::pair<std::string, std::string>> moves = {
        {fmt::format("issued/{}.crt", client), fmt::format("revoked/certs_by_serial/{}.crt", serial)},
        {fmt::format("private/{}.key", client),
         fmt::format("revoked/private_by_serial/{}.key", serial)},
        {fmt::format("reqs/{}.req", client), fmt::format("revoked/reqs_by_serial/{}.req", serial)},
    };
    std::vector<store::FileChange> changes;
    for (const auto& [from, to] : moves) {
        auto content = snapshot.read(fmt::format("{}/{}", folder, from));
        if (!content) {
            continue;
        }
        changes.push_back({fmt::format("{}/{}", folder, from), std::nullopt, store::mode_file});
        changes.push_back({fmt::format("{}/{}", folder, to), std::move(*content), store::mode_file});
    }
    const std::string by_serial = fmt::format("{}/certs_by_serial/{}.pem", folder, serial);
    if (snapshot.exists(by_serial)) {
        changes.push_back({by_serial, std::nullopt, store::mode_file});
    }
    return changes;
}

void print_client(const Context& context, std::string_view action, const VpnClientOptions& options,
                  const openvpn::IndexEntry& entry, const std::string& commit)
{
    if (context.json) {
        fmt::print("{{\"vpn\":{},\"client\":{},\"action\":{},\"serial\":{},\"expires\":{},"
                   "\"commit\":{}}}\n",
                   zone::json_quote(options.name), zone::json_quote(options.client),
                   zone::json_quote(action), zone::json_quote(entry.serial),
                   zone::json_quote(format_time(entry.expires_at)), zone::json_quote(commit));
        return;
    }
    fmt::print("{} client {} of VPN {} (serial {}, expires {}), commit {}\n", action,
               options.client, options.name, entry.serial, format_time(entry.expires_at), commit);
}

} // namespace

int run_vpn_client_add(const Context& context, const VpnClientOptions& options)
{
    auto loaded = load(context, options, true);
    if (!loaded) {
        return report(loaded.error());
    }
    Pki& pki = loaded->pki;
    if (options.client == "ca" || options.client == "server") {
        return report(Error{Errc::usage,
                            fmt::format("invalid client name '{}': the name is used by the CA "
                                        "or the server certificate",
                                        options.client),
                            std::nullopt});
    }
    if (find_valid(pki, options.client) != nullptr ||
        loaded->opened.snapshot->exists(
            fmt::format("{}/issued/{}.crt", pki.folder, options.client))) {
        return report(Error{Errc::conflict,
                            fmt::format("client '{}' of VPN '{}' already has a valid "
                                        "certificate; revoke it first to issue a new one",
                                        options.client, options.name),
                            std::nullopt});
    }

    auto changes = issue_leaf(pki, options.client, openvpn::CertificateRole::client, options.days,
                              now_seconds());
    if (!changes) {
        return report(changes.error());
    }
    for (auto& change : index_changes(pki)) {
        changes->push_back(std::move(change));
    }
    auto commit = commit_changes(loaded->opened.repository, loaded->opened.head,
                                 std::move(*changes),
                                 fmt::format("Add client {} to VPN {}\n\nCertificate valid for "
                                             "{} days, serial {}.",
                                             options.client, options.name, options.days,
                                             pki.index.back().serial));
    if (!commit) {
        return report(commit.error());
    }
    print_client(context, "added", options, pki.index.back(), *commit);
    return exit_ok;
}

int run_vpn_client_revoke(const Context& context, const VpnClientOptions& options)
{
    auto loaded = load(context, options, true);
    if (!loaded) {
        return report(loaded.error());
    }
    Pki& pki = loaded->pki;
    auto valid = std::ranges::find_if(pki.index, [&](const openvpn::IndexEntry& entry) {
        return entry.status == openvpn::IndexStatus::valid && entry.common_name() == options.client;
    });
    if (valid == pki.index.end()) {
        return report(Error{Errc::not_found,
                            fmt::format("client '{}' of VPN '{}' has no valid certificate in "
                                        "{}/index.txt",
                                        options.client, options.name, pki.folder),
                            std::nullopt});
    }
    const std::int64_t now = now_seconds();
    auto& entry = *valid;
    entry.status = openvpn::IndexStatus::revoked;
    entry.revoked_at = now;
    const openvpn::IndexEntry revoked = entry;

    auto changes = move_to_revoked(*loaded->opened.snapshot, pki.folder, options.client,
                                   revoked.serial);
    auto crl = crl_changes(pki, options.crl_days, now);
    if (!crl) {
        return report(crl.error());
    }
    changes.insert(changes.end(), crl->begin(), crl->end());
    for (auto& change : index_changes(pki)) {
        changes.push_back(std::move(change));
    }
    auto commit = commit_changes(loaded->opened.repository, loaded->opened.head,
                                 std::move(changes),
                                 fmt::format("Revoke client {} of VPN {}\n\nSerial {} is in the "
                                             "re-issued CRL; the server rejects it once it "
                                             "reloads.",
                                             options.client, options.name, revoked.serial));
    if (!commit) {
        return report(commit.error());
    }
    print_client(context, "revoked", options, revoked, *commit);
    return exit_ok;
}

int run_vpn_crl_renew(const Context& context, const VpnClientOptions& options)
{
    auto loaded = load(context, options, false);
    if (!loaded) {
        return report(loaded.error());
    }
    Pki& pki = loaded->pki;
    const std::int64_t now = now_seconds();
    const std::uint64_t number = pki.next_crl_number;
    auto changes = crl_changes(pki, options.crl_days, now);
    if (!changes) {
        return report(changes.error());
    }
    auto commit = commit_changes(loaded->opened.repository, loaded->opened.head,
                                 std::move(*changes),
                                 fmt::format("Renew the CRL of VPN {}\n\nCRL number {}, next "
                                             "update {}.",
                                             options.name, number,
                                             format_time(now + options.crl_days * 86400LL)));
    if (!commit) {
        return report(commit.error());
    }
    const std::string next = format_time(now + options.crl_days * 86400LL);
    if (context.json) {
        fmt::print("{{\"vpn\":{},\"crl_number\":{},\"next_update\":{},\"commit\":{}}}\n",
                   zone::json_quote(options.name), number, zone::json_quote(next),
                   zone::json_quote(*commit));
    } else {
        fmt::print("renewed the CRL of VPN {} (number {}, next update {}), commit {}\n",
                   options.name, number, next, *commit);
    }
    return exit_ok;
}

} // namespace robur::cli
