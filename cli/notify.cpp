// `robur notify ZONE... --server ADDR[:PORT]`: sends a DNS NOTIFY (RFC 1996) for each zone to
// one server and reports whether it answered. The post-receive hook runs it with --changed to
// tell a running `robur serve dns` (or any secondary) about a push at once.

#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/zone_common.hpp"
#include "formats/zone/diff.hpp"
#include "servers/dns/key_store.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/notify.hpp"
#include "servers/dns/notify_message.hpp"
#include "servers/dns/tsig.hpp"
#include "servers/dns/zone_loader.hpp"

namespace robur::cli {

namespace {

struct NotifyArguments {
    std::vector<std::string> zones;
    std::string server;
    std::string key;
    std::string revision = "HEAD";
    std::string changed; // "OLD..NEW" or "NEW"
    int timeout_ms = 2000;
    int attempts = 5;
};

// The zones to notify, and the commit that gives their SOA records and the key.
struct Plan {
    std::vector<zone::Name> zones;
    std::optional<store::Snapshot> snapshot; // nullopt: no repository, send no SOA
    std::string revision;                    // label of snapshot for messages
};

int usage(std::string_view message)
{
    fmt::print(stderr, "robur notify: {}\n", message);
    return exit_usage;
}

// "example.com" for messages: the zone name without the trailing dot, "." for the root.
std::string display_name(const zone::Name& zone)
{
    std::string text = zone.to_string();
    if (text.size() > 1) {
        text.pop_back();
    }
    return text;
}

std::string attempts_text(unsigned attempts)
{
    return fmt::format("{} attempt{}", attempts, attempts == 1 ? "" : "s");
}

// Splits "OLD..NEW" into its revisions; "NEW" alone has no OLD.
std::pair<std::string, std::string> split_range(const std::string& range)
{
    const auto dots = range.find("..");
    if (dots == std::string::npos) {
        return {"", range};
    }
    return {range.substr(0, dots), range.substr(dots + 2)};
}

// True when path may be a file that a zone $INCLUDEs: anything but a zone master file, the
// configuration and keys files.
bool may_be_included(const std::string& path)
{
    auto origin = dns::origin_from_zone_path(path);
    const bool is_master_file = origin && origin->has_value();
    return !is_master_file && path != "robur.conf" && !dns::is_keys_file(path);
}

// The zones of new_snapshot whose master file or an $INCLUDEd file differs from old_id's.
// Without old_id every zone counts as changed. A removed zone is not listed.
Result<std::vector<zone::Name>> changed_zones(const store::Repository& repository,
                                              const std::optional<store::ObjectId>& old_id,
                                              const store::Snapshot& new_snapshot)
{
    auto files = dns::list_zone_files(new_snapshot);
    if (!files) {
        return tl::unexpected(files.error());
    }
    std::vector<zone::Name> zones;
    if (!old_id) {
        for (const auto& file : files->files) {
            zones.push_back(file.origin);
        }
        return zones;
    }

    auto differences = repository.changed_files(old_id, new_snapshot.commit_id());
    if (!differences) {
        return tl::unexpected(differences.error());
    }
    std::set<std::string> changed;
    bool includes_may_differ = false;
    for (const auto& difference : *differences) {
        changed.insert(difference.path);
        includes_may_differ = includes_may_differ || may_be_included(difference.path);
    }

    for (const auto& file : files->files) {
        if (changed.contains(file.path)) {
            zones.push_back(file.origin);
            continue;
        }
        if (!includes_may_differ) {
            continue;
        }
        // Only a zone that reads one of the changed files through $INCLUDE changed.
        const auto loaded = dns::load_zone_at(new_snapshot, file);
        for (const auto& read : loaded.files) {
            if (changed.contains(read)) {
                zones.push_back(file.origin);
                break;
            }
        }
    }
    return zones;
}

// Finds the repository, the commit and the zones to notify. Prints the fault and returns
// nullopt with exit_code set when something is missing.
std::optional<Plan> make_plan(const Context& context, const NotifyArguments& arguments,
                              int& exit_code)
{
    Plan plan;
    for (const auto& text : arguments.zones) {
        auto zone = parse_zone_name(text);
        if (!zone) {
            exit_code = usage(zone.error().message);
            return std::nullopt;
        }
        plan.zones.push_back(std::move(*zone));
    }

    // A repository is optional for ZONE arguments without --key: the NOTIFY then goes out
    // without a SOA record, as when the zone file does not exist.
    const bool needs_repository =
        !arguments.key.empty() || !arguments.changed.empty() || !context.repo.empty();
    auto repository = open_repository(context);
    if (!repository) {
        if (needs_repository) {
            exit_code = report(repository.error());
            return std::nullopt;
        }
        return plan;
    }

    auto [old_revision, new_revision] =
        arguments.changed.empty() ? std::pair<std::string, std::string>{"", arguments.revision}
                                  : split_range(arguments.changed);
    auto snapshot = repository->snapshot(new_revision);
    if (!snapshot) {
        if (needs_repository) {
            exit_code = report(snapshot.error());
            return std::nullopt;
        }
        return plan;
    }
    plan.snapshot = std::move(*snapshot);
    plan.revision = new_revision;

    if (!arguments.changed.empty()) {
        std::optional<store::ObjectId> old_id;
        if (!old_revision.empty()) {
            auto resolved = repository->resolve(old_revision);
            if (!resolved) {
                exit_code = report(resolved.error());
                return std::nullopt;
            }
            old_id = *resolved;
        }
        auto zones = changed_zones(*repository, old_id, *plan.snapshot);
        if (!zones) {
            exit_code = report(zones.error());
            return std::nullopt;
        }
        plan.zones = std::move(*zones);
    }
    return plan;
}

// Looks --key up in the keys files of the plan's commit. Prints the fault and returns nullopt
// with exit_code set when the key is unknown.
std::optional<dns::tsig::Key> find_key(const Plan& plan, const std::string& key_name,
                                       int& exit_code)
{
    auto name = zone::Name::parse(key_name, zone::Name{});
    if (!name) {
        exit_code = usage(fmt::format("invalid key name {}: {}", key_name, name.error().message));
        return std::nullopt;
    }
    auto keys = dns::load_repository_keys(*plan.snapshot);
    if (!keys) {
        exit_code = report(keys.error());
        return std::nullopt;
    }
    const auto* entry = keys->table.find(*name);
    if (entry != nullptr) {
        return entry->key;
    }

    std::string files =
        keys->files.empty() ? "it has none" : fmt::format("{}", fmt::join(keys->files, ", "));
    if (!keys->diagnostics.empty()) {
        print_diagnostics(keys->diagnostics);
    }
    exit_code = usage(fmt::format("key {} not found in the keys files of {} ({}); add its DNSKEY "
                                  "line to keys/_keys or keys/<zone>._keys and commit it",
                                  name->to_string(), plan.revision, files));
    return std::nullopt;
}

// The SOA record of zone in the plan's commit, when the zone file exists there and parses.
std::optional<zone::Record> committed_soa(const Plan& plan, const zone::Name& zone)
{
    if (!plan.snapshot) {
        return std::nullopt;
    }
    auto loaded = dns::load_zone(*plan.snapshot, zone);
    if (!loaded || !*loaded || !(*loaded)->result.ok()) {
        return std::nullopt;
    }
    return dns::soa_record((*loaded)->result.zone);
}

std::string outcome_json(const dns::NotifyRequest& request, const dns::NotifyOutcome& outcome)
{
    static constexpr const char* statuses[] = {"answered", "timed_out", "signature_rejected",
                                               "send_failed", "cancelled"};
    const auto serial = request.soa ? dns::soa_serial(*request.soa) : std::nullopt;
    return fmt::format(
        R"({{"zone": {}, "server": {}, "serial": {}, "status": "{}", "rcode": {}, "attempts": {}, "message": {}}})",
        zone::json_quote(display_name(request.zone)),
        zone::json_quote(request.target.address.to_string()),
        serial ? std::to_string(*serial) : std::string("null"),
        statuses[static_cast<std::size_t>(outcome.status)],
        outcome.answered ? zone::json_quote(dns::rcode_name(outcome.rcode)) : std::string("null"),
        outcome.attempts, zone::json_quote(outcome.message));
}

// The usual cause of an error RCODE in a NOTIFY answer, as a clause for the message.
std::string_view rcode_hint(dns::Rcode rcode)
{
    switch (static_cast<int>(rcode)) {
    case static_cast<int>(dns::Rcode::refused):
        return ": the server does not accept a NOTIFY for this zone from this address or key";
    case static_cast<int>(dns::Rcode::notimp):
        return ": the server does not implement NOTIFY";
    case dns::tsig::rcode_notauth:
        return ": the server is not authoritative for the zone or does not know the key";
    default:
        return "";
    }
}

// Prints one outcome: success on stdout, anything else on stderr. Returns true for NOERROR.
bool print_outcome(const dns::NotifyRequest& request, const dns::NotifyOutcome& outcome)
{
    const auto zone = display_name(request.zone);
    const auto server = request.target.address.to_string();
    if (outcome.answered && outcome.rcode == dns::Rcode::noerror) {
        fmt::print("{}: NOTIFY answered by {} (NOERROR) after {}\n", zone, server,
                   attempts_text(outcome.attempts));
        return true;
    }
    if (outcome.answered) {
        fmt::print(stderr, "robur notify: {}: {} answered the NOTIFY with {} after {}{}\n", zone,
                   server, dns::rcode_name(outcome.rcode), attempts_text(outcome.attempts),
                   rcode_hint(outcome.rcode));
        return false;
    }
    fmt::print(stderr, "robur notify: {}: {}\n", zone, outcome.message);
    return false;
}

int run_notify(const Context& context, const NotifyArguments& arguments)
{
    if (arguments.zones.empty() == arguments.changed.empty()) {
        return usage("give either ZONE arguments or --changed");
    }
    if (arguments.timeout_ms <= 0 || arguments.attempts <= 0) {
        return usage("--timeout and --attempts must be positive");
    }
    auto server = dns::parse_listen_address(arguments.server);
    if (!server) {
        return usage(fmt::format("invalid --server \"{}\": expected ADDRESS[:PORT] with an IPv4 "
                                 "address or an IPv6 address in brackets; names are not resolved",
                                 arguments.server));
    }

    int exit_code = exit_ok;
    const auto plan = make_plan(context, arguments, exit_code);
    if (!plan) {
        return exit_code;
    }
    dns::NotifyTarget target{*server, std::nullopt, "--server"};
    if (!arguments.key.empty()) {
        target.key = find_key(*plan, arguments.key, exit_code);
        if (!target.key) {
            return exit_code;
        }
    }
    if (plan->zones.empty()) {
        if (context.json) {
            fmt::print("[]\n");
        } else {
            fmt::print("no zone changed in {}\n", arguments.changed);
        }
        return exit_ok;
    }

    std::vector<dns::NotifyRequest> requests;
    for (const auto& zone : plan->zones) {
        requests.push_back(dns::NotifyRequest{zone, committed_soa(*plan, zone), target});
    }
    const dns::NotifyOptions options{.timeout = std::chrono::milliseconds(arguments.timeout_ms),
                                     .attempts = static_cast<unsigned>(arguments.attempts)};
    const auto outcomes = dns::send_notifies(requests, options);

    bool all_answered = true;
    std::vector<std::string> objects;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const auto& outcome = outcomes[i];
        if (context.json) {
            objects.push_back(outcome_json(requests[i], outcome));
            all_answered = all_answered && outcome.answered && outcome.rcode == dns::Rcode::noerror;
        } else {
            all_answered = print_outcome(requests[i], outcome) && all_answered;
        }
    }
    if (context.json) {
        fmt::print("[{}]\n", fmt::join(objects, ",\n "));
    }
    std::fflush(stdout);
    return all_answered ? exit_ok : exit_failure;
}

} // namespace

