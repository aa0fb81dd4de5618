// `robur key dnssec rollover ZONE --zsk|--ksk`: runs the next step of a ZSK pre-publish or a
// KSK double-DS rollover as one commit, once the step's timing rule allows it.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/key_dnssec_common.hpp"
#include "formats/dnssec/key_state.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace {

struct RolloverOptions {
    std::string zone;
    bool zsk = false;
    bool ksk = false;
    bool force = false;
    std::string now;
    std::string ds_published_at;
};

// The file changes of a step, for the commit message and the output.
struct StepResult {
    std::vector<store::FileChange> changes;
    std::optional<dnssec::KeyPair> created; // the key step 1 generated
    std::string commit;
};

std::string_view kind_flag(dnssec::RolloverKind kind)
{
    return kind == dnssec::RolloverKind::zsk ? "--zsk" : "--ksk";
}

// Rejects a step before its time unless --force is given, which prints a warning instead.
Result<void> check_step_time(const DnssecZone& zone, const dnssec::RolloverStep& step,
                             std::int64_t now, bool force)
{
    if (step.earliest <= now) {
        return {};
    }

    const std::string what =
        fmt::format("{} rollover step {} ({})", dnssec::rollover_kind_name(step.kind), step.step,
                    dnssec::describe_rollover_step(zone.keys, step));
    if (!force) {
        return make_error(Errc::validation_failed,
                          fmt::format("{} is allowed from {} (in {}), because {}; run the "
                                      "command again then, or pass --force to run it now",
                                      what, dnssec::format_utc(step.earliest),
                                      dnssec::format_duration(step.earliest - now), step.rule));
    }
    fmt::print(stderr,
               "robur: warning: --force runs {} {} before its time {}, although {}. Validating "
               "resolvers may fail to validate the zone until then.\n",
               what, dnssec::format_duration(step.earliest - now),
               dnssec::format_utc(step.earliest), step.rule);
    return {};
}

Result<StepResult> first_step(const DnssecZone& zone, const dnssec::RolloverStep& step,
                              std::int64_t now)
{
    const dnssec::KeyPair& old_key = zone.keys[step.old_key].key;
    const std::uint16_t flags = step.kind == dnssec::RolloverKind::zsk ? dnssec::dnskey_flags::zsk
                                                                       : dnssec::dnskey_flags::ksk;
    auto key = generate_unique_key(*zone.version.snapshot, zone.origin, old_key.algorithm, flags);
    if (!key) {
        return tl::unexpected(key.error());
    }

    const dnssec::KeyFiles files{*key, dnssec::successor_timing(step.kind, zone.timings, now)};
    auto writes = key_file_writes(files);
    if (!writes) {
        return tl::unexpected(writes.error());
    }
    return StepResult{std::move(*writes), *key, {}};
}

Result<StepResult> second_step(const DnssecZone& zone, const dnssec::RolloverStep& step,
                               std::int64_t now)
{
    std::vector<dnssec::KeyFiles> keys = zone.keys;
    dnssec::apply_rollover_step(keys, step, now);

    StepResult result;
    for (const std::size_t index : {step.old_key, *step.new_key}) {
        auto writes = key_file_writes(keys[index]);
        if (!writes) {
            return tl::unexpected(writes.error());
        }
        result.changes.insert(result.changes.end(), writes->begin(), writes->end());
    }
    return result;
}

Result<StepResult> run_step(const DnssecZone& zone, const dnssec::RolloverStep& step,
                            std::int64_t now)
{
    switch (step.step) {
    case 1:
        return first_step(zone, step, now);
    case 2:
        return second_step(zone, step, now);
    default:
        // The old key's files go: Git history keeps them, and `robur zone ds` stops listing a
        // removed KSK.
        return StepResult{key_file_deletes(zone.keys[step.old_key].key), std::nullopt, {}};
    }
}

std::string commit_message(const DnssecZone& zone, const dnssec::RolloverStep& step,
                           const StepResult& result)
{
    std::string action = dnssec::describe_rollover_step(zone.keys, step);
    if (result.created) {
        action = fmt::format("{} {} replaces {} {}", dnssec::rollover_kind_name(step.kind),
                             result.created->key_tag(), dnssec::rollover_kind_name(step.kind),
                             zone.keys[step.old_key].key.key_tag());
    }
    return fmt::format("{} rollover of {}, step {} of 3: {}\n",
                       dnssec::rollover_kind_name(step.kind), zone_text(zone.origin), step.step,
                       action);
}

