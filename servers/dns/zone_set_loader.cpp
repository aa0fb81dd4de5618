#include "servers/dns/zone_set_loader.hpp"

#include <algorithm>
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

// Validates a parsed zone and compiles it, moving the parsed records into the compiled zone's
// source. Returns null when the zone has errors, which then are in errors; warnings are
// collected either way.
std::shared_ptr<const CompiledZone> check_and_compile(LoadedZone& zone,
                                                      std::vector<Diagnostic>& errors,
                                                      std::vector<Diagnostic>& warnings)
{
    errors = only(Severity::error, zone.result.diagnostics);
    warnings = only(Severity::warning, zone.result.diagnostics);
    if (!errors.empty()) {
        return nullptr;
    }

    const auto findings = zone::validate_zone(zone.result.zone);
    errors = only(Severity::error, findings);
    const auto more = only(Severity::warning, findings);
    warnings.insert(warnings.end(), more.begin(), more.end());
    if (!errors.empty()) {
        return nullptr;
    }

    // Zone transfers read the records but not their file positions, which would cost a string
    // per record for as long as the zone is served.
    for (auto& record : zone.result.zone.records) {
        record.where = {};
    }
    auto compiled = compile_zone(std::make_shared<const zone::Zone>(std::move(zone.result.zone)));
    if (!compiled) {
        Diagnostic failure;
        failure.where = compiled.error().where.value_or(SourceLocation{zone.path, 0, 0});
        failure.message = compiled.error().message;
        errors.push_back(std::move(failure));
        return nullptr;
    }
    return std::move(*compiled);
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

    LoadSummary summary;
    summary.commit = snapshot.commit_id();
    std::map<std::string, ZoneState> next;
    for (const auto& file : listing->files) {
        auto known = zones_.extract(file.path);
        ZoneState state;
        if (known.empty()) {
            state.origin = file.origin.to_string();
        } else {
            state = std::move(known.mapped());
        }
        const auto outcome = update_zone(snapshot, file, state, full);
        summary.changed += outcome == Outcome::replaced ? 1 : 0;
        summary.rejected += outcome == Outcome::rejected ? 1 : 0;
        next.emplace(file.path, std::move(state));
    }

    // The zones not listed any more had their file removed: they stop being served.
    for (const auto& [path, state] : zones_) {
        if (state.compiled) {
            logger_->info("zone removed zone={} path={}", state.origin, path);
            ++summary.changed;
        }
    }
    zones_ = std::move(next);

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

ZoneSetLoader::Outcome ZoneSetLoader::update_zone(const store::Snapshot& snapshot,
                                                  const ZoneFile& file, ZoneState& state, bool full)
{
    const auto& path = file.path;
    // A version that was rejected before is not parsed or logged again until a file changes.
    if (!full && ((state.compiled && files_unchanged(snapshot, state.accepted_files)) ||
                  files_unchanged(snapshot, state.rejected_files))) {
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
    auto compiled = check_and_compile(zone, errors, warnings);
    if (!compiled) {
        log_rejection(state, errors);
        state.rejected_files = std::move(ids);
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
    logger_->info("zone loaded zone={} serial={} path={}", state.origin, compiled->serial(), path);
    state.compiled = std::move(compiled);
    state.accepted_files = std::move(ids);
    state.rejected_files.clear();
    return Outcome::replaced;
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
