#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <initializer_list>

#include <fmt/format.h>

#include "formats/openvpn/directives.hpp"

namespace robur::openvpn {

namespace {

// A parameter that must be one of a few words; `message` is openvpn 2.6's error text, with {} for
// the value where openvpn prints it. `index` counts parameters from 0.
struct EnumerationRule {
    std::string_view option;
    std::size_t index;
    std::initializer_list<std::string_view> values;
    std::string_view message;
};

const std::initializer_list<std::string_view> protocols = {
    "udp",  "tcp-server",  "tcp-client",  "tcp",  "udp4", "tcp4-server",
    "tcp4-client", "tcp4", "udp6", "tcp6-server", "tcp6-client", "tcp6"};

const std::array enumeration_rules = {
    EnumerationRule{"mode", 0, {"p2p", "server"}, "Bad --mode parameter: {}"},
    EnumerationRule{"proto", 0, protocols,
                    "Bad protocol: '{}'. Allowed protocols with --proto option: udp, tcp-server, "
                    "tcp-client, tcp, udp4, tcp4-server, tcp4-client, tcp4, udp6, tcp6-server, "
                    "tcp6-client, tcp6"},
    EnumerationRule{"proto-force", 0, protocols, "Bad --proto-force protocol: '{}'"},
    EnumerationRule{"remote", 2, protocols, "remote: bad protocol '{}'"},
    EnumerationRule{"dev-type", 0, {"tun", "tap", "null"},
                    "Unknown --dev-type '{}': openvpn accepts tun, tap or null and fails when "
                    "it opens the device"},
    EnumerationRule{"topology", 0, {"net30", "p2p", "subnet"},
                    "--topology must be net30, p2p, or subnet"},
    EnumerationRule{"verify-client-cert", 0, {"none", "optional", "require"},
                    "parameter to --verify-client-cert must be 'none', 'optional' or 'require'"},
    EnumerationRule{"remote-cert-tls", 0, {"client", "server"},
                    "--remote-cert-tls must be 'client' or 'server'"},
    EnumerationRule{"ns-cert-type", 0, {"client", "server"},
                    "--ns-cert-type must be 'client' or 'server'"},
    EnumerationRule{"compress", 0, {"stub", "stub-v2", "lzo", "lz4", "lz4-v2"},
                    "bad comp option: {}"},
    EnumerationRule{"comp-lzo", 0, {"yes", "no", "adaptive"},
                    "bad comp-lzo option: {} -- must be 'yes', 'no', or 'adaptive'"},
    EnumerationRule{"allow-compression", 0, {"yes", "no", "asym"},
                    "bad allow-compression option: {} -- must be 'yes', 'no', or 'asym'"},
    EnumerationRule{"key-direction", 0, {"0", "1"},
                    "Unknown key direction '{}' -- must be '0' or '1'"},
    EnumerationRule{"auth-retry", 0, {"interact", "nointeract", "none"},
                    "--auth-retry method must be 'interact', 'nointeract', or 'none'"},
    EnumerationRule{"remap-usr1", 0, {"SIGHUP", "SIGTERM"},
                    "--remap-usr1 parm must be 'SIGHUP' or 'SIGTERM'"},
    EnumerationRule{"mtu-disc", 0, {"yes", "maybe", "no"},
                    "invalid --mtu-disc type: '{}' -- valid types are 'yes', 'maybe', or 'no'"},
    EnumerationRule{"pull-filter", 0, {"accept", "ignore", "reject"},
                    "Unknown --pull-filter type: {}"},
    EnumerationRule{"vlan-accept", 0, {"tagged", "untagged", "all"},
                    "--vlan-accept must be 'tagged', 'untagged' or 'all'"},
    EnumerationRule{"verify-x509-name", 1, {"subject", "name", "name-prefix"},
                    "unknown X.509 name type: {}"},
    EnumerationRule{"auth-user-pass-verify", 1, {"via-env", "via-file"},
                    "second parm to --auth-user-pass-verify must be 'via-env' or 'via-file'"},
    EnumerationRule{"genkey", 0,
                    {"secret", "tls-auth", "tls-crypt", "tls-crypt-v2-server",
                     "tls-crypt-v2-client", "auth-token"},
                    "unknown --genkey type: {}"},
    EnumerationRule{"tls-version-min", 0, {"1.0", "1.1", "1.2", "1.3", "or-highest"},
                    "unknown tls-version-min parameter: {}"},
    EnumerationRule{"tls-version-min", 1, {"or-highest"}, "unknown tls-version-min parameter: {}"},
    EnumerationRule{"tls-version-max", 0, {"1.0", "1.1", "1.2", "1.3"},
                    "unknown tls-version-max parameter: {}"},
    EnumerationRule{"server", 2, {"nopool"},
                    "error parsing --server: {} is not a recognized flag"},
    EnumerationRule{"mssfix", 1, {"mtu", "fixed"}, "Unknown parameter to --mssfix: {}"},
    EnumerationRule{"fragment", 1, {"mtu"}, "Unknown parameter to --fragment: {}"},
    EnumerationRule{"auth-gen-token", 1, {"external-auth"},
                    "Invalid argument to auth-gen-token: {} (2)"},
};

// Options that take a list of flags, each one of a few words.
struct FlagListRule {
    std::string_view option;
    std::initializer_list<std::string_view> values;
    std::string_view message;
};

const std::array flag_list_rules = {
    FlagListRule{"redirect-gateway",
                 {"local", "autolocal", "def1", "bypass-dhcp", "bypass-dns", "block-local",
                  "ipv6", "!ipv4"},
                 "unknown --redirect-gateway flag: {}"},
    FlagListRule{"redirect-private",
                 {"local", "autolocal", "def1", "bypass-dhcp", "bypass-dns", "block-local",
                  "ipv6", "!ipv4"},
                 "unknown --redirect-private flag: {}"},
    FlagListRule{"socket-flags", {"TCP_NODELAY"}, "unknown socket flag: {}"},
    FlagListRule{"management-external-key", {"nopadding", "pkcs1", "pss", "digest"},
                 "Unknown management-external-key flag: {}"},
};

// A parameter openvpn reads with atoi(), with the range add_option() enforces; min > max means
// no range check. Malformed numbers only warn because openvpn reads them as 0 without a word.
struct IntegerRule {
    std::string_view option;
    std::size_t index;
    long min;
    long max;
    std::string_view message;
};

constexpr long no_limit = 0;
constexpr long unchecked = 1;

const std::array integer_rules = {
    IntegerRule{"verb", 0, unchecked, no_limit, ""},
    IntegerRule{"mute", 0, unchecked, no_limit, ""},
    IntegerRule{"status-version", 0, 1, 3, "--status-version must be 1 to 3"},
    IntegerRule{"max-clients", 0, 1, 0x1000000 - 1, "--max-clients must be at least 1"},
    IntegerRule{"hash-size", 0, 1, 0x7fffffff,
                "--hash-size sizes must be >= 1 (preferably a power of 2)"},
    IntegerRule{"hash-size", 1, 1, 0x7fffffff,
                "--hash-size sizes must be >= 1 (preferably a power of 2)"},
    IntegerRule{"connect-freq", 0, 0, 0x7fffffff, "--connect-freq parms must be > 0"},
    IntegerRule{"connect-freq", 1, 0, 0x7fffffff, "--connect-freq parms must be > 0"},
    IntegerRule{"bcast-buffers", 0, 1, 0x7fffffff, "--bcast-buffers parameter must be > 0"},
    IntegerRule{"tcp-queue-limit", 0, 1, 0x7fffffff, "--tcp-queue-limit parameter must be > 0"},
    IntegerRule{"stale-routes-check", 0, 1, 0x7fffffff,
                "--stale-routes-check aging time and check interval must be >= 1"},
    IntegerRule{"stale-routes-check", 1, 1, 0x7fffffff,
                "--stale-routes-check aging time and check interval must be >= 1"},
    IntegerRule{"management-log-cache", 0, 1, 0x7fffffff,
                "--management-log-cache parameter is out of range"},
    IntegerRule{"shaper", 0, 100, 100000000, "Bad shaper value, must be between 100 and 100000000"},
    IntegerRule{"vlan-pvid", 0, 1, 4094,
                "the parameter of --vlan-pvid parameters must be >= 1 and <= 4094"},
    IntegerRule{"keying-material-exporter", 1, 16, 4095, "Invalid keying material exporter length"},
    IntegerRule{"keepalive", 0, unchecked, no_limit, ""},
    IntegerRule{"keepalive", 1, unchecked, no_limit, ""},
    IntegerRule{"ping", 0, unchecked, no_limit, ""},
    IntegerRule{"ping-exit", 0, unchecked, no_limit, ""},
    IntegerRule{"ping-restart", 0, unchecked, no_limit, ""},
    IntegerRule{"inactive", 0, unchecked, no_limit, ""},
    IntegerRule{"inactive", 1, unchecked, no_limit, ""},
    IntegerRule{"tun-mtu", 0, unchecked, no_limit, ""},
    IntegerRule{"link-mtu", 0, unchecked, no_limit, ""},
    IntegerRule{"mssfix", 0, unchecked, no_limit, ""},
    IntegerRule{"fragment", 0, 68, 0x7fffffff, "--fragment needs to be at least 68"},
    IntegerRule{"reneg-sec", 0, unchecked, no_limit, ""},
    IntegerRule{"reneg-sec", 1, unchecked, no_limit, ""},
    IntegerRule{"reneg-bytes", 0, unchecked, no_limit, ""},
    IntegerRule{"reneg-pkts", 0, unchecked, no_limit, ""},
    IntegerRule{"hand-window", 0, unchecked, no_limit, ""},
    IntegerRule{"tran-window", 0, unchecked, no_limit, ""},
    IntegerRule{"tls-timeout", 0, unchecked, no_limit, ""},
    IntegerRule{"connect-retry", 0, unchecked, no_limit, ""},
    IntegerRule{"connect-retry", 1, unchecked, no_limit, ""},
    IntegerRule{"connect-retry-max", 0, unchecked, no_limit, ""},
    IntegerRule{"connect-timeout", 0, unchecked, no_limit, ""},
    IntegerRule{"server-poll-timeout", 0, unchecked, no_limit, ""},
    IntegerRule{"explicit-exit-notify", 0, unchecked, no_limit, ""},
    IntegerRule{"route-metric", 0, unchecked, no_limit, ""},
    IntegerRule{"route-delay", 0, unchecked, no_limit, ""},
    IntegerRule{"route-delay", 1, unchecked, no_limit, ""},
    IntegerRule{"status", 1, unchecked, no_limit, ""},
    IntegerRule{"ifconfig-pool-persist", 1, unchecked, no_limit, ""},
    IntegerRule{"script-security", 0, unchecked, no_limit, ""},
    IntegerRule{"txqueuelen", 0, unchecked, no_limit, ""},
    IntegerRule{"sndbuf", 0, unchecked, no_limit, ""},
    IntegerRule{"rcvbuf", 0, unchecked, no_limit, ""},
    IntegerRule{"mark", 0, unchecked, no_limit, ""},
    IntegerRule{"nice", 0, unchecked, no_limit, ""},
    IntegerRule{"peer-id", 0, unchecked, no_limit, ""},
    IntegerRule{"session-timeout", 0, unchecked, no_limit, ""},
    IntegerRule{"replay-window", 0, unchecked, no_limit, ""},
    IntegerRule{"replay-window", 1, unchecked, no_limit, ""},
    IntegerRule{"tun-mtu-extra", 0, unchecked, no_limit, ""},
    IntegerRule{"max-routes-per-client", 0, unchecked, no_limit, ""},
    IntegerRule{"auth-gen-token", 0, unchecked, no_limit, ""},
};

// Options openvpn 2.6 still recognises only to reject them, with its message.
struct RemovedOption {
    std::string_view option;
    std::string_view message;
};

const std::array removed_options = {
    RemovedOption{"mtu-dynamic", "--mtu-dynamic has been replaced by --fragment"},
    RemovedOption{"compat-names", "--compat-names was removed in OpenVPN 2.5. Update your "
                                  "configuration."},
    RemovedOption{"no-name-remapping", "--no-name-remapping was removed in OpenVPN 2.5. Update "
                                       "your configuration."},
    RemovedOption{"client-cert-not-required", "REMOVED OPTION: --client-cert-not-required, use "
                                              "'--verify-client-cert none' instead"},
    RemovedOption{"msg-channel", "--msg-channel is only supported on Windows"},
    RemovedOption{"help", "--help makes openvpn print its usage and exit"},
    RemovedOption{"version", "--version makes openvpn print its version and exit"},
};

// Options openvpn accepts but ignores or will drop, with the reason it prints.
const std::array deprecated_options = {
    RemovedOption{"max-routes", "DEPRECATED OPTION: --max-routes option ignored. The number of "
                                "routes is unlimited as of OpenVPN 2.4."},
    RemovedOption{"http-proxy-retry", "DEPRECATED OPTION: http-proxy-retry: proxy connection "
                                      "retries are handled like regular connections"},
    RemovedOption{"socks-proxy-retry", "DEPRECATED OPTION: socks-proxy-retry: proxy connection "
                                       "retries are handled like regular connections"},
    RemovedOption{"http-proxy-timeout", "DEPRECATED OPTION: http-proxy-timeout: use "
                                        "connect-timeout"},
    RemovedOption{"tun-ipv6", "option tun-ipv6 is ignored because modern operating systems do "
                              "not need special IPv6 tun handling anymore"},
    RemovedOption{"prng", "--prng option ignored (SSL library PRNG is used)"},
    RemovedOption{"ncp-ciphers", "option '--ncp-ciphers' was renamed to '--data-ciphers' in "
                                 "OpenVPN 2.5"},
    RemovedOption{"route-method", "--route-method is ignored on systems other than Windows"},
};

bool contains(std::initializer_list<std::string_view> values, std::string_view value)
{
    return std::find(values.begin(), values.end(), value) != values.end();
}

std::string format_message(std::string_view message, std::string_view value)
{
    return fmt::format(fmt::runtime(message), value);
}

// Parses a decimal integer as a whole; nullopt when atoi() would read garbage.
std::optional<long> parse_integer(std::string_view text)
{
    long value = 0;
    const auto* first = text.data();
    const auto* last = text.data() + text.size();
    if (!text.empty() && text.front() == '+') {
        ++first;
    }
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || end != last || first == last) {
        return std::nullopt;
    }
    return value;
}

void check_integer(const IntegerRule& rule, std::string_view text,
                   std::vector<ArgumentFinding>& findings)
{
    const auto value = parse_integer(text);
    if (!value) {
        findings.push_back({Severity::warning,
                            fmt::format("--{} parameter '{}' is not a number; openvpn reads it "
                                        "as {}",
                                        rule.option, text, std::atoi(std::string(text).c_str()))});
        return;
    }
    if (rule.min <= rule.max && (*value < rule.min || *value > rule.max)) {
        findings.push_back({Severity::error, std::string(rule.message)});
    }
}

void check_special_values(const DirectiveSpec& spec, std::span<const std::string> args,
                          std::vector<ArgumentFinding>& findings)
{
    if (spec.name == "auth-user-pass-verify" && args.size() == 1) {
        findings.push_back({Severity::error, "--auth-user-pass-verify requires a second "
                                             "parameter ('via-env' or 'via-file')"});
    }
    if (spec.name == "http-proxy" && args.size() == 1) {
        findings.push_back({Severity::error, "http-proxy port number not defined"});
    }
    if (spec.name == "keying-material-exporter" && args[0].rfind("EXPORTER", 0) != 0) {
        findings.push_back({Severity::error, "Keying material exporter label must begin with "
                                             "\"EXPORTER\""});
    }
    if (spec.name == "setenv" && args[0] == "GENERIC_CONFIG") {
        findings.push_back({Severity::error, "this is a generic configuration and cannot "
                                             "directly be used"});
    }
    if (spec.name == "resolv-retry" && args[0] != "infinite" && !parse_integer(args[0])) {
        findings.push_back({Severity::warning,
                            fmt::format("--resolv-retry parameter '{}' is neither a number nor "
                                        "'infinite'; openvpn reads it as 0",
                                        args[0])});
    }
}

} // namespace

