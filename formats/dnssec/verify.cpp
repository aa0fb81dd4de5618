#include "formats/dnssec/verify.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include "formats/dnssec/key.hpp"
#include "formats/dnssec/nsec.hpp"
#include "formats/dnssec/nsec3.hpp"
#include "formats/dnssec/rrsig.hpp"
#include "formats/dnssec/zone_nodes.hpp"

namespace robur::dnssec {

namespace {

using RRsetKey = std::tuple<zone::Name, std::uint16_t, std::uint16_t>;

struct RRsetEntry {
    const RRset* rrset = nullptr;
    bool is_signed = false; // authoritative data that must carry an RRSIG
};

std::string describe(const RRset& rrset)
{
    return fmt::format("{} {}", rrset.owner.to_string(), zone::type_to_string(rrset.type));
}

class ZoneVerifier {
public:
    ZoneVerifier(const zone::Zone& zone, const VerifyOptions& options);

    std::vector<Diagnostic> run();

private:
    bool load();
    void index_rrsets();
    void check_rrsig(const zone::Record& record);
    void check_rrsig_times(const zone::Record& record, const Rrsig& rrsig, const RRset& rrset);
    void check_coverage();
    void check_chain();

    void report(Severity severity, const SourceLocation& where, std::string message);

    const zone::Zone& zone_;
    std::uint32_t now_ = 0;
    std::uint32_t warn_until_ = 0;
    std::vector<zone::Record> rrsig_records_;
    std::vector<Node> nodes_;
    std::vector<RRset> nsec3_rrsets_;
    std::map<RRsetKey, RRsetEntry> rrsets_;
    std::vector<std::vector<std::uint8_t>> dnskeys_; // zone keys at the apex, in rdata form
    std::set<std::uint8_t> algorithms_;
    std::set<std::pair<const RRset*, std::uint8_t>> valid_signatures_; // by algorithm
    std::vector<Diagnostic> diagnostics_;
};

ZoneVerifier::ZoneVerifier(const zone::Zone& zone, const VerifyOptions& options) : zone_(zone)
{
    const auto now = options.now.value_or(
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
    now_ = rrsig_time(now);
    warn_until_ = rrsig_time(now + options.warn_within);
}

void ZoneVerifier::report(Severity severity, const SourceLocation& where, std::string message)
{
    SourceLocation location = where;
    if (location.path.empty() && !zone_.files.empty()) {
        location = SourceLocation{zone_.files.front(), 0, 0};
    }
    diagnostics_.push_back({severity, std::move(location), std::move(message)});
}

// Splits the records into RRSIGs, NSEC3s and the rest, builds the nodes and finds the keys.
bool ZoneVerifier::load()
{
    std::vector<zone::Record> data;
    std::vector<zone::Record> nsec3_records;
    for (const auto& record : zone_.records) {
        auto& target = record.type == zone::rrtype::rrsig   ? rrsig_records_
                       : record.type == zone::rrtype::nsec3 ? nsec3_records
                                                            : data;
        target.push_back(record);
    }
    auto nodes = build_nodes(zone_.origin, data);
    auto nsec3_rrsets = group_rrsets(nsec3_records);
    if (!nodes || !nsec3_rrsets) {
        const Error& error = !nodes ? nodes.error() : nsec3_rrsets.error();
        report(Severity::error, error.where.value_or(SourceLocation{}), error.message);
        return false;
    }
    nodes_ = std::move(*nodes);
    nsec3_rrsets_ = std::move(*nsec3_rrsets);

    if (nodes_.empty() || nodes_.front().kind != NodeKind::apex ||
        !nodes_.front().has_type(zone::rrtype::dnskey)) {
        report(
            Severity::error, {},
            fmt::format("the zone {} has no DNSKEY RRset at its apex", zone_.origin.to_string()));
        return false;
    }
    for (const auto& rrset : nodes_.front().rrsets) {
        if (rrset.type != zone::rrtype::dnskey) {
            continue;
        }
        for (const auto& rdata : rrset.rdatas) {
            // Only zone keys may sign zone data (RFC 4034 section 2.1.1).
            if (rdata.size() >= 4 && (rdata[0] & 0x01) != 0) {
                dnskeys_.push_back(rdata);
                algorithms_.insert(rdata[3]);
            }
        }
    }
    index_rrsets();
    return true;
}

void ZoneVerifier::index_rrsets()
{
    for (const auto& node : nodes_) {
        for (const auto& rrset : node.rrsets) {
            rrsets_[{rrset.owner, rrset.type, rrset.rclass}] = {
                &rrset, is_signed_rrset(node.kind, rrset.type)};
        }
    }
    for (const auto& rrset : nsec3_rrsets_) {
        rrsets_[{rrset.owner, rrset.type, rrset.rclass}] = {&rrset, true};
    }
}

void ZoneVerifier::check_rrsig(const zone::Record& record)
{
    const auto rrsig = parse_rrsig(record.rdata);
    if (!rrsig) {
        report(Severity::error, record.where,
               fmt::format("malformed RRSIG at {}: {}", record.owner.to_string(),
                           rrsig.error().message));
        return;
    }
    const auto& fields = rrsig->fields;
    const std::string rrsig_text =
        fmt::format("RRSIG {} {} with key tag {}", record.owner.to_string(),
                    zone::type_to_string(fields.type_covered), fields.key_tag);
    const auto found = rrsets_.find({record.owner.lowercase(), fields.type_covered, record.rclass});
    if (found == rrsets_.end()) {
        report(Severity::error, record.where,
               fmt::format("{} covers no RRset of the zone", rrsig_text));
        return;
    }
    const RRset& rrset = *found->second.rrset;
    if (!found->second.is_signed) {
        report(Severity::error, record.where,
               fmt::format("{} signs a delegation NS RRset or glue, which are not authoritative",
                           rrsig_text));
        return;
    }
    if (!(fields.signer == zone_.origin)) {
        report(Severity::error, record.where,
               fmt::format("{} names the signer {}, not the zone apex {}", rrsig_text,
                           fields.signer.to_string(), zone_.origin.to_string()));
        return;
    }

    RrsigStatus status = RrsigStatus::wrong_key;
    for (const auto& dnskey : dnskeys_) {
        const auto result = verify_rrsig(*rrsig, rrset, dnskey, now_);
        if (status == RrsigStatus::wrong_key || result != RrsigStatus::wrong_key) {
            status = result;
        }
        if (status == RrsigStatus::valid) {
            break;
        }
    }
    if (status == RrsigStatus::wrong_key) {
        report(Severity::error, record.where,
               fmt::format("{} names no zone key of the apex DNSKEY RRset (algorithm {})",
                           rrsig_text, fields.algorithm));
        return;
    }
    if (status != RrsigStatus::valid) {
        report(Severity::error, record.where,
               fmt::format("invalid {}: {}", rrsig_text, to_string(status)));
        return;
    }
    valid_signatures_.insert({&rrset, fields.algorithm});
    check_rrsig_times(record, *rrsig, rrset);
}

void ZoneVerifier::check_rrsig_times(const zone::Record& record, const Rrsig& rrsig,
                                     const RRset& rrset)
{
    const auto& fields = rrsig.fields;
    if (serial_before(fields.expiration, warn_until_)) {
        report(Severity::warning, record.where,
               fmt::format("RRSIG {} {} with key tag {} expires in {} seconds",
                           record.owner.to_string(), zone::type_to_string(fields.type_covered),
                           fields.key_tag, fields.expiration - now_));
    }
    if (fields.original_ttl != rrset.ttl) {
        report(Severity::warning, record.where,
               fmt::format("RRSIG {} {} has original TTL {} but the RRset has TTL {}",
                           record.owner.to_string(), zone::type_to_string(fields.type_covered),
                           fields.original_ttl, rrset.ttl));
    }
}

// Every authoritative RRset needs a valid RRSIG by each algorithm of the DNSKEY RRset
// (RFC 4035 section 2.2).
void ZoneVerifier::check_coverage()
{
    for (const auto& [key, entry] : rrsets_) {
        if (!entry.is_signed) {
            continue;
        }
        for (const auto algorithm : algorithms_) {
            if (valid_signatures_.count({entry.rrset, algorithm}) == 0) {
                report(Severity::error, entry.rrset->where,
                       fmt::format("{} has no valid RRSIG by an algorithm {} key",
                                   describe(*entry.rrset), algorithm));
            }
        }
    }
}

// Checks the NSEC3 chain when the apex has an NSEC3PARAM RRset, the NSEC chain otherwise.
void ZoneVerifier::check_chain()
{
    std::vector<Diagnostic> found;
    const Node& apex = nodes_.front();
    const auto param = std::find_if(apex.rrsets.begin(), apex.rrsets.end(), [](const RRset& rrset) {
        return rrset.type == zone::rrtype::nsec3param;
    });
    if (param != apex.rrsets.end()) {
        check_nsec3_chain(zone_.origin, nodes_, nsec3_rrsets_, found);
        if (apex.has_type(zone::rrtype::nsec)) {
            report(
                Severity::error, param->where,
                fmt::format("the zone {} has both an NSEC record and an NSEC3PARAM record at its "
                            "apex, so sign it again with one kind of chain",
                            zone_.origin.to_string()));
        }
    } else if (apex.has_type(zone::rrtype::nsec)) {
        check_nsec_chain(nodes_, found);
    } else {
        report(Severity::error, {},
               fmt::format("the zone {} has neither an NSEC record nor an NSEC3PARAM record at "
                           "its apex, so it has no chain that proves names do not exist",
                           zone_.origin.to_string()));
    }
    for (auto& diagnostic : found) {
        report(diagnostic.severity, diagnostic.where, std::move(diagnostic.message));
    }
}

std::vector<Diagnostic> ZoneVerifier::run()
{
    if (!load()) {
        return std::move(diagnostics_);
    }
    for (const auto& record : rrsig_records_) {
        check_rrsig(record);
    }
    check_coverage();
    check_chain();
    return std::move(diagnostics_);
}

} // namespace

std::vector<Diagnostic> verify_zone(const zone::Zone& zone, const VerifyOptions& options)
{
    ZoneVerifier verifier(zone, options);
    return verifier.run();
}

} // namespace robur::dnssec
