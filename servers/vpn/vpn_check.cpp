#include "servers/vpn/vpn_check.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "formats/openvpn/checks.hpp"
#include "formats/openvpn/config.hpp"

namespace robur::vpn {

namespace {

constexpr std::string_view server_file = "server.conf";
constexpr std::string_view client_file = "client.conf";

// Parses one config of the VPN and appends its diagnostics; a missing file adds nothing.
Result<void> check_file(const store::Snapshot& snapshot, std::string_view name,
                        std::string_view file, std::int64_t now,
                        std::vector<Diagnostic>& diagnostics)
{
    auto outcome = parse_vpn_file(snapshot, name, file);
    if (!outcome) {
        return tl::unexpected(outcome.error());
    }
    diagnostics.insert(diagnostics.end(), outcome->diagnostics.begin(),
                       outcome->diagnostics.end());

    // Referenced files resolve against vpn/<name>/ as openvpn's working folder; a path that
    // leaves it reads as absent, since the served runtime folder holds only vpn/<name>/.
    const openvpn::FileReader read_file =
        [&](std::string_view path) -> std::optional<std::string> {
        const auto resolved = resolve_in_vpn_folder(name, path);
        if (!resolved) {
            return std::nullopt;
        }
        auto content = snapshot.read(*resolved);
        if (!content) {
            return std::nullopt;
        }
        return std::move(*content);
    };
    auto findings = openvpn::check_config(outcome->config,
                                          fmt::format("{}/{}", vpn_folder(name), file),
                                          read_file, openvpn::CheckOptions{.now = now});
    diagnostics.insert(diagnostics.end(), findings.begin(), findings.end());
    return {};
}

} // namespace

std::string vpn_folder(std::string_view name)
{
    return fmt::format("vpn/{}", name);
}

std::optional<std::string> resolve_in_vpn_folder(std::string_view name, std::string_view path)
{
    if (path.empty() || path.front() == '/') {
        return std::nullopt;
    }
    const auto normal = std::filesystem::path(path).lexically_normal();
    const auto first = normal.begin();
    if (normal.empty() || first == normal.end() || *first == "..") {
        return std::nullopt;
    }
    if (normal == ".") {
        return std::nullopt;
    }
    return fmt::format("{}/{}", vpn_folder(name), normal.generic_string());
}

Result<void> validate_vpn_name(std::string_view name)
{
    const bool bad_character = std::any_of(name.begin(), name.end(), [](char c) {
        return c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (name.empty() || name == "." || name == ".." || bad_character) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid VPN name \"{}\": it must be one folder name", name));
    }
    return {};
}

Result<openvpn::ParseOutcome> parse_vpn_file(const store::Snapshot& snapshot,
                                             std::string_view name, std::string_view file)
{
    const auto path = fmt::format("{}/{}", vpn_folder(name), file);
    auto text = snapshot.read(path);
    if (!text) {
        return tl::unexpected(text.error());
    }

    // openvpn resolves `config NAME` against its working folder, not the including file.
    const openvpn::IncludeReader read_include =
        [&](std::string_view include) -> Result<std::string> {
        const auto resolved = resolve_in_vpn_folder(name, include);
        if (!resolved) {
            return make_error(Errc::invalid_argument,
                              fmt::format("included file {} is outside {}/", include,
                                          vpn_folder(name)));
        }
        return snapshot.read(*resolved);
    };
    return openvpn::parse_config(*text, path, read_include);
}

Result<std::vector<Diagnostic>> check_vpn(const store::Snapshot& snapshot, std::string_view name,
                                          std::int64_t now)
{
    if (auto valid = validate_vpn_name(name); !valid) {
        return tl::unexpected(valid.error());
    }

    const auto server_path = fmt::format("{}/{}", vpn_folder(name), server_file);
    if (!snapshot.exists(server_path)) {
        return make_error(Errc::not_found,
                          fmt::format("VPN {} not found: {} is missing", name, server_path));
    }

    std::vector<Diagnostic> diagnostics;
    if (auto checked = check_file(snapshot, name, server_file, now, diagnostics); !checked) {
        return tl::unexpected(checked.error());
    }
    const auto client_path = fmt::format("{}/{}", vpn_folder(name), client_file);
    if (snapshot.exists(client_path)) {
        if (auto checked = check_file(snapshot, name, client_file, now, diagnostics); !checked) {
            return tl::unexpected(checked.error());
        }
    }
    return diagnostics;
}

} // namespace robur::vpn
