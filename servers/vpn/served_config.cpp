#include "servers/vpn/served_config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include <arpa/inet.h>
#include <fmt/format.h>

namespace robur::vpn {

namespace {

// openvpn reads config lines into a 256-byte buffer, newline included.
constexpr std::size_t max_line_bytes = 256;

// Options that would take openvpn out of the supervisor's hands: into the background, its log
// into a file or syslog, or its working folder away from the runtime folder. `config` is
// expanded in place.
const std::set<std::string_view> supervisor_removed = {"daemon", "log", "log-append", "syslog",
                                                       "cd", "config"};

// Options openvpn 2.6 accepts only with `mode server` (options.c rejects them in
// point-to-point mode), the device type options `dev null` replaces, and options that set up
// the host's interfaces and routes or run scripts around them.
const std::set<std::string_view> dev_null_removed = {
    "dev", "dev-type", "dev-node", "topology", "server", "server-ipv6", "server-bridge", "mode",
    "ifconfig-pool", "ifconfig-pool-persist", "ifconfig-ipv6-pool", "hash-size",
    "learn-address", "client-connect", "client-disconnect", "client-crresponse",
    "client-config-dir", "ccd-exclusive", "client-to-client", "duplicate-cn", "connect-freq",
    "username-as-common-name", "auth-user-pass-optional", "opt-verify",
    "auth-user-pass-verify", "auth-gen-token", "port-share", "stale-routes-check",
    "vlan-tagging", "vlan-accept", "vlan-pvid", "ifconfig-push", "ifconfig-ipv6-push", "iroute",
    "iroute-ipv6", "ifconfig", "ifconfig-ipv6", "route", "route-ipv6", "redirect-gateway",
    "redirect-private", "route-gateway", "route-ipv6-gateway", "route-delay", "route-up",
    "route-pre-down", "up", "down", "ipchange", "up-delay"};

const std::set<std::string_view> listen_removed = {"local", "port", "lport", "proto"};

// Returns the proto that listens on `listen`'s address family with the committed `proto`.
std::string listen_proto(std::string_view proto, bool ipv6)
{
    const std::string_view family = ipv6 ? "6" : "4";
    if (proto.starts_with("tcp")) {
        return fmt::format("tcp{}-server", family);
    }
    return fmt::format("udp{}", family);
}

// In point-to-point mode openvpn reads `proto tcp` as a TCP client; a server must listen.
std::string point_to_point_proto(std::string_view proto)
{
    if (proto == "tcp" || proto == "tcp4" || proto == "tcp6") {
        return fmt::format("{}-server", proto);
    }
    return std::string(proto);
}

std::string format_line(std::string_view name, const std::vector<std::string>& args)
{
    std::string line(name);
    for (const auto& arg : args) {
        line += ' ';
        line += openvpn::quote_argument(arg);
    }
    return line;
}

// Writes one directive, an inline block as `<name>` ... `</name>`.
Result<void> write_directive(std::string& out, const openvpn::Directive& directive)
{
    if (directive.inline_content) {
        const auto& content = *directive.inline_content;
        out += fmt::format("<{}>\n{}", directive.name, content);
        if (!content.empty() && content.back() != '\n') {
            out += '\n';
        }
        out += fmt::format("</{}>\n", directive.name);
        return {};
    }
    const auto line = format_line(directive.name, directive.args);
    if (line.size() + 1 > max_line_bytes) {
        return make_error(Errc::invalid_argument,
                          fmt::format("option {} is longer than openvpn's {}-byte line limit "
                                      "once written back",
                                      directive.name, max_line_bytes),
                          directive.where);
    }
    out += line;
    out += '\n';
    return {};
}

class Rewriter {
public:
    Rewriter(const openvpn::Config& config, const ServeOverrides& overrides)
        : config_(config), overrides_(overrides)
    {
    }

    Result<ServedConfig> run()
    {
        int open_connection = -1;
        for (const auto& directive : config_.directives) {
            if (!keep(directive)) {
                continue;
            }
            if (directive.connection != open_connection) {
                if (open_connection >= 0) {
                    served_.text += "</connection>\n";
                }
                if (directive.connection >= 0) {
                    served_.text += "<connection>\n";
                }
                open_connection = directive.connection;
            }
            if (auto written = write_directive(served_.text, directive); !written) {
                return tl::unexpected(written.error());
            }
        }
        if (open_connection >= 0) {
            served_.text += "</connection>\n";
        }
        append_overrides();
        return std::move(served_);
    }

private:
    // Returns false for a directive the served config leaves out, and records why.
    bool keep(const openvpn::Directive& directive)
    {
        const std::string_view name = directive.name;
        if (supervisor_removed.contains(name)) {
            if (name != "config") {
                note_removed(directive, "openvpn runs in the foreground of robur serve vpn, "
                                        "in the runtime folder, logging to robur's log");
            }
            return false;
        }
        const bool top_level = directive.connection < 0;
        if (overrides_.listen && top_level && listen_removed.contains(name)) {
            if (name == "proto") {
                proto_ = directive.args.empty() ? proto_ : directive.args.front();
            }
            note_removed(directive, "replaced by --listen");
            return false;
        }
        if (overrides_.dev_null) {
            return keep_with_dev_null(directive);
        }
        return true;
    }

