#include "formats/dnssec/signer.hpp"

#include <algorithm>
#include <future>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "formats/dnssec/nsec.hpp"
#include "formats/dnssec/rrsig.hpp"
#include "formats/dnssec/signature_reuse.hpp"
#include "formats/dnssec/signer_roles.hpp"
#include "formats/dnssec/zone_nodes.hpp"

namespace robur::dnssec {

namespace {

using detail::Roles;
using detail::SigningKey;
using detail::Window;

// One RRset to sign and the keys that sign it.
struct SigningJob {
    const RRset* rrset;
    const std::vector<SigningKey>* keys;
};

bool is_denial_record(std::uint16_t type)
{
    return type == zone::rrtype::rrsig || type == zone::rrtype::nsec ||
           type == zone::rrtype::nsec3 || type == zone::rrtype::nsec3param;
}

Result<void> check_keys(const zone::Name& origin, const std::vector<KeyPair>& keys)
{
    if (keys.empty()) {
        return make_error(Errc::invalid_argument, "no DNSSEC key to sign the zone with");
    }
    for (const auto& key : keys) {
        if (!(key.owner == origin)) {
            return make_error(Errc::invalid_argument,
                              fmt::format("the key {} belongs to {}, not to the zone {}",
                                          key.key_tag(), key.owner.to_string(),
                                          origin.to_string()));
        }
        if ((key.flags & dnskey_flags::zone_key) == 0 || !key.key) {
            return make_error(Errc::invalid_argument,
                              fmt::format("the key {} of {} has no zone key flag or no private "
                                          "key, so it cannot sign",
                                          key.key_tag(), origin.to_string()));
        }
    }
    return {};
}

// Gives every record of an RRset the RRset's lowest TTL (RFC 2181 section 5.2).
void unify_ttls(std::vector<zone::Record>& records)
{
    // keys never grows beyond its reserved size, so the views into it stay valid.
    std::vector<std::string> keys;
    keys.reserve(records.size());
    std::unordered_map<std::string_view, std::uint32_t> lowest;
    lowest.reserve(records.size());
    for (const auto& record : records) {
        keys.push_back(rrset_index_key(record.owner, record.type, record.rclass));
        auto [entry, inserted] = lowest.try_emplace(keys.back(), record.ttl);
        entry->second = std::min(entry->second, record.ttl);
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
        records[i].ttl = lowest[keys[i]];
    }
}

std::optional<std::uint32_t> apex_soa_ttl(const zone::Zone& zone)
{
    for (const auto& record : zone.records) {
        if (record.type == zone::rrtype::soa && record.owner == zone.origin) {
            return record.ttl;
        }
    }
    return std::nullopt;
}

// True for an apex DNSKEY of an algorithm that no key signs with. Such a key must go: every
// algorithm of the DNSKEY RRset has to sign every RRset (RFC 4035 section 2.2).
bool is_unusable_dnskey(const zone::Record& record, const zone::Name& origin,
                        const std::vector<KeyPair>& keys)
{
    if (record.type != zone::rrtype::dnskey || !(record.owner == origin) ||
        record.rdata.size() < 4) {
        return false;
    }
    return std::none_of(keys.begin(), keys.end(), [&](const KeyPair& key) {
        return static_cast<std::uint8_t>(key.algorithm) == record.rdata[3];
    });
}

// The unsigned records of the output: the input without old DNSSEC records and without DNSKEYs
// of other algorithms, plus the DNSKEY records of keys that are not there yet, every DNSKEY
// with dnskey_ttl.
std::vector<zone::Record> unsigned_records(const zone::Zone& zone, const std::vector<KeyPair>& keys,
                                           const std::vector<zone::Record>& published,
                                           std::uint32_t dnskey_ttl)
{
    std::vector<zone::Record> records;
    records.reserve(zone.records.size() + keys.size());
    for (const auto& record : zone.records) {
        if (!is_denial_record(record.type) && !is_unusable_dnskey(record, zone.origin, keys)) {
            records.push_back(record);
        }
    }
    std::vector<zone::Record> dnskeys;
    dnskeys.reserve(keys.size() + published.size());
    for (const auto& key : keys) {
        dnskeys.push_back(key.dnskey_record(dnskey_ttl));
    }
    for (const auto& record : published) {
        if (record.type == zone::rrtype::dnskey && record.owner == zone.origin &&
            !is_unusable_dnskey(record, zone.origin, keys)) {
            dnskeys.push_back(record);
        }
    }
    for (auto& dnskey : dnskeys) {
        const bool present =
            std::any_of(records.begin(), records.end(),
                        [&](const zone::Record& record) { return record.same_data(dnskey); });
        if (!present) {
            records.push_back(std::move(dnskey));
        }
    }
    for (auto& record : records) {
        if (record.type == zone::rrtype::dnskey && record.owner == zone.origin) {
            record.ttl = dnskey_ttl;
        }
    }
    unify_ttls(records);
    return records;
}

// Everything the signing threads share, read-only.
struct SigningPlan {
    const std::vector<SigningJob>& jobs;
    const std::vector<KeyPair>& keys;
    std::vector<std::vector<std::uint8_t>> key_rdatas; // DNSKEY RDATA of each key
    Window window;
    const PreviousSignatures* previous; // null: sign everything afresh
    ReuseRule rule;
};

// The RRSIGs and counts of one thread's slice of the jobs.
struct SliceOutput {
    std::vector<zone::Record> rrsigs;
    SignStats stats;
};

// Signs jobs[begin, end) into out with contexts of this thread, reusing what plan.previous
// allows; stops at the first error.
Result<void> sign_jobs(const SigningPlan& plan, std::size_t begin, std::size_t end,
                       SliceOutput& out)
{
    std::vector<SigningContext> contexts;
    contexts.reserve(plan.keys.size());
    for (const auto& key : plan.keys) {
        auto context = SigningContext::create(key);
        if (!context) {
            return tl::unexpected(context.error());
        }
        contexts.push_back(std::move(*context));
    }

    std::vector<std::uint8_t> scratch;
    for (std::size_t i = begin; i < end; ++i) {
        const RRset& rrset = *plan.jobs[i].rrset;
        bool signed_afresh = false;
        for (const auto& key : *plan.jobs[i].keys) {
            const zone::Record* kept =
                plan.previous == nullptr
                    ? nullptr
                    : plan.previous->find(rrset, plan.keys[key.index], plan.key_rdatas[key.index],
                                          plan.rule);
            if (kept != nullptr) {
                out.rrsigs.push_back(*kept);
                ++out.stats.signatures_reused;
                continue;
            }
            auto rrsig = sign_rrset(rrset, contexts[key.index], plan.window.inception,
                                    detail::spread_expiration(rrset, plan.window), scratch);
            if (!rrsig) {
                return tl::unexpected(rrsig.error());
            }
            out.rrsigs.push_back(std::move(*rrsig));
            ++out.stats.signatures_new;
            signed_afresh = true;
        }
        ++(signed_afresh ? out.stats.rrsets_signed : out.stats.rrsets_kept);
    }
    return {};
}

void add_stats(SignStats& total, const SignStats& part)
{
    total.signatures_reused += part.signatures_reused;
    total.signatures_new += part.signatures_new;
    total.rrsets_signed += part.rrsets_signed;
    total.rrsets_kept += part.rrsets_kept;
}

// Signs the jobs on up to `threads` threads, each on a contiguous slice, and returns the
// RRSIGs in job order whatever the thread count.
Result<std::vector<zone::Record>> sign_in_parallel(const SigningPlan& plan, unsigned threads,
                                                   SignStats& stats)
{
    const std::size_t count =
        std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(plan.jobs.size(), 1));
    std::vector<SliceOutput> outputs(count);
    std::vector<Result<void>> results(count);
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < count; ++t) {
        const std::size_t begin = plan.jobs.size() * t / count;
        const std::size_t end = plan.jobs.size() * (t + 1) / count;
        auto work = [&, t, begin, end] { results[t] = sign_jobs(plan, begin, end, outputs[t]); };
        if (t + 1 == count) {
            work(); // the calling thread takes the last slice
        } else {
            workers.emplace_back(work);
        }
    }
    for (auto& worker : workers) {
        worker.join();
    }

