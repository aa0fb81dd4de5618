#include "servers/dns/online_zone.hpp"

#include <fmt/format.h>

#include "formats/dnssec/key_state.hpp"
#include "servers/dns/dnssec_keys.hpp"

namespace robur::dns {

std::string policy_fingerprint(const DnssecPolicy& policy)
{
    std::string text =
        fmt::format("mode={} validity={} refresh={} dnskey-ttl={}", static_cast<int>(policy.mode),
                    policy.validity.count(), policy.refresh.count(),
                    policy.dnskey_ttl ? std::to_string(*policy.dnskey_ttl) : std::string("soa"));
    if (policy.nsec3) {
        text += fmt::format(" nsec3 salt={:02x} iterations={} opt-out={}",
                            fmt::join(policy.nsec3->salt, ""), policy.nsec3->iterations,
                            policy.nsec3->opt_out);
    }
    return text;
}

std::string key_file_ids(const store::Snapshot& snapshot, const zone::Name& origin)
{
    auto entries = dnssec_key_files(snapshot, origin);
    if (!entries) {
        // The key loader reports the error when it reads the folder.
        return fmt::format("unreadable: {}", entries.error().message);
    }
    std::string text;
    for (const auto& entry : *entries) {
        text += fmt::format("{}={};", entry.path, entry.id.to_string());
    }
    return text;
}

Result<OnlineSignResult> sign_online_zone(const OnlineZone& zone, std::int64_t now)
{
    const auto& origin = zone.unsigned_zone->origin;
    const auto selected = dnssec::select_keys(zone.keys, now);
    if (selected.signing.empty()) {
        return make_error(Errc::invalid_argument,
                          fmt::format("no key of zone {} signs now: {}/ has {} key files, none "
                                      "published and active; make one with `robur key dnssec "
                                      "new {}`",
                                      origin.to_string(), dnssec::key_folder(origin),
                                      zone.keys.size(), origin.to_string()));
    }

    OnlineSignOptions options;
    options.nsec3 = zone.policy.nsec3;
    options.validity = zone.policy.validity;
    options.refresh = zone.policy.refresh;
    options.dnskey_ttl = zone.policy.dnskey_ttl;
    options.keys = selected.signing;
    options.published_dnskeys = selected.published;
    options.next_key_event = dnssec::next_key_event(zone.keys, now);
    options.threads = 2;
    const SignedVersion* previous = zone.version.zone ? &zone.version : nullptr;
    return sign_online(*zone.unsigned_zone, options, previous, now);
}

} // namespace robur::dns
