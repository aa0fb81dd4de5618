#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/signed_zone_file.hpp"
#include "cli/zone_common.hpp"
#include "formats/dnssec/verify.hpp"
#include "formats/zone/diff.hpp"
#include "formats/zone/serial.hpp"
#include "formats/zone/validate.hpp"
#include "servers/dns/dnssec_policy.hpp"
#include "servers/dns/update_serial.hpp"
#include "store/config.hpp"

namespace robur::cli {

namespace {

namespace fs = std::filesystem;

struct ValidateArguments {
    std::vector<std::string> targets; // zone names or file paths
    std::string origin;
    std::string revision; // empty: the work tree, or HEAD in a bare repository
    std::string previous;
    bool dnssec = false;
    std::string expiring_within = "7d"; // with --dnssec: warn of signatures expiring this soon
};

// Parses a duration as a number with an optional unit: s, m, h, d or w ("7d", "36h"); a bare
// number counts seconds. Errors: invalid_argument naming the value.
Result<std::chrono::seconds> parse_duration(std::string_view text)
{
    std::uint64_t value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
    std::uint64_t scale = 0;
    if (unit.empty() || unit == "s") {
        scale = 1;
    } else if (unit == "m") {
        scale = 60;
    } else if (unit == "h") {
        scale = 3600;
    } else if (unit == "d") {
        scale = 86400;
    } else if (unit == "w") {
        scale = 604800;
    }
    constexpr std::uint64_t max_seconds = std::uint64_t{1} << 32;
    if (ec != std::errc{} || ptr == text.data() || scale == 0 || value > max_seconds / scale) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid duration \"{}\": write a number with s, m, h, d "
                                      "or w, as 7d",
                                      text));
    }
    return std::chrono::seconds(static_cast<std::int64_t>(value * scale));
}

// The findings for one zone, or for a fault that belongs to no zone when origin is empty.
struct ZoneReport {
    std::string origin;
    std::string path;
    std::vector<Diagnostic> diagnostics;
    std::optional<std::uint32_t> serial;
    std::size_t record_count = 0;
};

// The versions a validation compares: the one checked and the one it replaces.
struct VersionPair {
    ZoneVersion current;
    std::optional<ZoneVersion> previous;
};

// Picks what to validate in a repository: the work tree against HEAD, or a commit (--rev, or
// HEAD in a bare repository) against its first parent; --previous replaces the second.
Result<VersionPair> choose_versions(const store::Repository& repository,
                                    const ValidateArguments& arguments)
{
    const bool from_commit = !arguments.revision.empty() || repository.is_bare();
    const std::string revision = arguments.revision.empty() ? "HEAD" : arguments.revision;
    auto current =
        from_commit ? commit_version(repository, revision) : work_tree_version(repository);
    if (!current) {
        return tl::unexpected(current.error());
    }
    VersionPair pair{.current = std::move(*current), .previous = std::nullopt};

    if (!arguments.previous.empty()) {
        auto previous = commit_version(repository, arguments.previous);
        if (!previous) {
            return tl::unexpected(previous.error());
        }
        pair.previous = std::move(*previous);
        return pair;
    }

    if (!from_commit) {
        // The work tree replaces HEAD; a branch without commits has no previous version.
        auto head = repository.branch_head();
        if (head && *head) {
            auto previous = commit_version(repository, "HEAD");
            if (!previous) {
                return tl::unexpected(previous.error());
            }
            pair.previous = std::move(*previous);
        }
        return pair;
    }

    auto id = repository.resolve(revision);
    if (!id) {
        return tl::unexpected(id.error());
    }
    auto parent = repository.parent(*id);
    if (!parent) {
        return tl::unexpected(parent.error());
    }
    if (*parent) {
        auto previous = commit_version(repository, (*parent)->to_string());
        if (!previous) {
            return tl::unexpected(previous.error());
        }
        previous->label = revision + "~1";
        pair.previous = std::move(*previous);
    }
    return pair;
}