    std::vector<zone::Record> rrsigs;
    for (std::size_t t = 0; t < count; ++t) {
        if (!results[t]) {
            return tl::unexpected(results[t].error());
        }
        add_stats(stats, outputs[t].stats);
        std::move(outputs[t].rrsigs.begin(), outputs[t].rrsigs.end(),
                  std::back_inserter(rrsigs));
    }
    return rrsigs;
}

// Adds the NSEC3PARAM RRset to the apex node and returns its record.
Result<zone::Record> add_nsec3param(std::vector<Node>& nodes, const zone::Name& origin,
                                    const Nsec3Options& nsec3, std::uint32_t ttl)
{
    // Flags are 0 in NSEC3PARAM: opt-out is a property of each NSEC3 (RFC 5155 section 4.1.2).
    const Nsec3Param param{nsec3_sha1, 0, nsec3.iterations, nsec3.salt};
    zone::Record record{origin.lowercase(),      zone::rrtype::nsec3param,
                        zone::rrclass::in,       ttl,
                        nsec3param_rdata(param), {}};
    auto rrsets = group_rrsets(std::span<const zone::Record>(&record, 1));
    if (!rrsets) {
        return tl::unexpected(rrsets.error());
    }
    auto& apex = nodes.front().rrsets;
    const auto position = std::find_if(apex.begin(), apex.end(), [](const RRset& rrset) {
        return rrset.type > zone::rrtype::nsec3param;
    });
    apex.insert(position, std::move(rrsets->front()));
    return record;
}