// Prints what the user does after the commit: parent changes for a KSK, signing for an
// offline zone.
void print_follow_up(const DnssecZone& zone, const dnssec::RolloverStep& step,
                     const StepResult& result)
{
    const auto ttl = static_cast<std::uint32_t>(zone.timings.dnskey_ttl);
    if (step.kind == dnssec::RolloverKind::ksk && step.step == 1 && result.created) {
        fmt::print("\n; add this DS record at the parent, beside the current ones\n{}\n",
                   fmt::join(ds_lines(*result.created, ttl), "\n"));
        fmt::print("; once the parent serves it, note the time and pass it to step 2 as "
                   "--ds-published-at\n");
    }
    if (step.kind == dnssec::RolloverKind::ksk && step.step == 3) {
        fmt::print("\n; remove this DS record from the parent\n{}\n",
                   fmt::join(ds_lines(zone.keys[step.old_key].key, ttl), "\n"));
    }

    switch (zone.policy.mode) {
    case dns::SigningMode::offline:
        fmt::print("\nsign the zone to put the change in it: robur zone sign {}\n",
                   zone_text(zone.origin));
        break;
    case dns::SigningMode::online:
        fmt::print("\nthe server signs with the new key set when it loads this commit\n");
        break;
    case dns::SigningMode::none:
        fmt::print("\nrobur.conf sets dnssec = no for this zone, so robur does not sign it\n");
        break;
    }
}

void print_next_step(const DnssecZone& zone, const std::vector<dnssec::KeyFiles>& keys,
                     dnssec::RolloverKind kind, std::int64_t now)
{
    auto next = dnssec::next_rollover_step(keys, kind, zone.timings, now);
    if (!next || next->step == 1) {
        fmt::print("the {} rollover is complete\n", dnssec::rollover_kind_name(kind));
        return;
    }
    fmt::print("next: step {} ({}), from {}: robur key dnssec rollover {} {}\n", next->step,
               dnssec::describe_rollover_step(keys, *next), dnssec::format_utc(next->earliest),
               zone_text(zone.origin), kind_flag(kind));
}

// The zone's keys as the commit leaves them.
std::vector<dnssec::KeyFiles> keys_after(const DnssecZone& zone, const dnssec::RolloverStep& step,
                                         const StepResult& result, std::int64_t now)
{
    std::vector<dnssec::KeyFiles> keys = zone.keys;
    if (step.step == 1 && result.created) {
        keys.push_back({*result.created, dnssec::successor_timing(step.kind, zone.timings, now)});
    } else if (step.step == 2) {
        dnssec::apply_rollover_step(keys, step, now);
    } else {
        keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(step.old_key));
    }
    return keys;
}

void print_json(const DnssecZone& zone, const dnssec::RolloverStep& step, const StepResult& result,
                std::int64_t now)
{
    const auto ttl = static_cast<std::uint32_t>(zone.timings.dnskey_ttl);
    std::vector<std::string> ds;
    if (step.kind == dnssec::RolloverKind::ksk && result.created) {
        for (const auto& line : ds_lines(*result.created, ttl)) {
            ds.push_back(zone::json_quote(line));
        }
    }
    std::vector<std::string> ds_to_remove;
    if (step.kind == dnssec::RolloverKind::ksk && step.step == 3) {
        for (const auto& line : ds_lines(zone.keys[step.old_key].key, ttl)) {
            ds_to_remove.push_back(zone::json_quote(line));
        }
    }

    const auto keys = keys_after(zone, step, result, now);
    auto next = dnssec::next_rollover_step(keys, step.kind, zone.timings, now);
    const bool complete = !next || next->step == 1;
    fmt::print("{{\"zone\":{},\"kind\":{},\"step\":{},\"action\":{},\"commit\":{},"
               "\"new_key\":{},\"ds_to_add\":[{}],\"ds_to_remove\":[{}],\"next_step\":{},"
               "\"next_earliest\":{}}}\n",
               zone::json_quote(zone.origin.to_string()),
               zone::json_quote(dnssec::rollover_kind_name(step.kind)), step.step,
               zone::json_quote(dnssec::describe_rollover_step(zone.keys, step)),
               zone::json_quote(result.commit),
               result.created ? fmt::format("{}", result.created->key_tag()) : "null",
               fmt::join(ds, ","), fmt::join(ds_to_remove, ","),
               complete ? "null" : fmt::format("{}", next->step),
               complete ? "null" : zone::json_quote(dnssec::format_key_time(next->earliest)));
}

