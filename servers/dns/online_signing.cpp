#include "servers/dns/online_signing.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "formats/dnssec/signer.hpp"
#include "formats/zone/serial.hpp"

namespace robur::dns {

namespace {

constexpr std::size_t soa_fixed_fields = 20;       // SERIAL, REFRESH, RETRY, EXPIRE and MINIMUM
constexpr std::size_t rrsig_expiration_offset = 8; // after type covered, algorithm, labels, TTL
constexpr std::int64_t inception_skew = 3600;      // for validators whose clocks run late

zone::Record* find_apex_soa(zone::Zone& zone)
{
    const auto soa =
        std::find_if(zone.records.begin(), zone.records.end(), [&zone](const zone::Record& record) {
            return record.type == zone::rrtype::soa && record.owner == zone.origin &&
                   record.rdata.size() >= soa_fixed_fields;
        });
    return soa == zone.records.end() ? nullptr : &*soa;
}

void write_serial(zone::Record& soa, std::uint32_t serial)
{
    auto* field = soa.rdata.data() + soa.rdata.size() - soa_fixed_fields;
    field[0] = static_cast<std::uint8_t>(serial >> 24);
    field[1] = static_cast<std::uint8_t>(serial >> 16);
    field[2] = static_cast<std::uint8_t>(serial >> 8);
    field[3] = static_cast<std::uint8_t>(serial);
}

std::uint32_t read_u32(const std::uint8_t* bytes)
{
    return (static_cast<std::uint32_t>(bytes[0]) << 24) |
           (static_cast<std::uint32_t>(bytes[1]) << 16) |
           (static_cast<std::uint32_t>(bytes[2]) << 8) | static_cast<std::uint32_t>(bytes[3]);
}

// Signs a copy of zone whose SOA carries serial.
Result<zone::Zone> sign_with_serial(zone::Zone zone, std::uint32_t serial,
                                    const OnlineSignOptions& options, const zone::Zone* previous,
                                    std::int64_t now)
{
    zone::Record* soa = find_apex_soa(zone);
    if (soa == nullptr) {
        return make_error(
            Errc::invalid_argument,
            fmt::format("zone {} has no SOA record at the apex", zone.origin.to_string()));
    }
    write_serial(*soa, serial);

    dnssec::SignOptions sign_options;
    sign_options.nsec3 = options.nsec3;
    sign_options.inception = std::chrono::sys_seconds{std::chrono::seconds{now - inception_skew}};
    sign_options.expiration =
        std::chrono::sys_seconds{std::chrono::seconds{now} + options.validity};
    sign_options.dnskey_ttl = options.dnskey_ttl;
    sign_options.threads = options.threads;
    sign_options.published_dnskeys = options.published_dnskeys;
    sign_options.previous = previous;
    sign_options.refresh = options.refresh;
    sign_options.now = std::chrono::sys_seconds{std::chrono::seconds{now}};
    // New signatures expire at spread-out times so that they come due one by one, but never
    // inside the refresh window, which would sign them again at once.
    sign_options.expiration_spread = std::min<std::chrono::seconds>(
        options.refresh / 4, (options.validity - options.refresh) / 2);
    return dnssec::sign_zone(zone, options.keys, sign_options);
}

std::int64_t resign_time(const zone::Zone& signed_zone, const OnlineSignOptions& options,
                         std::int64_t now)
{
    const auto expiration = earliest_expiration(signed_zone);
    std::int64_t at = expiration ? *expiration - options.refresh.count()
                                 : now + options.validity.count() - options.refresh.count();
    if (options.next_key_event) {
        at = std::min(at, *options.next_key_event);
    }
    // A reused signature may already lie inside the window. Signing again at once would not
    // help, so the next signing waits at least a second.
    return std::max(at, now + 1);
}

} // namespace

std::optional<std::int64_t> earliest_expiration(const zone::Zone& zone)
{
    std::optional<std::int64_t> earliest;
    for (const auto& record : zone.records) {
        if (record.type != zone::rrtype::rrsig ||
            record.rdata.size() < rrsig_expiration_offset + 4) {
            continue;
        }
        const auto expiration =
            static_cast<std::int64_t>(read_u32(record.rdata.data() + rrsig_expiration_offset));
        earliest = earliest ? std::min(*earliest, expiration) : expiration;
    }
    return earliest;
}

bool same_signed_records(const zone::Zone& left, const zone::Zone& right)
{
    return std::equal(left.records.begin(), left.records.end(), right.records.begin(),
                      right.records.end(), [](const zone::Record& one, const zone::Record& other) {
                          return one.ttl == other.ttl && one.same_data(other);
                      });
}

Result<OnlineSignResult> sign_online(const zone::Zone& unsigned_zone,
                                     const OnlineSignOptions& options,
                                     const SignedVersion* previous, std::int64_t now)
{
    const auto committed = unsigned_zone.serial();
    if (!committed) {
        return make_error(
            Errc::invalid_argument,
            fmt::format("zone {} has no SOA record at the apex", unsigned_zone.origin.to_string()));
    }
    const zone::Zone* previous_zone = previous != nullptr ? previous->zone.get() : nullptr;

    OnlineSignResult result;
    result.version.committed_serial = *committed;
    if (previous == nullptr || zone::serial_gt(*committed, previous->serial)) {
        auto signed_zone = sign_with_serial(unsigned_zone, *committed, options, previous_zone, now);
        if (!signed_zone) {
            return tl::unexpected(signed_zone.error());
        }
        result.version.serial = *committed;
        result.version.zone = std::make_shared<const zone::Zone>(std::move(*signed_zone));
        result.changed = true;
        result.version.resign_at = resign_time(*result.version.zone, options, now);
        return result;
    }

    // Sign with the served serial first: when nothing changed the signer reuses every RRSIG
    // and the result equals the served version.
    auto same_serial =
        sign_with_serial(unsigned_zone, previous->serial, options, previous_zone, now);
    if (!same_serial) {
        return tl::unexpected(same_serial.error());
    }
    if (same_signed_records(*same_serial, *previous->zone)) {
        result.version = *previous;
        result.version.committed_serial = *committed;
        result.version.resign_at = resign_time(*previous->zone, options, now);
        result.serial_raised = previous->serial != *committed;
        return result;
    }

    // Something changed, so the served serial moves on. The first pass is the previous version
    // now, so that only the SOA RRset is signed again.
    const std::uint32_t raised = previous->serial + 1;
    auto signed_zone = sign_with_serial(unsigned_zone, raised, options, &*same_serial, now);
    if (!signed_zone) {
        return tl::unexpected(signed_zone.error());
    }
    result.version.serial = raised;
    result.version.zone = std::make_shared<const zone::Zone>(std::move(*signed_zone));
    result.version.resign_at = resign_time(*result.version.zone, options, now);
    result.changed = true;
    result.serial_raised = raised != *committed;
    return result;
}

} // namespace robur::dns