// Checks that a zone whose records changed has a greater serial than before. With `serial =
// auto` a stale serial is only a warning, because the primary raises it after the push.
void check_serial(const zone::Zone& zone, const zone::Zone& before, const std::string& source,
                  const std::optional<store::Config>& config, std::vector<Diagnostic>& out)
{
    const auto serial = zone.serial();
    const auto previous = before.serial();
    if (!serial || !previous || zone::serial_gt(*serial, *previous) ||
        zone::diff_zones(before, zone).empty()) {
        return;
    }
    SourceLocation where{zone.files.empty() ? std::string() : zone.files.front(), 0, 0};
    for (const auto& record : zone.records) {
        if (record.type == zone::rrtype::soa && record.owner == zone.origin) {
            where = record.where;
            break;
        }
    }

    auto automatic = config ? dns::serial_is_auto(*config, zone.origin) : Result<bool>(false);
    if (!automatic) {
        out.push_back({Severity::error, where, automatic.error().message});
        return;
    }
    if (*automatic) {
        out.push_back({Severity::warning, where,
                       fmt::format("serial {} was not increased over the previous serial {} in "
                                   "{}; the primary raises it, because robur.conf sets serial = "
                                   "auto for this zone",
                                   *serial, *previous, source)});
        return;
    }
    out.push_back({Severity::error, where,
                   fmt::format("serial {} is not greater than the previous serial {} in {}; "
                               "raise it (RFC 1982 serial arithmetic), or set serial = auto in "
                               "robur.conf to let the primary do it",
                               *serial, *previous, source)});
}

// Validates a loaded zone. When an earlier version of the zone exists and its records differ,
// the serial must have increased, unless robur.conf (config) sets serial = auto for the zone.
ZoneReport check_zone(const dns::LoadedZone& loaded, const std::optional<dns::LoadedZone>& before,
                      const std::string& before_label, const std::optional<store::Config>& config,
                      const std::optional<dnssec::VerifyOptions>& dnssec)
{
    ZoneReport report{.origin = loaded.origin.to_string(),
                      .path = loaded.path,
                      .diagnostics = loaded.result.diagnostics,
                      .serial = loaded.result.zone.serial(),
                      .record_count = loaded.result.zone.records.size()};

    auto findings = zone::validate_zone(loaded.result.zone);
    if (before) {
        check_serial(loaded.result.zone, before->result.zone,
                     fmt::format("{} ({})", before->path, before_label), config, findings);
    }
    report.diagnostics.insert(report.diagnostics.end(), findings.begin(), findings.end());
    if (dnssec) {
        const auto signatures = dnssec::verify_zone(loaded.result.zone, *dnssec);
        report.diagnostics.insert(report.diagnostics.end(), signatures.begin(), signatures.end());
        if (has_errors(signatures)) {
            const std::string name = loaded.origin.to_string();
            report.diagnostics.push_back(
                {Severity::error, SourceLocation{loaded.path, 0, 0},
                 fmt::format("zone {} is not correctly signed: run robur zone sign {} and "
                             "commit the result",
                             name, name)});
        }
    }
    return report;
}

// The settings of a validation run that every zone's check reads.
struct ValidateRunView {
    const std::optional<store::Config>& config;
    const std::optional<dnssec::VerifyOptions>& dnssec;
};