// Builds the NSEC or NSEC3 chain, with the NSEC3PARAM record first for NSEC3.
Result<std::vector<zone::Record>> build_chain(std::vector<Node>& nodes, const zone::Name& origin,
                                              const SignOptions& options, std::uint32_t ttl)
{
    if (!options.nsec3) {
        return build_nsec_chain(nodes, ttl);
    }
    auto param = add_nsec3param(nodes, origin, *options.nsec3, ttl);
    if (!param) {
        return tl::unexpected(param.error());
    }
    auto chain = build_nsec3_chain(origin, nodes, *options.nsec3, ttl);
    if (!chain) {
        return tl::unexpected(chain.error());
    }
    chain->insert(chain->begin(), std::move(*param));
    return chain;
}

// The keys for an RRset: the KSKs for the DNSKEY RRset, and both kinds for CDS and CDNSKEY,
// which the parent checks against a key its DS RRset names (RFC 7344 section 4.1).
const std::vector<SigningKey>& signers_for(const Node& node, const RRset& rrset, const Roles& roles)
{
    constexpr std::uint16_t cds = 59;
    constexpr std::uint16_t cdnskey = 60;
    if (node.kind != NodeKind::apex) {
        return roles.zone_signing;
    }
    if (rrset.type == zone::rrtype::dnskey) {
        return roles.key_signing;
    }
    if (rrset.type == cds || rrset.type == cdnskey) {
        return roles.all;
    }
    return roles.zone_signing;
}

std::vector<SigningJob> signing_jobs(const std::vector<Node>& nodes,
                                     const std::vector<RRset>& chain, const Roles& roles)
{
    std::vector<SigningJob> jobs;
    for (const auto& node : nodes) {
        for (const auto& rrset : node.rrsets) {
            if (!is_signed_rrset(node.kind, rrset.type)) {
                continue;
            }
            jobs.push_back({&rrset, &signers_for(node, rrset, roles)});
        }
    }
    for (const auto& rrset : chain) {
        // The NSEC3PARAM RRset is part of the apex node already.
        if (rrset.type != zone::rrtype::nsec3param) {
            jobs.push_back({&rrset, &roles.zone_signing});
        }
    }
    return jobs;
}

