// `robur vpn client export NAME CLIENT [-o FILE]`: writes a single-file .ovpn profile: the
// plain directives of client.conf, then the <ca>, <cert>, <key> and <tls-crypt> (or
// <tls-auth>) blocks.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "cli/vpn_pki_commands.hpp"
#include "cli/vpn_pki_common.hpp"
#include "formats/openvpn/config.hpp"
#include "servers/vpn/vpn_check.hpp"

namespace robur::cli {

namespace {

using namespace vpn_pki;

// Options whose files the profile carries inline, so client.conf must not name them as files.
constexpr std::array<std::string_view, 7> inline_options = {
    "ca", "cert", "key", "tls-crypt", "tls-auth", "tls-crypt-v2", "key-direction"};

std::string ensure_newline(std::string text)
{
    if (!text.empty() && text.back() != '\n') {
        text += '\n';
    }
    return text;
}

std::string block(std::string_view tag, const std::string& content)
{
    return fmt::format("<{}>\n{}</{}>\n", tag, ensure_newline(content), tag);
}

// The server's TLS control-channel key as the profile needs it: the block and, for
// tls-auth, the key direction opposite to the server's.
Result<std::string> control_channel_block(const store::Snapshot& snapshot, std::string_view name)
{
    auto server = vpn::parse_vpn_file(snapshot, name, "server.conf");
    if (!server) {
        return tl::unexpected(server.error());
    }
    for (const std::string_view option : {"tls-crypt", "tls-auth"}) {
        const openvpn::Directive* directive = server->config.find(option);
        if (directive == nullptr) {
            continue;
        }
        std::optional<std::string> content = directive->inline_content;
        if (!content && !directive->args.empty()) {
            const auto path = vpn::resolve_in_vpn_folder(name, directive->args[0]);
            auto read = path ? snapshot.read(*path) : make_error(Errc::not_found, "outside");
            if (!read) {
                return make_error(Errc::not_found,
                                  fmt::format("{}: {} file '{}' not found in vpn/{}/",
                                              directive->where.to_string(), option,
                                              directive->args[0], name));
            }
            content = std::move(*read);
        }
        std::string text = block(option, *content);
        if (option == "tls-auth") {
            const bool server_direction_zero =
                directive->args.size() >= 2 && directive->args[1] == "0";
            text = fmt::format("key-direction {}\n{}", server_direction_zero ? 1 : 0, text);
        }
        return text;
    }
    return std::string();
}

Result<std::string> build_profile(const store::Snapshot& snapshot, const Pki& pki,
                                  const VpnClientOptions& options)
{
    const std::string folder = vpn_folder(options.name);
    auto client_conf = snapshot.read(folder + "/client.conf");
    if (!client_conf) {
        return make_error(Errc::not_found,
                          fmt::format("{}/client.conf not found: the profile template is missing",
                                      folder));
    }
    auto certificate = snapshot.read(fmt::format("{}/issued/{}.crt", pki.folder, options.client));
    auto key = snapshot.read(fmt::format("{}/private/{}.key", pki.folder, options.client));
    if (!certificate || !key) {
        return make_error(Errc::not_found,
                          fmt::format("{}/issued/{}.crt or {}/private/{}.key not found",
                                      pki.folder, options.client, pki.folder, options.client));
    }
    auto control = control_channel_block(snapshot, options.name);
    if (!control) {
        return tl::unexpected(control.error());
    }

    auto parsed = openvpn::parse_config(*client_conf, folder + "/client.conf", nullptr);
    for (const auto option : inline_options) {
        openvpn::remove_option(parsed.config, option);
    }
    std::string profile = fmt::format("# OpenVPN profile of client {} for VPN {}, exported by "
                                      "robur from commit {}.\n# It holds the client's private "
                                      "key: keep it secret.\n",
                                      options.client, options.name,
                                      snapshot.commit_id().short_string());
    profile += ensure_newline(openvpn::write_config(parsed.config));
    profile += block("ca", pki.issuer.certificate_pem);
    profile += block("cert", *certificate);
    profile += block("key", *key);
    profile += *control;
    return profile;
}

// Writes `content` to `path` with mode 0600 through a temporary file and a rename, so a
// reader never sees half a profile and the key is never readable by others.
Result<void> write_private_file(const std::string& path, const std::string& content)
{
    std::string temporary = path + ".tmp-XXXXXX";
    const int fd = mkstemp(temporary.data());
    if (fd < 0) {
        return make_error(Errc::io_error,
                          fmt::format("cannot create {}: {}", temporary, std::strerror(errno)));
    }
    bool ok = fchmod(fd, S_IRUSR | S_IWUSR) == 0;
    std::size_t written = 0;
    while (ok && written < content.size()) {
        const ssize_t result = write(fd, content.data() + written, content.size() - written);
        ok = result > 0;
        written += ok ? static_cast<std::size_t>(result) : 0;
    }
    ok = ok && fsync(fd) == 0;
    const int saved_errno = errno;
    ok = close(fd) == 0 && ok;
    if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = ok ? errno : saved_errno;
        unlink(temporary.c_str());
        return make_error(Errc::io_error,
                          fmt::format("cannot write {}: {}", path, std::strerror(error)));
    }
    return {};
}

} // namespace

int run_vpn_client_export(const Context& context, const VpnClientOptions& options)
{
    for (const auto& [what, value] : {std::pair{"VPN name", &options.name},
                                      std::pair{"client name", &options.client}}) {
        if (auto valid = check_name(what, *value); !valid) {
            return report(valid.error());
        }
    }
    auto opened = open_head(context);
    if (!opened) {
        return report(opened.error());
    }
    if (!opened->snapshot) {
        return report(Error{Errc::not_found, "the branch has no commits", std::nullopt});
    }
    auto pki = load_pki(*opened->snapshot, options.name);
    if (!pki) {
        return report(pki.error());
    }
    const openvpn::IndexEntry* entry = find_valid(*pki, options.client);
    if (entry == nullptr) {
        const bool revoked = std::ranges::any_of(pki->index, [&](const auto& candidate) {
            return candidate.common_name() == options.client;
        });
        return report(Error{revoked ? Errc::validation_failed : Errc::not_found,
                            revoked ? fmt::format("client '{}' of VPN '{}' is revoked; add it "
                                                  "again to issue a new certificate",
                                                  options.client, options.name)
                                    : fmt::format("client '{}' of VPN '{}' not found",
                                                  options.client, options.name),
                            std::nullopt});
    }
    if (entry->expires_at < now_seconds()) {
        return report(Error{Errc::validation_failed,
                            fmt::format("the certificate of client '{}' expired on {}; revoke "
                                        "and add the client again",
                                        options.client, format_time(entry->expires_at)),
                            std::nullopt});
    }

    auto profile = build_profile(*opened->snapshot, *pki, options);
    if (!profile) {
        return report(profile.error());
    }
    if (options.output.empty() || options.output == "-") {
        fmt::print("{}", *profile);
        std::fflush(stdout);
        return exit_ok;
    }
    if (auto written = write_private_file(options.output, *profile); !written) {
        return report(written.error());
    }
    fmt::print(stderr, "wrote the profile of client {} to {} (mode 0600)\n", options.client,
               options.output);
    return exit_ok;
}

} // namespace robur::cli