// Reads a zone's master file from the version it was loaded from, or from disk without one;
// nullopt when it cannot be read, which the parse diagnostics already report.
std::optional<std::string> read_master_text(const ZoneVersion* version,
                                            const dns::LoadedZone& loaded)
{
    if (version != nullptr && version->snapshot) {
        auto text = version->snapshot->read(loaded.path);
        return text ? std::optional<std::string>(std::move(*text)) : std::nullopt;
    }
    const fs::path path = version != nullptr && version->workdir
                              ? *version->workdir / loaded.path
                              : fs::path(loaded.path);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The DNSSEC checks for one zone: those of --dnssec when given. Otherwise a zone that robur.conf
// signs offline, or whose file has the block `robur zone sign` writes, is checked too, with
// signatures inside the signature-refresh window only warned of. Online zones are unsigned in
// Git. A bad policy in robur.conf is added to out as an error.
std::optional<dnssec::VerifyOptions> dnssec_checks(const std::optional<dnssec::VerifyOptions>& flag,
                                                   const std::optional<store::Config>& config,
                                                   const ZoneVersion* version,
                                                   const dns::LoadedZone& loaded,
                                                   std::vector<Diagnostic>& out)
{
    if (flag) {
        return flag;
    }
    dns::DnssecPolicy policy;
    if (config) {
        auto configured = dns::dnssec_policy(*config, loaded.origin);
        if (!configured) {
            out.push_back({Severity::error, SourceLocation{config->path(), 0, 0},
                           configured.error().message});
            return std::nullopt;
        }
        policy = std::move(*configured);
    }
    if (policy.mode == dns::SigningMode::online) {
        return std::nullopt;
    }
    if (policy.mode != dns::SigningMode::offline) {
        const auto text = read_master_text(version, loaded);
        if (!text || !split_signed_file(*text).block) {
            return std::nullopt;
        }
    }
    return dnssec::VerifyOptions{.now = std::nullopt, .warn_within = policy.refresh};
}

// Validates a loaded zone with the DNSSEC checks that dnssec_checks picks for it.
ZoneReport check_zone_in(const ValidateRunView& run, const ZoneVersion* version,
                         const dns::LoadedZone& loaded, const std::optional<dns::LoadedZone>& before,
                         const std::string& before_label)
{
    std::vector<Diagnostic> policy_errors;
    const auto dnssec = dnssec_checks(run.dnssec, run.config, version, loaded, policy_errors);
    auto report = check_zone(loaded, before, before_label, run.config, dnssec);
    report.diagnostics.insert(report.diagnostics.end(), policy_errors.begin(),
                              policy_errors.end());
    return report;
}

// Looks up the version of a zone that the checked version replaces.
Result<std::optional<dns::LoadedZone>> previous_zone(const std::optional<ZoneVersion>& previous,
                                                     const zone::Name& origin)
{
    if (!previous) {
        return std::optional<dns::LoadedZone>();
    }
    return previous->find(origin);
}

// Returns the repository origin of a path that is a zone file of the work tree, if it is one.
std::optional<dns::ZoneFile> as_work_tree_zone(const std::optional<store::Repository>& repository,
                                               const fs::path& file)
{
    if (!repository || !repository->workdir()) {
        return std::nullopt;
    }
    std::error_code error;
    const fs::path real = fs::weakly_canonical(file, error);
    const fs::path root = fs::weakly_canonical(*repository->workdir(), error);
    const std::string relative = real.lexically_relative(root).generic_string();
    if (error || relative.empty() || relative.rfind("..", 0) == 0) {
        return std::nullopt;
    }
    auto origin = dns::origin_from_zone_path(relative);
    if (!origin || !*origin) {
        return std::nullopt;
    }
    return dns::ZoneFile{relative, **origin};
}

// Everything one run of `robur zone validate` found, and whether it could run at all.
struct ValidateRun {
    std::vector<ZoneReport> reports;
    std::optional<store::Config> config; // robur.conf of the validated version, when it has one
    std::optional<dnssec::VerifyOptions> dnssec; // set by --dnssec
    std::optional<int> early_exit; // set when the command stopped on a usage error or failure
};

void validate_all(const VersionPair& versions, ValidateRun& run)
{
    auto list = versions.current.list();
    if (!list) {
        run.early_exit = report(list.error());
        return;
    }
    if (!list->diagnostics.empty()) {
        ZoneReport unnamed;
        unnamed.diagnostics = list->diagnostics;
        run.reports.push_back(std::move(unnamed));
    }
    if (list->files.empty() && list->diagnostics.empty()) {
        fmt::print(stderr, "robur: no zones in the {}: zone files live at {}/ZONE.zone\n",
                   versions.current.label, dns::zones_folder);
    }
    for (const auto& file : list->files) {
        auto before = previous_zone(versions.previous, file.origin);
        if (!before) {
            run.early_exit = report(before.error());
            return;
        }
        const std::string label = versions.previous ? versions.previous->label : std::string();
        run.reports.push_back(check_zone_in({run.config, run.dnssec}, &versions.current,
                                            versions.current.load(file), *before, label));
    }
}

void validate_named_zone(const VersionPair& versions, const std::string& name, ValidateRun& run)
{
    auto origin = parse_zone_name(name);
    if (!origin) {
        run.early_exit = usage_error("validate", origin.error().message);
        return;
    }
    auto loaded = versions.current.find(*origin);
    if (!loaded) {
        run.early_exit = report(loaded.error());
        return;
    }
    if (!*loaded) {
        run.early_exit =
            report(Error{Errc::not_found,
                         fmt::format("zone {} not found in the {}: there is no {} and no file {}",
                                     origin->to_string(), versions.current.label,
                                     dns::zone_file_path(*origin), name),
                         std::nullopt});
        return;
    }
    auto before = previous_zone(versions.previous, *origin);
    if (!before) {
        run.early_exit = report(before.error());
        return;
    }
    const std::string label = versions.previous ? versions.previous->label : std::string();
    run.reports.push_back(
        check_zone_in({run.config, run.dnssec}, &versions.current, **loaded, *before, label));
}

void validate_file(const std::optional<store::Repository>& repository,
                   const std::optional<VersionPair>& versions, const ValidateArguments& arguments,
                   const fs::path& file, ValidateRun& run)
{
    const auto repository_zone = as_work_tree_zone(repository, file);
    if (repository_zone && arguments.origin.empty() && versions) {
        auto before = previous_zone(versions->previous, repository_zone->origin);
        if (!before) {
            run.early_exit = report(before.error());
            return;
        }
        const std::string label = versions->previous ? versions->previous->label : std::string();
        run.reports.push_back(check_zone_in({run.config, run.dnssec}, &versions->current,
                                            versions->current.load(*repository_zone), *before,
                                            label));
        return;
    }

    auto origin = arguments.origin.empty() ? dns::origin_from_file_name(file)
                                           : parse_zone_name(arguments.origin);
    if (!origin) {
        run.early_exit = usage_error("validate", origin.error().message);
        return;
    }
    auto loaded = dns::load_zone_file(file, *origin);
    if (!loaded) {
        run.early_exit = report(loaded.error());
        return;
    }
    std::optional<dns::LoadedZone> before;
    std::string label;
    if (!arguments.previous.empty() && versions) {
        auto found = previous_zone(versions->previous, *origin);
        if (!found) {
            run.early_exit = report(found.error());
            return;
        }
        before = std::move(*found);
        label = versions->previous->label;
    }
    run.reports.push_back(
        check_zone_in({run.config, run.dnssec}, nullptr, *loaded, before, label));
}

// Reads robur.conf of the validated version; nullopt when that version has none.
Result<std::optional<store::Config>> load_config(const ZoneVersion& version)
{
    constexpr std::string_view name = "robur.conf";
    if (version.snapshot) {
        if (!version.snapshot->exists(name)) {
            return std::optional<store::Config>();
        }
        auto config = store::Config::load(*version.snapshot, name);
        if (!config) {
            return tl::unexpected(config.error());
        }
        return std::optional<store::Config>(std::move(*config));
    }
    std::error_code error;
    if (!version.workdir || !fs::exists(*version.workdir / name, error)) {
        return std::optional<store::Config>();
    }
    auto config = store::Config::load(*version.workdir / name);
    if (!config) {
        return tl::unexpected(config.error());
    }
    return std::optional<store::Config>(std::move(*config));
}

// Prints the findings: diagnostics on stderr and a line per zone on stdout, or one JSON array
// of diagnostics on stdout. Returns the exit code.
int print_reports(const std::vector<ZoneReport>& reports, bool json)
{
    bool failed = false;
    std::vector<std::string> objects;
    for (const auto& zone_report : reports) {
        failed = failed || has_errors(zone_report.diagnostics);
        for (const auto& diagnostic : zone_report.diagnostics) {
            objects.push_back(diagnostic_json(diagnostic, zone_report.origin));
        }
    }
    if (json) {
        fmt::print("[{}]\n", fmt::join(objects, ",\n "));
        return failed ? exit_failure : exit_ok;
    }

    for (const auto& zone_report : reports) {
        print_diagnostics(zone_report.diagnostics);
        if (zone_report.origin.empty()) {
            continue;
        }
        std::size_t errors = 0;
        for (const auto& diagnostic : zone_report.diagnostics) {
            errors += diagnostic.severity == Severity::error ? 1 : 0;
        }
        const std::size_t warnings = zone_report.diagnostics.size() - errors;
        const std::string serial =
            zone_report.serial ? std::to_string(*zone_report.serial) : std::string("none");
        fmt::print("{}: zone {} {} (serial {}, {} records, {} error{}, {} warning{})\n",
                   zone_report.path, zone_report.origin, errors == 0 ? "is valid" : "is invalid",
                   serial, zone_report.record_count, errors, errors == 1 ? "" : "s", warnings,
                   warnings == 1 ? "" : "s");
    }
    return failed ? exit_failure : exit_ok;
}

int run_validate(const ValidateArguments& arguments, const Context& context)
{
    std::vector<fs::path> files;
    std::vector<std::string> zone_names;
    for (const auto& target : arguments.targets) {
        std::error_code error;
        const bool is_file = fs::exists(target, error) || target.find('/') != std::string::npos;
        if (is_file) {
            files.emplace_back(target);
        } else {
            zone_names.push_back(target);
        }
    }
    if (!arguments.origin.empty() && (files.size() != 1 || !zone_names.empty())) {
        return usage_error("validate", "--origin applies to exactly one zone file");
    }

    const bool needs_repository = files.empty() || !zone_names.empty() ||
                                  !arguments.previous.empty() || !arguments.revision.empty();
    std::optional<store::Repository> repository;
    std::optional<VersionPair> versions;
    auto opened = open_repository(context);
    if (opened) {
        repository = std::move(*opened);
        auto chosen = choose_versions(*repository, arguments);
        if (chosen) {
            versions = std::move(*chosen);
        } else if (needs_repository) {
            return report(chosen.error());
        }
    } else if (needs_repository) {
        return report(opened.error());
    }

    ValidateRun run;
    if (arguments.dnssec) {
        auto window = parse_duration(arguments.expiring_within);
        if (!window) {
            return usage_error("validate", fmt::format("--expiring-within: {}",
                                                       window.error().message));
        }
        run.dnssec = dnssec::VerifyOptions{.now = std::nullopt, .warn_within = *window};
    }
    if (versions) {
        auto config = load_config(versions->current);
        if (!config) {
            return report(config.error());
        }
        run.config = std::move(*config);
    }
    if (arguments.targets.empty()) {
        validate_all(*versions, run);
    }
    for (const auto& name : zone_names) {
        if (!run.early_exit) {
            validate_named_zone(*versions, name, run);
        }
    }
    for (const auto& file : files) {
        if (!run.early_exit) {
            validate_file(repository, versions, arguments, file, run);
        }
    }
    if (run.early_exit) {
        return *run.early_exit;
    }
    return print_reports(run.reports, context.json);
}

} // namespace

