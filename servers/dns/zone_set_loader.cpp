#include "servers/dns/zone_set_loader.hpp"

#include <algorithm>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "core/diagnostic.hpp"
#include "core/log.hpp"
#include "formats/zone/serial.hpp"
#include "formats/zone/validate.hpp"
#include "servers/dns/log_quote.hpp"
#include "servers/dns/zone_loader.hpp"

namespace robur::dns {

namespace {

// Diagnostics logged per rejected or warned-about zone version; the rest are counted.
constexpr std::size_t max_logged_diagnostics = 20;

bool files_unchanged(const store::Snapshot& snapshot,
                     const std::vector<std::pair<std::string, std::optional<store::ObjectId>>>& ids)
{
    if (ids.empty()) {
        return false;
    }
    return std::all_of(ids.begin(), ids.end(), [&snapshot](const auto& file) {
        return snapshot.blob_id(file.first) == file.second;
    });
}

// "path:line: message" as a quoted log value, without the severity that the log level shows.
std::string describe(const Diagnostic& diagnostic)
{
    return log_quote(fmt::format("{}: {}", diagnostic.where.to_string(), diagnostic.message));
}

std::vector<Diagnostic> only(Severity severity, const std::vector<Diagnostic>& diagnostics)
{
    std::vector<Diagnostic> selected;
    std::copy_if(
        diagnostics.begin(), diagnostics.end(), std::back_inserter(selected),
        [severity](const Diagnostic& diagnostic) { return diagnostic.severity == severity; });
    return selected;
}

// Checks a parsed zone: parse errors, then validation. Returns false when the zone has errors,
// which are then in errors. Warnings are collected either way.
bool check_zone(const LoadedZone& zone, std::vector<Diagnostic>& errors,
                std::vector<Diagnostic>& warnings)
{
    errors = only(Severity::error, zone.result.diagnostics);
    warnings = only(Severity::warning, zone.result.diagnostics);
    if (!errors.empty()) {
        return false;
    }

    const auto findings = zone::validate_zone(zone.result.zone);
    errors = only(Severity::error, findings);
    const auto more = only(Severity::warning, findings);
    warnings.insert(warnings.end(), more.begin(), more.end());
    return errors.empty();
}

// Zone transfers read the records but not their file positions, which would cost a string per
// record for as long as the zone is served.
zone::Zone without_positions(zone::Zone zone)
{
    for (auto& record : zone.records) {
        record.where = {};
    }
    return zone;
}

// Compiles a checked zone. Returns null when compiling fails, with the reason in errors.
std::shared_ptr<const CompiledZone> compile_checked(std::shared_ptr<const zone::Zone> zone,
                                                    const std::string& path,
                                                    std::vector<Diagnostic>& errors)
{
    auto compiled = compile_zone(std::move(zone));
    if (!compiled) {
        Diagnostic failure;
        failure.where = compiled.error().where.value_or(SourceLocation{path, 0, 0});
        failure.message = compiled.error().message;
        errors.push_back(std::move(failure));
        return nullptr;
    }
    return std::move(*compiled);
}

Diagnostic error_at(const std::string& path, std::string message)
{
    return Diagnostic{Severity::error, SourceLocation{path, 0, 0}, std::move(message)};
}

std::int64_t system_clock_now()
{
    return static_cast<std::int64_t>(std::time(nullptr));
}

} // namespace

std::string format_serials(const LoadSummary& summary)
{
    constexpr std::size_t max_listed = 8;
    std::string text;
    for (std::size_t i = 0; i < summary.serials.size() && i < max_listed; ++i) {
        const auto& [origin, serial] = summary.serials[i];
        text += fmt::format("{}{}/{}", i == 0 ? "" : ",", origin, serial);
    }
    if (summary.serials.size() > max_listed) {
        text += fmt::format(",+{} more", summary.serials.size() - max_listed);
    }
    return text;
}

ZoneSetLoader::ZoneSetLoader(std::optional<std::filesystem::path> disk_root)
    : disk_root_(std::move(disk_root)), zone_set_(std::make_shared<const ZoneSet>()),
      journal_(std::make_shared<SignedJournal>()), clock_(system_clock_now),
      logger_(log::get("dns"))
{
}

Result<LoadSummary> ZoneSetLoader::load(const store::Snapshot& snapshot, bool full)
{
    auto listing = list_zone_files(snapshot);
    if (!listing) {
        return tl::unexpected(listing.error());
    }
    log_listing_problems(listing->diagnostics);
    const Policies policies = read_policies(snapshot);

    std::size_t changed = 0;
    std::size_t rejected = 0;
    std::map<std::string, ZoneState> next;
    for (const auto& file : listing->files) {
        auto known = zones_.extract(file.path);
        ZoneState state;
        if (known.empty()) {
            state.origin = file.origin.to_string();
        } else {
            state = std::move(known.mapped());
        }
        const auto outcome = update_zone(snapshot, file, policies, state, full);
        changed += outcome == Outcome::replaced ? 1 : 0;
        rejected += outcome == Outcome::rejected ? 1 : 0;
        next.emplace(file.path, std::move(state));
    }

    // The zones not listed any more had their file removed: they stop being served.
    for (const auto& [path, state] : zones_) {
        if (state.compiled) {
            logger_->info("zone removed zone={} path={}", state.origin, path);
            ++changed;
        }
        if (state.online) {
            journal_->forget(state.online->unsigned_zone->origin);
        }
    }
    zones_ = std::move(next);

    auto summary = publish_zone_set();
    summary.commit = snapshot.commit_id();
    summary.changed = changed;
    summary.rejected = rejected;
    return summary;
}

LoadSummary ZoneSetLoader::publish_zone_set()
{
    LoadSummary summary;
    std::vector<std::shared_ptr<const CompiledZone>> compiled;
    for (const auto& [path, state] : zones_) {
        if (state.compiled) {
            compiled.push_back(state.compiled);
            summary.serials.emplace_back(state.origin, state.compiled->serial());
        }
    }
    summary.zone_count = compiled.size();
    zone_set_ = std::make_shared<const ZoneSet>(std::move(compiled));
    return summary;
}

ZoneSetLoader::Policies ZoneSetLoader::read_policies(const store::Snapshot& snapshot)
{
    Policies policies;
    auto config = store::Config::load(snapshot);
    if (config) {
        policies.config = std::move(*config);
        logged_config_error_.clear();
    } else if (config.error().code != Errc::not_found) {
        policies.config_error = config.error();
        if (logged_config_error_ != config.error().message) {
            logger_->error("robur.conf rejected, zones keep their signing policy error={}",
                           log_quote(config.error().message));
            logged_config_error_ = config.error().message;
        }
    }
    return policies;
}

ZoneSetLoader::Outcome ZoneSetLoader::update_zone(const store::Snapshot& snapshot,
                                                  const ZoneFile& file, const Policies& policies,
                                                  ZoneState& state, bool full)
{
    const auto& path = file.path;
    Result<DnssecPolicy> policy = DnssecPolicy{};
    if (policies.config) {
        policy = dnssec_policy(*policies.config, file.origin);
    } else if (policies.config_error && state.online) {
        // A robur.conf that does not parse leaves a signed zone signed.
        policy = state.online->policy;
    }
    std::string inputs = policy ? policy_fingerprint(*policy) : policy.error().message;
    if (policy && policy->mode == SigningMode::online) {
        inputs += ' ' + key_file_ids(snapshot, file.origin);
    }

    // A version that was rejected before is not parsed or logged again until an input changes.
    if (!full &&
        ((state.compiled && state.accepted_inputs == inputs &&
          files_unchanged(snapshot, state.accepted_files)) ||
         (state.rejected_inputs == inputs && files_unchanged(snapshot, state.rejected_files)))) {
        return Outcome::unchanged;
    }

    auto zone = load_zone_at(snapshot, file, disk_root_);
    FileIds ids;
    for (const auto& name : zone.files) {
        ids.emplace_back(name, snapshot.blob_id(name));
    }
    if (ids.empty()) {
        ids.emplace_back(path, snapshot.blob_id(path));
    }

    std::vector<Diagnostic> errors;
    std::vector<Diagnostic> warnings;
    std::shared_ptr<const CompiledZone> compiled;
    if (!policy) {
        errors.push_back(error_at(path, policy.error().message));
    } else if (check_zone(zone, errors, warnings)) {
        compiled = sign_and_compile(snapshot, zone, *policy, state, errors);
    }
    if (!compiled) {
        log_rejection(state, errors);
        state.rejected_files = std::move(ids);
        state.rejected_inputs = std::move(inputs);
        return Outcome::rejected;
    }

    for (std::size_t i = 0; i < warnings.size() && i < max_logged_diagnostics; ++i) {
        logger_->warn("zone warning zone={} warning={}", state.origin, describe(warnings[i]));
    }
    if (state.compiled && ids != state.accepted_files &&
        !zone::serial_gt(compiled->serial(), state.compiled->serial())) {
        // Secondaries transfer a zone only when its serial increased (RFC 1034 section 4.3.5).
        logger_->warn("zone serial not increased zone={} previous={} serial={}", state.origin,
                      state.compiled->serial(), compiled->serial());
    }
    logger_->info("zone loaded zone={} serial={} path={} signed={}", state.origin,
                  compiled->serial(), path, state.online ? "online" : "no");
    state.compiled = std::move(compiled);
    state.accepted_files = std::move(ids);
    state.accepted_inputs = std::move(inputs);
    state.rejected_files.clear();
    state.rejected_inputs.clear();
    return Outcome::replaced;
}

std::shared_ptr<const CompiledZone> ZoneSetLoader::sign_and_compile(const store::Snapshot& snapshot,
                                                                    LoadedZone& zone,
                                                                    const DnssecPolicy& policy,
                                                                    ZoneState& state,
                                                                    std::vector<Diagnostic>& errors)
{
    auto unsigned_zone =
        std::make_shared<const zone::Zone>(without_positions(std::move(zone.result.zone)));
    if (policy.mode != SigningMode::online) {
        auto compiled = compile_checked(std::move(unsigned_zone), zone.path, errors);
        if (compiled && state.online) {
            logger_->info("zone no longer signed by the server zone={} dnssec={}", state.origin,
                          policy.mode == SigningMode::offline ? "offline" : "no");
            journal_->forget(zone.origin);
            state.online.reset();
        }
        return compiled;
    }

    auto keys = load_dnssec_keys(snapshot, zone.origin);
    if (!keys) {
        errors.push_back(error_at(zone.path, fmt::format("dnssec = online, but the keys cannot "
                                                         "be read: {}",
                                                         keys.error().to_string())));
        return nullptr;
    }
    OnlineZone online{.unsigned_zone = std::move(unsigned_zone),
                      .policy = policy,
                      .keys = std::move(*keys),
                      .version = {}};
    // NOTE: the served serial lives in memory only, so after a restart it starts again from the
    // committed serial, which may lie below what secondaries got from signings without a commit.
    if (state.online) {
        online.version = state.online->version;
    } else if (state.compiled) {
        // The zone was served unsigned: the signed zone must get a greater serial, or
        // secondaries would keep the unsigned one.
        online.version.zone = state.compiled->source();
        online.version.serial = state.compiled->serial();
        online.version.committed_serial = state.compiled->serial();
    }

    const auto now = clock_();
    auto result = sign_online_zone(online, now);
    if (!result) {
        errors.push_back(
            error_at(zone.path, fmt::format("signing failed: {}", result.error().message)));
        return nullptr;
    }
    auto compiled = compile_checked(result->version.zone, zone.path, errors);
    if (!compiled) {
        return nullptr;
    }
    log_signing(state, *result, now, "commit");
    online.version = std::move(result->version);
    if (result->changed) {
        journal_->add(*online.version.zone);
    }
    state.online = std::move(online);
    return compiled;
}

void ZoneSetLoader::log_listing_problems(const std::vector<Diagnostic>& diagnostics)
{
    // The same problems come back with every commit until someone renames the file.
    std::set<std::string> current;
    for (const auto& diagnostic : diagnostics) {
        auto text = describe(diagnostic);
        if (!logged_listing_problems_.contains(text)) {
            logger_->warn("zone file ignored error={}", text);
        }
        current.insert(std::move(text));
    }
    logged_listing_problems_ = std::move(current);
}

void ZoneSetLoader::log_rejection(const ZoneState& state,
                                  const std::vector<Diagnostic>& errors) const
{
    const auto* const phrase =
        state.compiled ? "zone rejected, keeping previous version" : "zone rejected, not served";
    const auto first = errors.empty() ? log_quote("unknown error") : describe(errors.front());
    logger_->error("{} zone={} errors={} error={}", phrase, state.origin, errors.size(), first);
    for (std::size_t i = 1; i < errors.size() && i < max_logged_diagnostics; ++i) {
        logger_->error("zone error zone={} error={}", state.origin, describe(errors[i]));
    }
}

} // namespace robur::dns
