#include "servers/vpn/killswitch.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

namespace robur::vpn {

namespace {

constexpr std::uint16_t default_port = 1194;

struct Transport {
    std::string protocol; // "udp" or "tcp"
    Family family = Family::any;
};

// Maps a client-side proto of openvpn 2.6 (udp, udp4, udp6, tcp, tcp4, tcp6, tcp-client,
// tcp4-client, tcp6-client) to its transport, nullopt for anything else.
std::optional<Transport> parse_proto(std::string_view proto)
{
    static const std::set<std::string_view> known = {
        "udp", "udp4", "udp6", "tcp", "tcp4", "tcp6", "tcp-client", "tcp4-client", "tcp6-client"};
    if (!known.contains(proto)) {
        return std::nullopt;
    }
    Transport transport{proto.starts_with("udp") ? "udp" : "tcp", Family::any};
    if (proto.size() > 3 && proto[3] == '4') {
        transport.family = Family::ipv4;
    } else if (proto.size() > 3 && proto[3] == '6') {
        transport.family = Family::ipv6;
    }
    return transport;
}

std::optional<std::uint16_t> parse_port(std::string_view text)
{
    unsigned port = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (error != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(port);
}

// The last argument of `names` in block `connection`, else at the top level, else empty.
std::string inherited(const openvpn::Config& profile, std::initializer_list<std::string_view> names,
                      int connection)
{
    const openvpn::Directive* in_block = nullptr;
    const openvpn::Directive* top_level = nullptr;
    for (const auto& directive : profile.directives) {
        const bool named = std::find(names.begin(), names.end(), directive.name) != names.end();
        if (!named || directive.args.empty()) {
            continue;
        }
        if (directive.connection < 0) {
            top_level = &directive;
        } else if (directive.connection == connection) {
            in_block = &directive;
        }
    }
    const auto* chosen = in_block != nullptr ? in_block : top_level;
    return chosen != nullptr ? chosen->args.front() : std::string();
}

Result<KillswitchPeer> make_peer(const openvpn::Config& profile, const openvpn::Directive& remote,
                                 const Resolver& resolve)
{
    KillswitchPeer peer;
    peer.host = remote.args.front();

    auto port_text = remote.args.size() > 1 ? remote.args[1]
                                            : inherited(profile, {"port", "rport"},
                                                        remote.connection);
    if (port_text.empty()) {
        port_text = std::to_string(default_port);
    }
    const auto port = parse_port(port_text);
    if (!port) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid port \"{}\" for remote {}", port_text, peer.host),
                          remote.where);
    }
    peer.port = *port;

    auto proto_text =
        remote.args.size() > 2 ? remote.args[2] : inherited(profile, {"proto"}, remote.connection);
    if (proto_text.empty()) {
        proto_text = "udp";
    }
    const auto transport = parse_proto(proto_text);
    if (!transport) {
        return make_error(Errc::invalid_argument,
                          fmt::format("proto \"{}\" for remote {} is not a client protocol",
                                      proto_text, peer.host),
                          remote.where);
    }
    peer.protocol = transport->protocol;

    auto addresses = resolve(peer.host, transport->family);
    if (!addresses) {
        return make_error(Errc::not_found,
                          fmt::format("remote {} does not resolve: {}", peer.host,
                                      addresses.error().message),
                          remote.where);
    }
    peer.addresses = std::move(*addresses);
    return peer;
}

std::string nft_name_character(char c)
{
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_';
    return std::string(1, allowed ? c : '_');
}

void write_peer_rules(std::string& out, const std::vector<KillswitchPeer>& peers, bool outgoing)
{
    std::set<std::string> written;
    for (const auto& peer : peers) {
        for (const auto& address : peer.addresses) {
            const std::string_view family = address.find(':') != std::string::npos ? "ip6" : "ip";
            const auto rule = fmt::format("        {} {} {} {} {} {} accept\n", family,
                                          outgoing ? "daddr" : "saddr", address, peer.protocol,
                                          outgoing ? "dport" : "sport", peer.port);
            if (written.insert(rule).second) {
                out += rule;
            }
        }
    }
}

} // namespace

