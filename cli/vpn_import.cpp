// `robur vpn import NAME --config FILE [--easyrsa DIR]`: takes an existing openvpn server and
// its easy-rsa pki folder into vpn/NAME/, rewriting the file paths of the config to the
// repository layout, and commits them once they validate.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "cli/vpn_pki_commands.hpp"
#include "cli/vpn_pki_common.hpp"
#include "formats/openvpn/config.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace {

namespace fs = std::filesystem;
using namespace vpn_pki;

// A pki folder larger than this is not an easy-rsa folder of one VPN.
constexpr std::uintmax_t max_import_bytes = 64U * 1024U * 1024U;

// Options whose first argument names a file that the VPN needs at run time.
constexpr std::array<std::string_view, 11> file_options = {
    "ca",  "cert", "key",    "crl-verify", "tls-crypt", "tls-crypt-v2",
    "tls-auth", "dh", "secret", "pkcs12", "extra-certs"};

Result<std::string> read_text(const fs::path& path)
{
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        return make_error(Errc::not_found, fmt::format("cannot read {}", path.string()));
    }
    std::ostringstream content;
    content << stream.rdbuf();
    return content.str();
}

// Adds every regular file under `source` to `files` as `target`/relative path.
Result<void> add_folder(const fs::path& source, const std::string& target,
                        std::map<std::string, std::string>& files)
{
    std::error_code error;
    std::uintmax_t total = 0;
    for (auto it = fs::recursive_directory_iterator(source, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (!it->is_regular_file() || it->is_symlink()) {
            continue;
        }
        total += it->file_size();
        if (total > max_import_bytes) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{} holds more than {} MiB; is it an easy-rsa pki "
                                          "folder?",
                                          source.string(), max_import_bytes >> 20));
        }
        auto content = read_text(it->path());
        if (!content) {
            return tl::unexpected(content.error());
        }
        const auto relative = fs::relative(it->path(), source).generic_string();
        files[fmt::format("{}/{}", target, relative)] = std::move(*content);
    }
    if (error) {
        return make_error(Errc::io_error,
                          fmt::format("cannot read {}: {}", source.string(), error.message()));
    }
    return {};
}

bool names_no_file(const openvpn::Directive& directive)
{
    const auto& first = directive.args.front();
    return first == "[[INLINE]]" || first == "[inline]" ||
           (directive.name == "dh" && first == "none") ||
           (directive.name == "crl-verify" && directive.args.size() >= 2 &&
            directive.args[1] == "dir");
}

// Rewrites the file options of `config` to paths inside the VPN folder and adds the files.
Result<void> take_files(openvpn::Config& config, const fs::path& working_folder,
                        const std::optional<fs::path>& easyrsa, const std::string& folder,
                        std::map<std::string, std::string>& files)
{
    for (const auto option : file_options) {
        const openvpn::Directive* directive = config.find(option);
        if (directive == nullptr || directive->inline_content || directive->args.empty() ||
            names_no_file(*directive)) {
            continue;
        }
        const fs::path written(directive->args[0]);
        const fs::path source =
            fs::weakly_canonical(written.is_absolute() ? written : working_folder / written);
        std::string target;
        if (easyrsa && source.string().starts_with(easyrsa->string() + "/")) {
            target = "pki/" + fs::relative(source, *easyrsa).generic_string();
        } else {
            target = "pki/" + source.filename().string();
        }
        const std::string repository_path = fmt::format("{}/{}", folder, target);
        auto content = read_text(source);
        if (!content) {
            return make_error(Errc::not_found, fmt::format("{}: {} file '{}' not found",
                                                           directive->where.to_string(), option,
                                                           source.string()));
        }
        const auto existing = files.find(repository_path);
        if (existing != files.end() && existing->second != *content) {
            return make_error(Errc::conflict,
                              fmt::format("{}: {} file '{}' would become {}, which already holds "
                                          "a different file; rename one of them",
                                          directive->where.to_string(), option, source.string(),
                                          repository_path));
        }
        files[repository_path] = std::move(*content);
        std::vector<std::string> args = directive->args;
        args[0] = target;
        openvpn::set_option(config, option, args);
    }
    return {};
}