std::vector<ArgumentFinding> check_argument_values(const DirectiveSpec& spec,
                                                   std::span<const std::string> args,
                                                   bool is_inline)
{
    std::vector<ArgumentFinding> findings;
    for (const auto& removed : removed_options) {
        if (removed.option == spec.name) {
            findings.push_back({Severity::error, std::string(removed.message)});
            return findings;
        }
    }
    for (const auto& deprecated : deprecated_options) {
        if (deprecated.option == spec.name) {
            findings.push_back({Severity::warning, std::string(deprecated.message)});
        }
    }

    // The body of an inline block is not a parameter openvpn checks as a word or a number.
    if (is_inline) {
        return findings;
    }

    for (const auto& rule : enumeration_rules) {
        if (rule.option == spec.name && rule.index < args.size() &&
            !contains(rule.values, args[rule.index])) {
            findings.push_back({Severity::error, format_message(rule.message, args[rule.index])});
        }
    }
    if ((spec.name == "tls-auth" || spec.name == "secret") && args.size() == 2 &&
        args[1] != "0" && args[1] != "1") {
        findings.push_back({Severity::error, format_message("Unknown key direction '{}' -- must "
                                                            "be '0' or '1'",
                                                            args[1])});
    }
    for (const auto& rule : flag_list_rules) {
        if (rule.option != spec.name) {
            continue;
        }
        for (const auto& flag : args) {
            if (!contains(rule.values, flag)) {
                findings.push_back({Severity::error, format_message(rule.message, flag)});
            }
        }
    }
    for (const auto& rule : integer_rules) {
        if (rule.option == spec.name && rule.index < args.size()) {
            check_integer(rule, args[rule.index], findings);
        }
    }
    if (!args.empty()) {
        check_special_values(spec, args, findings);
    }
    return findings;
}

} // namespace robur::openvpn
