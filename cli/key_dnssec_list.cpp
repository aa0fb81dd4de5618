// `robur key dnssec list ZONE`: the zone's DNSSEC keys with their role, state and timing, the
// DS records of the KSKs, and the next step of each rollover with the time it may run.

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

struct ListOptions {
    std::string zone;
    std::string now;
};

// The timing fields with BIND's names, in the order BIND writes them.
std::vector<std::pair<std::string_view, std::optional<std::int64_t>>>
timing_fields(const dnssec::KeyTiming& timing)
{
    return {{"Created", timing.created},   {"Publish", timing.publish},
            {"Activate", timing.activate}, {"Inactive", timing.inactive},
            {"Revoke", timing.revoke},     {"Delete", timing.remove}};
}

std::uint32_t ds_ttl(const DnssecZone& zone)
{
    return static_cast<std::uint32_t>(zone.timings.dnskey_ttl);
}

// DS records are listed for SEP keys that are not revoked at now, as the parent may point to
// them.
std::vector<std::string> key_ds_lines(const DnssecZone& zone, std::size_t index, std::int64_t now)
{
    const dnssec::KeyFiles& files = zone.keys[index];
    if (dnssec::key_role(zone.keys, index) == dnssec::KeyRole::zsk ||
        dnssec::is_revoked(files.timing, now)) {
        return {};
    }
    return ds_lines(files.key, ds_ttl(zone));
}

std::string key_json(const DnssecZone& zone, std::size_t index, std::int64_t now)
{
    const dnssec::KeyFiles& files = zone.keys[index];
    std::vector<std::string> times;
    for (const auto& [name, time] : timing_fields(files.timing)) {
        if (time) {
            times.push_back(
                fmt::format("\"{}\":{}", name, zone::json_quote(dnssec::format_key_time(*time))));
        }
    }
    std::vector<std::string> ds;
    for (const auto& line : key_ds_lines(zone, index, now)) {
        ds.push_back(zone::json_quote(line));
    }
    const auto role = dnssec::key_role(zone.keys, index);
    const auto state = dnssec::key_state(files.timing, now);
    return fmt::format(
        "{{\"key_tag\":{},\"algorithm\":{},\"flags\":{},\"role\":{},\"state\":{},\"file\":{},"
        "\"timing\":{{{}}},\"ds\":[{}]}}",
        files.key.key_tag(), zone::json_quote(dnssec::bind_algorithm_name(files.key.algorithm)),
        files.key.flags, zone::json_quote(dnssec::key_role_name(role)),
        zone::json_quote(dnssec::key_state_name(state)),
        zone::json_quote(key_path_stem(files.key) + ".key"), fmt::join(times, ","),
        fmt::join(ds, ","));
}

std::string rollover_json(const DnssecZone& zone, dnssec::RolloverKind kind, std::int64_t now)
{
    const auto kind_name = zone::json_quote(dnssec::rollover_kind_name(kind));
    auto step = dnssec::next_rollover_step(zone.keys, kind, zone.timings, now);
    if (!step) {
        return fmt::format("{{\"kind\":{},\"error\":{}}}", kind_name,
                           zone::json_quote(step.error().message));
    }
    const std::string new_key =
        step->new_key ? fmt::format("{}", zone.keys[*step->new_key].key.key_tag()) : "null";
    return fmt::format("{{\"kind\":{},\"next_step\":{},\"action\":{},\"old_key\":{},"
                       "\"new_key\":{},\"earliest\":{},\"allowed\":{},\"rule\":{}}}",
                       kind_name, step->step,
                       zone::json_quote(dnssec::describe_rollover_step(zone.keys, *step)),
                       zone.keys[step->old_key].key.key_tag(), new_key,
                       zone::json_quote(dnssec::format_key_time(step->earliest)),
                       step->earliest <= now ? "true" : "false", zone::json_quote(step->rule));
}

void print_json(const DnssecZone& zone, std::int64_t now)
{
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < zone.keys.size(); ++i) {
        keys.push_back(key_json(zone, i, now));
    }
    std::vector<std::string> rollovers;
    for (const auto kind : {dnssec::RolloverKind::zsk, dnssec::RolloverKind::ksk}) {
        rollovers.push_back(rollover_json(zone, kind, now));
    }
    fmt::print("{{\"zone\":{},\"now\":{},\"dnssec\":{},\"keys\":[{}],\"rollovers\":[{}]}}\n",
               zone::json_quote(zone.origin.to_string()),
               zone::json_quote(dnssec::format_key_time(now)),
               zone::json_quote(dns::signing_mode_name(zone.policy.mode)), fmt::join(keys, ","),
               fmt::join(rollovers, ","));
}

