#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "formats/openvpn/config.hpp"

namespace robur::vpn {

// Address family a `proto` restricts a remote to.
enum class Family { any, ipv4, ipv6 };

// Returns the numeric addresses of `host` in `family`, in resolver order.
// Errors: not_found when the name does not resolve, with the resolver's message.
using Resolver =
    std::function<Result<std::vector<std::string>>(const std::string& host, Family family)>;

// Resolves with getaddrinfo(3), as the client host would at generation time.
[[nodiscard]] Result<std::vector<std::string>> resolve_host(const std::string& host,
                                                            Family family);

// One VPN server a client profile connects to.
struct KillswitchPeer {
    std::string host;                   // as the profile names it
    std::vector<std::string> addresses; // numeric IPv4 and IPv6 addresses of host
    std::uint16_t port = 1194;
    std::string protocol = "udp"; // "udp" or "tcp"
};

// Collects the servers of a client profile: every `remote HOST [PORT [PROTO]]`, top level and
// in <connection> blocks, with the port and proto the profile gives it the way openvpn 2.6
// picks them (the remote's own, else its block's `proto`/`port`/`rport`, else the top level's,
// else udp and 1194). Errors: invalid_argument at the remote's line for a profile without
// remote, a bad port or an unknown proto, not_found at the remote's line for a name that does
// not resolve.
[[nodiscard]] Result<std::vector<KillswitchPeer>> killswitch_peers(const openvpn::Config& profile,
                                                                   const Resolver& resolve);

// Returns the interface name or nft wildcard of the tunnel a profile's `dev` names: "tun0"
// stays, "tun" and "tap" (numbered by the kernel) become "tun*" and "tap*".
[[nodiscard]] std::string tunnel_interface(const openvpn::Config& profile);

struct KillswitchRuleset {
    std::string vpn;      // VPN name
    std::string client;   // client common name
    std::string source;   // what the profile was read from, such as "vpn/office/client.conf at 1a2b3c4"
    std::string tunnel;   // interface name or wildcard
    std::vector<KillswitchPeer> peers;
};

// Returns the nft table name for a VPN: "robur_killswitch_" and the name with characters
// nft does not accept in a name replaced by '_'.
[[nodiscard]] std::string killswitch_table(std::string_view vpn);

// Writes an `nft -f` ruleset with one table of family inet that lets through only loopback,
// the tunnel, the peers' addresses on their port and protocol, DHCP and IPv6 neighbour
// discovery, and drops every other packet in input, output and forward. Applying it again
// replaces the previous version.
[[nodiscard]] std::string write_killswitch(const KillswitchRuleset& ruleset);

} // namespace robur::vpn