// A client profile template that matches the imported server's transport and crypto options.
std::string client_template(const openvpn::Config& server, const std::string& remote)
{
    const auto first_arg = [&](std::string_view name, std::string fallback) {
        const openvpn::Directive* directive = server.find(name);
        return directive != nullptr && !directive->args.empty() ? directive->args[0] : fallback;
    };
    std::string proto = first_arg("proto", "udp");
    if (proto.ends_with("-server")) {
        proto.resize(proto.size() - 7);
    }
    std::string text = "# Client profile template, made by robur vpn import from the server's "
                       "options.\nclient\n";
    text += fmt::format("dev {}\nproto {}\nremote {} {}\n", first_arg("dev", "tun"), proto, remote,
                        first_arg("port", first_arg("lport", "1194")));
    text += "resolv-retry infinite\nnobind\npersist-key\npersist-tun\nremote-cert-tls server\n";
    // Both peers must agree on these.
    for (const std::string_view option :
         {"cipher", "data-ciphers", "auth", "comp-lzo", "compress", "tls-version-min"}) {
        if (const openvpn::Directive* directive = server.find(option); directive != nullptr) {
            std::string line(option);
            for (const auto& arg : directive->args) {
                line += ' ' + openvpn::quote_argument(arg);
            }
            text += line + '\n';
        }
    }
    text += "verb 3\n";
    return text;
}

// Returns every file of the imported VPN by repository path: the easy-rsa folder, the files
// the config names (with the config rewritten to them), server.conf and client.conf.
Result<std::map<std::string, std::string>> collect_files(const VpnImportOptions& options,
                                                         const std::optional<fs::path>& easyrsa,
                                                         const fs::path& working_folder,
                                                         const std::string& folder,
                                                         openvpn::Config& config)
{
    std::map<std::string, std::string> files;
    if (easyrsa) {
        if (!fs::is_regular_file(*easyrsa / "ca.crt")) {
            return make_error(Errc::not_found,
                              fmt::format("{} is not an easy-rsa pki folder: ca.crt is missing",
                                          options.easyrsa));
        }
        if (auto added = add_folder(*easyrsa, folder + "/pki", files); !added) {
            return tl::unexpected(added.error());
        }
    }
    if (auto taken = take_files(config, working_folder, easyrsa, folder, files); !taken) {
        return tl::unexpected(taken.error());
    }
    files[folder + "/server.conf"] = openvpn::write_config(config);
    files[folder + "/client.conf"] = client_template(config, options.remote);
    return files;
}

} // namespace

int run_vpn_import(const Context& context, const VpnImportOptions& options)
{
    if (auto valid = check_name("VPN name", options.name); !valid) {
        return report(valid.error());
    }
    auto opened = open_head(context);
    if (!opened) {
        return report(opened.error());
    }
    const std::string folder = vpn_folder(options.name);
    if (opened->snapshot && opened->snapshot->exists(folder)) {
        return report(Error{Errc::conflict, fmt::format("VPN '{}' already exists in {}/",
                                                        options.name, folder),
                            std::nullopt});
    }

    const fs::path config_path = fs::absolute(options.config);
    auto text = read_text(config_path);
    if (!text) {
        return report(text.error());
    }
    const fs::path working_folder = config_path.parent_path();
    const openvpn::IncludeReader read_include = [&](std::string_view name) {
        return read_text(working_folder / fs::path(name));
    };
    auto parsed = openvpn::parse_config(*text, options.config, read_include);
    if (has_errors(parsed.diagnostics)) {
        for (const auto& diagnostic : parsed.diagnostics) {
            fmt::print(stderr, "{}\n", diagnostic.to_string());
        }
        return report(Error{Errc::validation_failed,
                            fmt::format("{} has errors; nothing was imported", options.config),
                            std::nullopt});
    }

    const std::optional<fs::path> easyrsa =
        options.easyrsa.empty() ? std::nullopt
                                : std::optional(fs::weakly_canonical(options.easyrsa));
    auto files = collect_files(options, easyrsa, working_folder, folder, parsed.config);
    if (!files) {
        return report(files.error());
    }

    std::vector<store::FileChange> changes;
    for (auto& [path, content] : *files) {
        changes.push_back({path, std::move(content), store::mode_file});
    }
    if (auto checked = check_new_files(folder, changes); !checked) {
        return report(checked.error());
    }
    auto commit = commit_changes(opened->repository, opened->head, std::move(changes),
                                 fmt::format("Import VPN {}\n\nServer config from {}{}.",
                                             options.name, config_path.filename().string(),
                                             easyrsa ? ", easy-rsa pki folder included" : ""));
    if (!commit) {
        return report(commit.error());
    }
    if (context.json) {
        fmt::print("{{\"vpn\":{},\"files\":{},\"commit\":{}}}\n",
                   zone::json_quote(options.name), files->size(), zone::json_quote(*commit));
    } else {
        fmt::print("imported VPN {} into {}/ ({} files), commit {}\n", options.name, folder,
                   files->size(), *commit);
    }
    return exit_ok;
}

} // namespace robur::cli