void add_notify_command(CLI::App& app, Context& context)
{
    auto arguments = std::make_shared<NotifyArguments>();
    auto* notify = app.add_subcommand(
        "notify", "Send a DNS NOTIFY for zones to a server and wait for its answer");
    notify->add_option("ZONE", arguments->zones,
                       "Zones to announce, with or without the "
                       "trailing dot");
    notify
        ->add_option("--server", arguments->server,
                     "Server to notify: ADDRESS[:PORT], IPv6 in brackets (default port: 53)")
        ->required()
        ->type_name("ADDR[:PORT]");
    notify
        ->add_option("--key", arguments->key,
                     "Sign with this TSIG key from the repository's keys files")
        ->type_name("NAME");
    notify
        ->add_option("--rev", arguments->revision,
                     "Revision whose zone serials and keys are used (default: HEAD)")
        ->type_name("REV");
    notify
        ->add_option("--changed", arguments->changed,
                     "Notify the zones whose files differ between OLD and NEW (instead of ZONE); "
                     "serials and keys come from NEW; a lone NEW means every zone of NEW")
        ->type_name("OLD..NEW")
        ->excludes("--rev");
    notify
        ->add_option("--timeout", arguments->timeout_ms,
                     "Milliseconds to wait for the first answer; each retry waits twice as long "
                     "(default: 2000)")
        ->type_name("MS");
    notify
        ->add_option("--attempts", arguments->attempts,
                     "Datagrams to send per zone before giving up (default: 5)")
        ->type_name("N");
    notify->callback(
        [&context, arguments] { context.exit_code = run_notify(context, *arguments); });
}

} // namespace robur::cli