void print_text(const DnssecZone& zone, const dnssec::RolloverStep& step, const StepResult& result,
                std::int64_t now)
{
    fmt::print("{} rollover of {}, step {} of 3: {}\n", dnssec::rollover_kind_name(step.kind),
               zone_text(zone.origin), step.step, dnssec::describe_rollover_step(zone.keys, step));
    if (result.created) {
        fmt::print("new {} {} ({}), files {}.{{key,private}}\n",
                   dnssec::rollover_kind_name(step.kind), result.created->key_tag(),
                   dnssec::bind_algorithm_name(result.created->algorithm),
                   key_path_stem(*result.created));
    }
    fmt::print("commit {}\n", result.commit);
    print_follow_up(zone, step, result);
    print_next_step(zone, keys_after(zone, step, result, now), step.kind, now);
}

// The command-line values that need parsing.
struct ParsedOptions {
    zone::Name origin;
    std::int64_t now = 0;
    std::optional<std::int64_t> ds_published;
};

Result<ParsedOptions> parse_options(const RolloverOptions& options)
{
    auto origin = parse_zone_name(options.zone);
    if (!origin) {
        return make_error(Errc::usage, origin.error().message);
    }
    auto now = parse_time_option("--now", options.now);
    if (!now) {
        return tl::unexpected(now.error());
    }
    ParsedOptions parsed{*origin, *now, std::nullopt};
    if (!options.ds_published_at.empty()) {
        auto time = parse_time_option("--ds-published-at", options.ds_published_at);
        if (!time) {
            return tl::unexpected(time.error());
        }
        parsed.ds_published = *time;
    }
    return parsed;
}

int rollover(const Context& context, const RolloverOptions& options)
{
    auto parsed = parse_options(options);
    if (!parsed) {
        return report(parsed.error());
    }
    const std::int64_t now = parsed->now;
    const auto& ds_published = parsed->ds_published;
    const auto kind = options.zsk ? dnssec::RolloverKind::zsk : dnssec::RolloverKind::ksk;

    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto zone = load_dnssec_zone(*repository, parsed->origin);
    if (!zone) {
        return report(zone.error());
    }
    auto step = dnssec::next_rollover_step(zone->keys, kind, zone->timings, now, ds_published);
    if (!step) {
        return report(step.error());
    }
    if (ds_published && (kind != dnssec::RolloverKind::ksk || step->step != 2)) {
        return report(Error{Errc::usage,
                            fmt::format("--ds-published-at applies only to step 2 of a KSK "
                                        "rollover, but the next step is {} step {}",
                                        dnssec::rollover_kind_name(kind), step->step),
                            std::nullopt});
    }
    if (auto allowed = check_step_time(*zone, *step, now, options.force); !allowed) {
        return report(allowed.error());
    }

    auto result = run_step(*zone, *step, now);
    if (!result) {
        return report(result.error());
    }
    auto commit = commit_key_changes(*repository, zone->head, result->changes,
                                     commit_message(*zone, *step, *result));
    if (!commit) {
        return report(commit.error());
    }
    result->commit = *commit;

    if (context.json) {
        print_json(*zone, *step, *result, now);
    } else {
        print_text(*zone, *step, *result, now);
    }
    std::fflush(stdout);
    return exit_ok;
}

} // namespace

void add_key_dnssec_rollover_command(CLI::App& group, Context& context)
{
    auto options = std::make_shared<RolloverOptions>();
    auto* command = group.add_subcommand(
        "rollover", "Run the next step of a ZSK pre-publish or KSK double-DS rollover as one "
                    "commit, once the step's waiting time has passed");
    command->add_option("ZONE", options->zone, "Zone whose key to replace, such as example.com")
        ->required();
    auto* zsk = command->add_flag("--zsk", options->zsk,
                                  "Roll the zone-signing key with the pre-publish method");
    auto* ksk = command->add_flag("--ksk", options->ksk,
                                  "Roll the key-signing key with the double-DS method");
    zsk->excludes(ksk);
    command->add_flag("--force", options->force,
                      "Run the step even though its waiting time has not passed; resolvers may "
                      "then fail to validate the zone");
    command
        ->add_option("--now", options->now,
                     "Act as if the clock showed this time: YYYYMMDDHHMMSS in UTC, or "
                     "+DURATION / -DURATION from now")
        ->type_name("TIME");
    command
        ->add_option("--ds-published-at", options->ds_published_at,
                     "KSK step 2: when the parent started to serve the new DS, as for --now "
                     "(default: when step 1 ran)")
        ->type_name("TIME");
    command->callback([&context, options] {
        if (!options->zsk && !options->ksk) {
            context.exit_code = report(
                Error{Errc::usage, "robur key dnssec rollover: pass --zsk or --ksk", std::nullopt});
            return;
        }
        context.exit_code = rollover(context, *options);
    });
}

} // namespace robur::cli