void add_zone_validate_command(CLI::App& zone, Context& context)
{
    auto arguments = std::make_shared<ValidateArguments>();
    auto* command = zone.add_subcommand(
        "validate", "Check zones: every zone of the repository, named zones, or zone files");
    command
        ->add_option("target", arguments->targets,
                     "Zone name (with or without the trailing dot) or path of a zone file")
        ->type_name("ZONE|PATH");
    command
        ->add_option("--origin", arguments->origin,
                     "Origin of the one zone file given (default: its file name without "
                     ".zone, .db or .txt)")
        ->type_name("NAME");
    command
        ->add_option("--rev", arguments->revision,
                     "Commit whose zones to validate instead of the work tree (default: HEAD "
                     "in a bare repository)")
        ->type_name("REV");
    command
        ->add_option("--previous", arguments->previous,
                     "Revision whose version of each zone the serial must exceed (default: "
                     "HEAD for the work tree, else the first parent of the validated commit)")
        ->type_name("REV");
    command->add_flag("--dnssec", arguments->dnssec,
                      "Also check every zone's RRSIGs against the apex DNSKEYs and the NSEC or "
                      "NSEC3 chain, and warn of signatures that expire soon. Without it, only "
                      "zones with dnssec = offline in robur.conf or a block written by robur "
                      "zone sign get these checks");
    command
        ->add_option("--expiring-within", arguments->expiring_within,
                     "With --dnssec, warn of signatures that expire within this time, as 7d, "
                     "36h, 90m or seconds")
        ->type_name("DURATION")
        ->capture_default_str();
    command->callback(
        [arguments, &context] { context.exit_code = run_validate(*arguments, context); });
}

} // namespace robur::cli
