// check_new_files: validation of a VPN's configs before `vpn new` and `vpn import` commit.

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "cli/vpn_pki_commands.hpp"
#include "formats/openvpn/checks.hpp"
#include "formats/openvpn/config.hpp"

namespace robur::cli {

namespace {

// Returns the repository path of `written` inside `folder`, or nullopt when it leaves it.
std::optional<std::string> inside(const std::string& folder, std::string_view written)
{
    if (written.empty() || written.front() == '/') {
        return std::nullopt;
    }
    const auto normal = std::filesystem::path(written).lexically_normal();
    if (normal.empty() || *normal.begin() == "..") {
        return std::nullopt;
    }
    return fmt::format("{}/{}", folder, normal.generic_string());
}

} // namespace

Result<void> check_new_files(const std::string& folder,
                             const std::vector<store::FileChange>& changes)
{
    std::map<std::string, std::string> files;
    for (const auto& change : changes) {
        if (change.content) {
            files[change.path] = *change.content;
        }
    }
    const auto lookup = [&](std::string_view written) -> std::optional<std::string> {
        const auto path = inside(folder, written);
        if (!path) {
            return std::nullopt;
        }
        const auto found = files.find(*path);
        return found == files.end() ? std::nullopt : std::optional(found->second);
    };
    const openvpn::IncludeReader read_include =
        [&](std::string_view name) -> Result<std::string> {
        auto content = lookup(name);
        if (!content) {
            return make_error(Errc::not_found, fmt::format("file {} not found", name));
        }
        return *content;
    };

    bool failed = false;
    for (const std::string_view file : {"server.conf", "client.conf"}) {
        const std::string path = fmt::format("{}/{}", folder, file);
        const auto text = files.find(path);
        if (text == files.end()) {
            continue;
        }
        auto outcome = openvpn::parse_config(text->second, path, read_include);
        auto diagnostics = std::move(outcome.diagnostics);
        auto findings = openvpn::check_config(outcome.config, path, lookup, {});
        diagnostics.insert(diagnostics.end(), findings.begin(), findings.end());
        for (const auto& diagnostic : diagnostics) {
            fmt::print(stderr, "{}\n", diagnostic.to_string());
        }
        failed = failed || has_errors(diagnostics);
    }
    if (failed) {
        return make_error(Errc::validation_failed,
                          fmt::format("{} has errors; nothing was committed", folder));
    }
    return {};
}

} // namespace robur::cli
