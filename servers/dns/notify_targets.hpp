#pragma once

// Which secondaries get a NOTIFY when a zone changes (RFC 1996 section 3.6), from the zone's
// own NS records, robur.conf's also-notify entries and the TSIG keys whose names carry the
// secondary's address.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/tsig.hpp"
#include "servers/dns/tsig_keys.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {

// One secondary to notify.
struct NotifyTarget {
    ListenAddress address;
    std::optional<tsig::Key> key; // sign the NOTIFY with it
    std::string source;           // "also-notify", "NS ns2.example.com.", "key <name>": for logs
};

// One also-notify value of robur.conf: "ADDRESS[:PORT]" or "ADDRESS[:PORT] key NAME", with an
// IPv6 address in brackets and port 53 when none is given.
struct AlsoNotify {
    ListenAddress address;
    std::optional<zone::Name> key_name;
};

// Parses an also-notify value. Errors: invalid_argument naming the value and what is wrong,
// so that a configuration check can report it before any NOTIFY is due.
[[nodiscard]] Result<AlsoNotify> parse_also_notify(std::string_view text);

// Returns the secondaries of zone:
// - the addresses of the apex NS targets on port 53, except the SOA MNAME, which is the
//   primary itself (RFC 1996 section 3.6). Addresses are the A and AAAA records of the NS
//   target in any zone of zones. robur resolves no names, so a target without them is left out.
// - every also-notify value of robur.conf for the zone, signed with the key it names;
// - the secondary address of every `<primary-ip>.<secondary-ip>._transfer.<zone>` key that
//   covers zone (the key's zone or one above it), on port 53, signed with that key.
// An address and port named twice is one target; it keeps the first key given for it,
// also-notify's before those of `_transfer` keys. Errors: invalid_argument for a malformed
// also-notify value, not_found for an also-notify key missing from keys.
[[nodiscard]] Result<std::vector<NotifyTarget>>
notify_targets(const zone::Name& zone, const ZoneSet& zones, const tsig::KeyTable& keys,
               const std::vector<std::string>& also_notify);

} // namespace robur::dns