std::vector<std::vector<std::uint8_t>> key_rdatas(const std::vector<KeyPair>& keys)
{
    std::vector<std::vector<std::uint8_t>> rdatas;
    rdatas.reserve(keys.size());
    for (const auto& key : keys) {
        rdatas.push_back(key.dnskey_rdata());
    }
    return rdatas;
}

// The index of options.previous; nullopt without one, or when its records cannot be grouped
// into RRsets, because a broken earlier version must not stop a new signing.
std::optional<PreviousSignatures> index_previous(const SignOptions& options)
{
    if (options.previous == nullptr) {
        return std::nullopt;
    }
    auto index = PreviousSignatures::build(*options.previous);
    if (!index) {
        return std::nullopt;
    }
    return std::optional<PreviousSignatures>(std::move(*index));
}

} // namespace

Result<zone::Zone> sign_zone(const zone::Zone& zone, const std::vector<KeyPair>& keys,
                             const SignOptions& options)
{
    SignStats stats;
    return sign_zone(zone, keys, options, stats);
}

Result<zone::Zone> sign_zone(const zone::Zone& zone, const std::vector<KeyPair>& keys,
                             const SignOptions& options, SignStats& stats)
{
    if (auto checked = check_keys(zone.origin, keys); !checked) {
        return tl::unexpected(checked.error());
    }
    if (options.nsec3) {
        if (auto checked = check_nsec3_options(*options.nsec3); !checked) {
            return tl::unexpected(checked.error());
        }
    }
    const auto roles = detail::assign_roles(keys);
    const auto window = detail::signature_window(options);
    const auto soa_ttl = apex_soa_ttl(zone);
    if (!roles || !window) {
        return tl::unexpected(!roles ? roles.error() : window.error());
    }
    if (!soa_ttl) {
        return make_error(
            Errc::invalid_argument,
            fmt::format("the zone {} has no SOA record at its apex", zone.origin.to_string()));
    }

    // Indexing a signed previous version costs about as much as the steps up to signing, so a
    // second thread does it meanwhile.
    auto previous = std::async(std::launch::async, [&options] { return index_previous(options); });
    zone::Zone signed_zone{zone.origin,
                           unsigned_records(zone, keys, options.published_dnskeys,
                                            options.dnskey_ttl.value_or(*soa_ttl)),
                           zone.files};
    auto nodes = build_nodes(zone.origin, signed_zone.records);
    if (!nodes) {
        return tl::unexpected(nodes.error());
    }
    const auto ttl = denial_ttl(*nodes);
    if (!ttl) {
        return tl::unexpected(ttl.error());
    }
    auto chain = build_chain(*nodes, zone.origin, options, *ttl);
    if (!chain) {
        return tl::unexpected(chain.error());
    }
    const auto chain_rrsets = group_rrsets(*chain);
    if (!chain_rrsets) {
        return tl::unexpected(chain_rrsets.error());
    }

    const auto index = previous.get();
    const auto jobs = signing_jobs(*nodes, *chain_rrsets, *roles);
    const SigningPlan plan{jobs,     keys, key_rdatas(keys), *window,
                           index ? &*index : nullptr, detail::reuse_rule(options)};
    auto rrsigs = sign_in_parallel(plan, options.threads, stats);
    if (!rrsigs) {
        return tl::unexpected(rrsigs.error());
    }
    auto& records = signed_zone.records;
    std::move(chain->begin(), chain->end(), std::back_inserter(records));
    std::move(rrsigs->begin(), rrsigs->end(), std::back_inserter(records));
    return signed_zone;
}

} // namespace robur::dnssec