Result<std::vector<std::string>> resolve_host(const std::string& host, Family family)
{
    addrinfo hints{};
    hints.ai_family = family == Family::ipv4 ? AF_INET : family == Family::ipv6 ? AF_INET6
                                                                                  : AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    const int error = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (error != 0) {
        return make_error(Errc::not_found, ::gai_strerror(error));
    }
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, &::freeaddrinfo);

    std::vector<std::string> addresses;
    for (const auto* entry = found; entry != nullptr; entry = entry->ai_next) {
        std::array<char, NI_MAXHOST> text{};
        if (::getnameinfo(entry->ai_addr, entry->ai_addrlen, text.data(), text.size(), nullptr,
                          0, NI_NUMERICHOST) != 0) {
            continue;
        }
        std::string address(text.data());
        if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
            addresses.push_back(std::move(address));
        }
    }
    return addresses;
}

Result<std::vector<KillswitchPeer>> killswitch_peers(const openvpn::Config& profile,
                                                     const Resolver& resolve)
{
    std::vector<KillswitchPeer> peers;
    for (const auto& directive : profile.directives) {
        if (directive.name != "remote" || directive.args.empty()) {
            continue;
        }
        auto peer = make_peer(profile, directive, resolve);
        if (!peer) {
            return tl::unexpected(peer.error());
        }
        peers.push_back(std::move(*peer));
    }
    if (peers.empty()) {
        return make_error(Errc::invalid_argument,
                          "the client profile has no remote, so there is no server to let "
                          "through");
    }
    return peers;
}

std::string tunnel_interface(const openvpn::Config& profile)
{
    const auto* dev = profile.find("dev");
    if (dev == nullptr || dev->args.empty()) {
        return "tun*";
    }
    const auto& name = dev->args.front();
    if (name == "tun" || name == "tap") {
        return name + "*";
    }
    return name;
}

std::string killswitch_table(std::string_view vpn)
{
    std::string table = "robur_killswitch_";
    for (const char c : vpn) {
        table += nft_name_character(c);
    }
    return table;
}

std::string write_killswitch(const KillswitchRuleset& ruleset)
{
    const auto table = killswitch_table(ruleset.vpn);
    std::string out = fmt::format(
        "#!/usr/sbin/nft -f\n"
        "# robur killswitch for client {} of VPN {}, from {}.\n"
        "# Lets through only loopback, the tunnel {}, the VPN servers below, DHCP and IPv6\n"
        "# neighbour discovery, and drops every other packet in and out, IPv4 and IPv6.\n",
        ruleset.client, ruleset.vpn, ruleset.source, ruleset.tunnel);
    for (const auto& peer : ruleset.peers) {
        out += fmt::format("# remote {} {} {} resolved to {} when this file was written.\n",
                           peer.host, peer.port, peer.protocol,
                           fmt::join(peer.addresses, ", "));
    }
    out += fmt::format("# Apply: nft -f FILE\n"
                       "# Remove: nft delete table inet {}\n\n",
                       table);

    // Declaring the table first makes the delete succeed when it does not exist yet, so the
    // file applies again in one transaction.
    out += fmt::format("table inet {0}\ndelete table inet {0}\n\ntable inet {0} {{\n", table);

    out += "    chain input {\n"
           "        type filter hook input priority filter; policy drop;\n"
           "        iifname \"lo\" accept\n";
    out += fmt::format("        iifname \"{}\" accept\n", ruleset.tunnel);
    write_peer_rules(out, ruleset.peers, false);
    out += "        udp sport 67 udp dport 68 accept\n"
           "        udp sport 547 udp dport 546 accept\n"
           "        icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, "
           "nd-redirect } ip6 hoplimit 255 accept\n"
           "    }\n\n";

    out += "    chain output {\n"
           "        type filter hook output priority filter; policy drop;\n"
           "        oifname \"lo\" accept\n";
    out += fmt::format("        oifname \"{}\" accept\n", ruleset.tunnel);
    write_peer_rules(out, ruleset.peers, true);
    out += "        udp sport 68 udp dport 67 accept\n"
           "        udp sport 546 udp dport 547 accept\n"
           "        icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } "
           "ip6 hoplimit 255 accept\n"
           "    }\n\n";

    out += "    chain forward {\n"
           "        type filter hook forward priority filter; policy drop;\n";
    out += fmt::format("        iifname \"{0}\" accept\n        oifname \"{0}\" accept\n",
                       ruleset.tunnel);
    out += "    }\n}\n";
    return out;
}

} // namespace robur::vpn