void print_key(const DnssecZone& zone, std::size_t index, std::int64_t now)
{
    const dnssec::KeyFiles& files = zone.keys[index];
    fmt::print("{} {} {} flags {} {}\n", dnssec::key_role_name(dnssec::key_role(zone.keys, index)),
               files.key.key_tag(), dnssec::bind_algorithm_name(files.key.algorithm),
               files.key.flags, dnssec::key_state_name(dnssec::key_state(files.timing, now)));
    for (const auto& [name, time] : timing_fields(files.timing)) {
        if (time) {
            fmt::print("    {:<9} {}\n", fmt::format("{}:", name), dnssec::format_utc(*time));
        }
    }
    for (const auto& line : key_ds_lines(zone, index, now)) {
        fmt::print("    {}\n", line);
    }
}

void print_rollover(const DnssecZone& zone, dnssec::RolloverKind kind, std::int64_t now)
{
    const auto kind_name = dnssec::rollover_kind_name(kind);
    auto step = dnssec::next_rollover_step(zone.keys, kind, zone.timings, now);
    if (!step) {
        fmt::print("{} rollover: {}\n", kind_name, step.error().message);
        return;
    }
    const std::string state = step->step == 1
                                  ? "none in progress"
                                  : fmt::format("in progress, step {} of 3 done", step->step - 1);
    fmt::print("{} rollover: {}; next step {}: {}\n", kind_name, state, step->step,
               dnssec::describe_rollover_step(zone.keys, *step));
    if (step->earliest <= now) {
        fmt::print("    may run now: robur key dnssec rollover {} --{}\n", zone_text(zone.origin),
                   step->kind == dnssec::RolloverKind::zsk ? "zsk" : "ksk");
        return;
    }
    fmt::print("    may run from {} (in {}), because {}\n", dnssec::format_utc(step->earliest),
               dnssec::format_duration(step->earliest - now), step->rule);
}

void print_text(const DnssecZone& zone, std::int64_t now)
{
    fmt::print("zone {} (dnssec = {}), {} keys at {}\n", zone_text(zone.origin),
               dns::signing_mode_name(zone.policy.mode), zone.keys.size(), dnssec::format_utc(now));
    for (std::size_t i = 0; i < zone.keys.size(); ++i) {
        print_key(zone, i, now);
    }
    if (zone.keys.empty()) {
        fmt::print("no keys: create them with robur key dnssec new {} --ksk and --zsk\n",
                   zone_text(zone.origin));
        return;
    }
    for (const auto kind : {dnssec::RolloverKind::zsk, dnssec::RolloverKind::ksk}) {
        print_rollover(zone, kind, now);
    }
}

int list_dnssec_keys(const Context& context, const ListOptions& options)
{
    auto origin = parse_zone_name(options.zone);
    if (!origin) {
        return report(Error{Errc::usage, origin.error().message, std::nullopt});
    }
    auto now = parse_time_option("--now", options.now);
    if (!now) {
        return report(now.error());
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto zone = load_dnssec_zone(*repository, *origin);
    if (!zone) {
        return report(zone.error());
    }

    if (context.json) {
        print_json(*zone, *now);
    } else {
        print_text(*zone, *now);
    }
    std::fflush(stdout);
    return exit_ok;
}

} // namespace

void add_key_dnssec_list_command(CLI::App& group, Context& context)
{
    auto options = std::make_shared<ListOptions>();
    auto* list = group.add_subcommand(
        "list", "Show the zone's DNSSEC keys with their role, state and timing, the DS records "
                "of its KSKs, and the next step of each rollover");
    list->add_option("ZONE", options->zone, "Zone whose keys to show, such as example.com")
        ->required();
    list->add_option("--now", options->now,
                     "Show the state at this time instead of the clock: YYYYMMDDHHMMSS in UTC, "
                     "or +DURATION / -DURATION from now")
        ->type_name("TIME");
    list->callback(
        [&context, options] { context.exit_code = list_dnssec_keys(context, *options); });
}

} // namespace robur::cli
