#pragma once

// Who may transfer, update and notify which zones, from robur.conf:
//
//   [dns]
//       allow-transfer = 192.0.2.0/24     unsigned AXFR and IXFR from these addresses
//       allow-update = key NAME           UPDATE signed with this key, for every zone
//       allow-notify = 127.0.0.1          unsigned NOTIFY that makes the server reload
//   [zone "example.com"]
//       allow-transfer = key NAME         adds to [dns] for this zone and below
//       also-notify = 192.0.2.53:53 key NAME
//       notify = explicit                 only also-notify and key-named secondaries
//       serial = auto
//
// A signed request is also allowed when the key's own name grants the operation
// (`<label>._update.<zone>`, see tsig_keys.hpp). An unsigned request is allowed only from an
// address listed for its operation; nothing is allowed by default. A right to update includes
// transfer and notify, and a right to transfer includes notify.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "servers/dns/asio.hpp"
#include "servers/dns/tsig_keys.hpp"
#include "store/config.hpp"

namespace robur::dns {

// Which secondaries get NOTIFY: every one found (yes, the default, as RFC 1996 section 3.6
// asks), only those robur.conf and the key names list (explicit, as BIND's "notify explicit"),
// or none (no).
enum class NotifyMode : std::uint8_t { yes, explicit_only, no };

// One allow-* value: a key name, or an address with a prefix length.
struct AccessRule {
    std::optional<zone::Name> key;
    asio::ip::address network;
    unsigned prefix_length = 0;

    [[nodiscard]] bool matches(const asio::ip::address& client) const;
};

// Parses "key NAME", "ADDRESS" or "ADDRESS/PREFIX". Errors: invalid_argument naming the value.
Result<AccessRule> parse_access_rule(std::string_view text);

// The access settings of one zone, or of [dns] for every zone.
struct ZoneAccess {
    std::vector<AccessRule> transfer;
    std::vector<AccessRule> update;
    std::vector<AccessRule> notify;
    std::vector<std::string> also_notify; // raw values, parsed by the NOTIFY sender
    std::optional<bool> serial_auto;      // serial = auto or manual, when set
    std::optional<NotifyMode> notify_mode; // notify = yes, explicit or no, when set
};

class AccessPolicy {
public:
    // Reads the [dns] and [zone "..."] access keys. Errors: invalid_argument naming the file,
    // the key and the value.
    static Result<AccessPolicy> from_config(const store::Config& config);

    // True when a request for operation on zone from client, signed with key (null when
    // unsigned), is allowed. key must already be verified.
    [[nodiscard]] bool allows(tsig::Operation operation, const zone::Name& zone,
                              const asio::ip::address& client, const tsig::KeyEntry* key) const;

    // The also-notify values of zone.
    [[nodiscard]] std::vector<std::string> also_notify(const zone::Name& zone) const;

    // Which secondaries of zone get NOTIFY.
    [[nodiscard]] NotifyMode notify_mode(const zone::Name& zone) const;

    // True when robur raises the serial of zone itself (serial = auto).
    [[nodiscard]] bool serial_auto(const zone::Name& zone) const;

    // The remote each UPDATE commit is pushed to, when set.
    [[nodiscard]] const std::optional<std::string>& push_remote() const { return push_remote_; }

private:
    // The rules of zone and of every ancestor that has a section, then the [dns] rules.
    [[nodiscard]] std::vector<const ZoneAccess*> applicable(const zone::Name& zone) const;

    ZoneAccess global_;
    std::map<zone::Name, ZoneAccess> zones_; // by lower-cased origin
    std::optional<std::string> push_remote_;
};

} // namespace robur::dns
