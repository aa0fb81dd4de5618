// `robur vpn list [NAME]`: the VPNs of HEAD, each with its CA, its CRL's next update and the
// certificates of its index.txt with their expiry and revocation state.

#include <fmt/format.h>

#include "cli/vpn_pki_commands.hpp"
#include "cli/vpn_pki_common.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace {

using namespace vpn_pki;

struct VpnSummary {
    std::string name;
    std::int64_t ca_expires = 0;
    std::optional<openvpn::CrlInfo> crl;
    std::vector<openvpn::IndexEntry> certificates;
};

std::string status_of(const openvpn::IndexEntry& entry, std::int64_t now)
{
    if (entry.status == openvpn::IndexStatus::revoked) {
        return "revoked";
    }
    if (entry.status == openvpn::IndexStatus::expired || entry.expires_at < now) {
        return "expired";
    }
    return "valid";
}

Result<VpnSummary> summarise(const store::Snapshot& snapshot, const std::string& name)
{
    auto pki = load_pki(snapshot, name);
    if (!pki) {
        return tl::unexpected(pki.error());
    }
    VpnSummary summary{.name = name, .ca_expires = 0, .crl = std::nullopt,
                       .certificates = std::move(pki->index)};
    if (auto ca = openvpn::read_certificate_info(pki->issuer.certificate_pem); ca) {
        summary.ca_expires = ca->not_after;
    }
    if (auto crl_text = snapshot.read(pki->folder + "/crl.pem"); crl_text) {
        if (auto crl = openvpn::read_crl_info(*crl_text); crl) {
            summary.crl = std::move(*crl);
        }
    }
    return summary;
}

std::string summary_json(const VpnSummary& summary, std::int64_t now)
{
    std::string certificates;
    for (const auto& entry : summary.certificates) {
        if (!certificates.empty()) {
            certificates += ',';
        }
        certificates += fmt::format(
            "{{\"name\":{},\"serial\":{},\"status\":{},\"expires\":{},\"revoked\":{}}}",
            zone::json_quote(entry.common_name()), zone::json_quote(entry.serial),
            zone::json_quote(status_of(entry, now)),
            zone::json_quote(format_time(entry.expires_at)),
            entry.status == openvpn::IndexStatus::revoked
                ? zone::json_quote(format_time(entry.revoked_at))
                : std::string("null"));
    }
    const bool has_next = summary.crl && summary.crl->next_update;
    return fmt::format(
        "{{\"name\":{},\"ca_expires\":{},\"crl_number\":{},\"crl_next_update\":{},"
        "\"certificates\":[{}]}}",
        zone::json_quote(summary.name), zone::json_quote(format_time(summary.ca_expires)),
        summary.crl && summary.crl->crl_number ? std::to_string(*summary.crl->crl_number)
                                               : std::string("null"),
        has_next ? zone::json_quote(format_time(*summary.crl->next_update)) : std::string("null"),
        certificates);
}

void print_text(const VpnSummary& summary, std::int64_t now)
{
    fmt::print("{}: CA expires {}", summary.name, format_time(summary.ca_expires));
    if (summary.crl && summary.crl->next_update) {
        const bool expired = *summary.crl->next_update < now;
        fmt::print(", CRL next update {}{}", format_time(*summary.crl->next_update),
                   expired ? " (EXPIRED: run robur vpn crl renew)" : "");
    } else {
        fmt::print(", no CRL");
    }
    fmt::print("\n");
    for (const auto& entry : summary.certificates) {
        fmt::print("  {:<24} {:<8} expires {}  serial {}\n", entry.common_name(),
                   status_of(entry, now), format_time(entry.expires_at), entry.serial);
    }
}

Result<std::vector<std::string>> vpn_names(const store::Snapshot& snapshot)
{
    std::vector<std::string> names;
    if (!snapshot.exists("vpn")) {
        return names;
    }
    auto entries = snapshot.list("vpn");
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    for (const auto& entry : *entries) {
        if (entry.is_folder()) {
            names.push_back(entry.path.substr(entry.path.rfind('/') + 1));
        }
    }
    return names;
}

} // namespace

int run_vpn_list(const Context& context, const std::string& name)
{
    if (!name.empty()) {
        if (auto valid = check_name("VPN name", name); !valid) {
            return report(valid.error());
        }
    }
    auto opened = open_head(context);
    if (!opened) {
        return report(opened.error());
    }
    std::vector<std::string> names;
    if (!name.empty()) {
        names.push_back(name);
    } else if (opened->snapshot) {
        auto found = vpn_names(*opened->snapshot);
        if (!found) {
            return report(found.error());
        }
        names = std::move(*found);
    }
    if (!name.empty() && !opened->snapshot) {
        return report(Error{Errc::not_found, fmt::format("VPN '{}' not found", name), std::nullopt});
    }

    const std::int64_t now = now_seconds();
    std::vector<std::string> json;
    for (const auto& vpn : names) {
        auto summary = summarise(*opened->snapshot, vpn);
        if (!summary) {
            return report(summary.error());
        }
        if (context.json) {
            json.push_back(summary_json(*summary, now));
        } else {
            print_text(*summary, now);
        }
    }
    if (context.json) {
        fmt::print("{{\"vpns\":[{}]}}\n", fmt::join(json, ","));
    }
    return exit_ok;
}

} // namespace robur::cli