    bool keep_with_dev_null(const openvpn::Directive& directive)
    {
        const std::string_view name = directive.name;
        const bool server_mode = name == "server" || name == "server-ipv6" ||
                                 name == "server-bridge" ||
                                 (name == "mode" && !directive.args.empty() &&
                                  directive.args.front() == "server");
        if (server_mode) {
            needs_tls_server_ = true;
        }
        if (name == "tls-server") {
            has_tls_server_ = true;
        }
        if (name == "proto" && !overrides_.listen && !directive.args.empty() &&
            point_to_point_proto(directive.args.front()) != directive.args.front()) {
            auto changed = directive;
            changed.args.front() = point_to_point_proto(directive.args.front());
            rewritten_.push_back(std::move(changed));
            note_removed(directive, "--dev null runs openvpn in point-to-point mode, where a "
                                    "listening TCP socket is tcp-server");
            return false;
        }
        // "require" is openvpn's default and valid in point-to-point mode, which always requires
        // a client certificate; "none" and "optional" need `mode server`.
        if (name == "verify-client-cert" && !directive.args.empty() &&
            directive.args.front() != "require") {
            note_removed(directive, "--dev null runs openvpn in point-to-point mode, which "
                                    "always requires a client certificate");
            return false;
        }
        if (server_mode) {
            note_removed(directive, "replaced by tls-server, because openvpn 2.6 runs mode "
                                    "server only on a tun or tap device");
            return false;
        }
        if (dev_null_removed.contains(name)) {
            note_removed(directive, name == "dev" ? "replaced by --dev null"
                                                  : "not available with --dev null");
            return false;
        }
        return true;
    }

    void append_overrides()
    {
        for (const auto& directive : rewritten_) {
            append(directive.name, directive.args);
        }
        if (overrides_.dev_null) {
            append("dev", {"null"});
            if (needs_tls_server_ && !has_tls_server_) {
                append("tls-server", {});
            }
        }
        if (overrides_.listen) {
            const auto& listen = *overrides_.listen;
            append("proto", {listen_proto(proto_, listen.ipv6)});
            append("local", {listen.address});
            append("lport", {std::to_string(listen.port)});
        }
    }

    void append(std::string_view name, const std::vector<std::string>& args)
    {
        const auto line = format_line(name, args);
        served_.text += line;
        served_.text += '\n';
        served_.changes.push_back(fmt::format("added `{}`", line));
    }

    void note_removed(const openvpn::Directive& directive, std::string_view reason)
    {
        const auto description = directive.inline_content ? fmt::format("<{}>", directive.name)
                                                    : format_line(directive.name, directive.args);
        served_.changes.push_back(
            fmt::format("{}: left out `{}`: {}", directive.where.to_string(), description, reason));
    }

    const openvpn::Config& config_;
    const ServeOverrides& overrides_;
    ServedConfig served_;
    std::vector<openvpn::Directive> rewritten_;
    std::string proto_ = "udp"; // openvpn's default
    bool needs_tls_server_ = false;
    bool has_tls_server_ = false;
};

} // namespace

std::string ListenAddress::to_string() const
{
    return ipv6 ? fmt::format("[{}]:{}", address, port) : fmt::format("{}:{}", address, port);
}

Result<ListenAddress> parse_listen_address(std::string_view text)
{
    const auto invalid = [&] {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid listen address \"{}\": expected ADDRESS:PORT "
                                      "such as 127.0.0.1:1194 or [::1]:1194",
                                      text));
    };
    ListenAddress listen;
    std::string_view port_text;
    if (text.starts_with('[')) {
        const auto close = text.find("]:");
        if (close == std::string_view::npos) {
            return invalid();
        }
        listen.address = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
        listen.ipv6 = true;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            return invalid();
        }
        listen.address = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    }

    std::array<unsigned char, 16> bytes{};
    if (::inet_pton(listen.ipv6 ? AF_INET6 : AF_INET, listen.address.c_str(), bytes.data()) != 1) {
        return invalid();
    }
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
        return invalid();
    }
    listen.port = static_cast<std::uint16_t>(port);
    return listen;
}

Result<ServedConfig> make_served_config(const openvpn::Config& config,
                                        const ServeOverrides& overrides)
{
    return Rewriter(config, overrides).run();
}

} // namespace robur::vpn
