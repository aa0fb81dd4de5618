#include "cli/key_dnssec_common.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "formats/dnssec/ds.hpp"
#include "formats/zone/text.hpp"
#include "servers/dns/dnssec_keys.hpp"
#include "store/config.hpp"

namespace robur::cli {

namespace {

// Key generation gives up after this many keys whose tag an existing key of the zone already
// has. With n keys of one algorithm a try fails with probability about n / 65536.
constexpr int max_tag_attempts = 16;

// Durations that --now accepts after "+" or "-": up to about 100 years.
constexpr std::uint64_t max_time_offset = 100ULL * 366 * 86400;

// The policy of the zone from robur.conf at the snapshot; the defaults without robur.conf.
Result<dns::DnssecPolicy> policy_at(const store::Snapshot& snapshot, const zone::Name& origin)
{
    auto config = store::Config::load(snapshot);
    if (!config) {
        if (config.error().code == Errc::not_found) {
            return dns::DnssecPolicy{};
        }
        return tl::unexpected(config.error());
    }
    return dns::dnssec_policy(*config, origin);
}

// The rollover durations: the DNSKEY TTL is the larger of the one signing gives the RRset
// and the one of DNSKEY records already committed, so that a TTL lowered since the last
// signing still waits for the old one.
dnssec::RolloverTimings rollover_timings(const dns::LoadedZone& zone,
                                         const dns::DnssecPolicy& policy)
{
    std::uint32_t dnskey_ttl = policy.dnskey_ttl.value_or(apex_ttl(zone));
    std::uint32_t max_ttl = 0;
    for (const auto& record : zone.result.zone.records) {
        max_ttl = std::max(max_ttl, record.ttl);
        if (record.type == zone::rrtype::dnskey) {
            dnskey_ttl = std::max(dnskey_ttl, record.ttl);
        }
    }

    dnssec::RolloverTimings timings;
    timings.dnskey_ttl = dnskey_ttl;
    timings.max_zone_ttl = std::max(max_ttl, dnskey_ttl);
    timings.propagation_delay = policy.propagation_delay.count();
    timings.parent_ds_ttl = policy.parent_ds_ttl.count();
    timings.parent_propagation_delay = policy.parent_propagation_delay.count();
    return timings;
}

std::int64_t clock_now()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

std::string zone_text(const zone::Name& origin)
{
    std::string text = origin.to_string();
    if (!origin.is_root()) {
        text.pop_back();
    }
    return text;
}

std::uint32_t apex_ttl(const dns::LoadedZone& zone)
{
    for (const auto& record : zone.result.zone.records) {
        if (record.type == zone::rrtype::soa && record.owner == zone.origin) {
            return record.ttl;
        }
    }
    return default_dnskey_ttl;
}

Result<std::pair<ZoneVersion, dns::LoadedZone>>
zone_at_head(const store::Repository& repository, const std::optional<store::ObjectId>& head,
             const zone::Name& origin)
{
    const auto zone_missing = make_error(
        Errc::not_found, fmt::format("zone {} not found in the repository: import it with robur "
                                     "zone import first",
                                     zone_text(origin)));
    if (!head) {
        return zone_missing;
    }
    auto version = commit_version(repository, "HEAD");
    if (!version) {
        return tl::unexpected(version.error());
    }
    auto found = version->find(origin);
    if (!found) {
        return tl::unexpected(found.error());
    }
    if (!*found) {
        return zone_missing;
    }
    return std::pair{std::move(*version), std::move(**found)};
}

Result<DnssecZone> load_dnssec_zone(const store::Repository& repository, const zone::Name& origin)
{
    auto head = repository.branch_head();
    if (!head) {
        return tl::unexpected(head.error());
    }
    auto found = zone_at_head(repository, *head, origin);
    if (!found) {
        return tl::unexpected(found.error());
    }
    auto& [version, zone] = *found;
    for (const auto& diagnostic : zone.result.diagnostics) {
        if (diagnostic.severity == Severity::error) {
            return make_error(Errc::validation_failed,
                              fmt::format("{}: fix the zone file first", diagnostic.to_string()));
        }
    }

    auto keys = dns::load_dnssec_keys(*version.snapshot, origin);
    if (!keys) {
        return tl::unexpected(keys.error());
    }
    auto policy = policy_at(*version.snapshot, origin);
    if (!policy) {
        return tl::unexpected(policy.error());
    }
    const auto timings = rollover_timings(zone, *policy);
    return DnssecZone{
        origin, *head, std::move(version), std::move(zone), std::move(*keys), std::move(*policy),
        timings};
}

Result<dnssec::KeyPair> generate_unique_key(const store::Snapshot& snapshot,
                                            const zone::Name& origin, dnssec::Algorithm algorithm,
                                            std::uint16_t flags)
{
    const std::string folder = dnssec::key_folder(origin);
    for (int attempt = 0; attempt < max_tag_attempts; ++attempt) {
        auto key = dnssec::generate_key(origin, algorithm, flags);
        if (!key) {
            return key;
        }
        if (!snapshot.exists(key_path_stem(*key) + ".key")) {
            return key;
        }
    }
    return make_error(
        Errc::conflict,
        fmt::format("every generated key had the tag of an existing key in {}", folder));
}

std::string key_path_stem(const dnssec::KeyPair& key)
{
    return fmt::format("{}/{}", dnssec::key_folder(key.owner), dnssec::key_file_stem(key));
}

Result<std::vector<store::FileChange>> key_file_writes(const dnssec::KeyFiles& files)
{
    auto private_text = dnssec::format_private_key_file(files);
    if (!private_text) {
        return tl::unexpected(private_text.error());
    }
    const std::string stem = key_path_stem(files.key);
    // The store writes files under keys/ with mode 0600 in the work tree.
    return std::vector<store::FileChange>{
        {stem + ".key", dnssec::format_public_key_file(files), store::mode_file},
        {stem + ".private", std::move(*private_text), store::mode_file},
    };
}

std::vector<store::FileChange> key_file_deletes(const dnssec::KeyPair& key)
{
    const std::string stem = key_path_stem(key);
    return {
        {stem + ".key", std::nullopt, store::mode_file},
        {stem + ".private", std::nullopt, store::mode_file},
    };
}

Result<std::string> commit_key_changes(store::Repository& repository,
                                       const std::optional<store::ObjectId>& head,
                                       std::vector<store::FileChange> changes, std::string message)
{
    auto author = repository.default_signature();
    if (!author) {
        return make_error(author.error().code,
                          fmt::format("{}; set user.name and user.email with git config",
                                      author.error().message));
    }
    const store::CommitRequest request{.branch = {},
                                       .expected_head = head,
                                       .changes = std::move(changes),
                                       .author = *author,
                                       .committer = std::nullopt,
                                       .message = std::move(message)};
    auto commit = repository.commit(request);
    if (!commit) {
        return tl::unexpected(commit.error());
    }
    return commit->short_string();
}

Result<std::int64_t> parse_time_option(std::string_view option, std::string_view text)
{
    if (text.empty() || text == "now") {
        return clock_now();
    }
    if (text.front() == '+' || text.front() == '-') {
        const auto offset = zone::text::parse_duration(text.substr(1), max_time_offset);
        if (offset) {
            const auto seconds = static_cast<std::int64_t>(*offset);
            return text.front() == '+' ? clock_now() + seconds : clock_now() - seconds;
        }
    } else if (const auto time = dnssec::parse_key_time(text)) {
        return *time;
    }
    return make_error(Errc::usage,
                      fmt::format("invalid {} '{}': expected YYYYMMDDHHMMSS in UTC, now, or "
                                  "+DURATION or -DURATION such as +1d2h",
                                  option, text));
}

std::vector<std::string> ds_lines(const dnssec::KeyPair& key, std::uint32_t ttl)
{
    std::vector<std::string> lines;
    auto ds = dnssec::ds_record(key.dnskey_record(ttl), dnssec::DigestType::sha256);
    if (ds) {
        lines.push_back(dnssec::format_ds_line(*ds));
    }
    return lines;
}

} // namespace robur::cli
