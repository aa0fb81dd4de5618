// `robur zone sign ZONE`: signs a zone of the branch head offline and commits the signed
// master file. The user's text stays as written; the generated records follow a marker line
// (cli/signed_zone_file.hpp). Signatures of the committed version are kept where sign_zone
// allows, and verified first unless the marker's digest shows the file as robur wrote it.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/key_dnssec_common.hpp"
#include "cli/zone_common.hpp"
#include "cli/zone_sign_plan.hpp"
#include "formats/dnssec/key_state.hpp"
#include "formats/dnssec/signer.hpp"
#include "formats/zone/diff.hpp"
#include "formats/zone/serial.hpp"
#include "formats/zone/text.hpp"
#include "formats/zone/validate.hpp"
#include "servers/dns/update_apply.hpp"

namespace robur::cli {

namespace {

struct SignArguments {
    std::string zone;
    bool nsec3 = false;
    bool nsec = false;
    std::string salt;
    std::optional<unsigned> iterations;
    bool opt_out = false;
    std::string validity;
    std::string refresh;
    std::string now;
    bool full = false;
    bool dry_run = false;
};

// Durations a command-line option may give: below 2^31 seconds, as RRSIG times require.
constexpr std::uint64_t max_duration = 0x7fffffff;

Result<std::chrono::seconds> duration_option(std::string_view option, std::string_view text)
{
    const auto seconds = zone::text::parse_duration(text, max_duration);
    if (!seconds || *seconds == 0) {
        return make_error(Errc::usage,
                          fmt::format("invalid {} \"{}\": expected a duration such as 30d or 12h",
                                      option, text));
    }
    return std::chrono::seconds{static_cast<std::int64_t>(*seconds)};
}

Result<void> apply_nsec3_options(const SignArguments& arguments, dns::DnssecPolicy& policy)
{
    if (arguments.nsec) {
        policy.nsec3.reset();
    } else if (arguments.nsec3 && !policy.nsec3) {
        policy.nsec3 = dnssec::Nsec3Options{};
    }
    const bool tuned = !arguments.salt.empty() || arguments.iterations || arguments.opt_out;
    if (tuned && !policy.nsec3) {
        return make_error(Errc::usage, "--salt, --iterations and --opt-out need NSEC3: add "
                                       "--nsec3 or set nsec3 = yes in robur.conf");
    }
    if (!arguments.salt.empty()) {
        auto salt = arguments.salt == "-" ? std::optional<std::vector<std::uint8_t>>(std::vector<std::uint8_t>{})
                                          : zone::text::hex_decode(arguments.salt);
        if (!salt || salt->size() > 255) {
            return make_error(Errc::usage,
                              fmt::format("invalid --salt \"{}\": expected up to 255 octets in "
                                          "hexadecimal, or - for no salt",
                                          arguments.salt));
        }
        policy.nsec3->salt = std::move(*salt);
    }
    if (arguments.iterations) {
        if (*arguments.iterations > dnssec::max_nsec3_iterations) {
            return make_error(Errc::usage,
                              fmt::format("invalid --iterations {}: at most {} (RFC 9276 "
                                          "recommends 0)",
                                          *arguments.iterations, dnssec::max_nsec3_iterations));
        }
        policy.nsec3->iterations = static_cast<std::uint16_t>(*arguments.iterations);
    }
    if (arguments.opt_out) {
        policy.nsec3->opt_out = true;
    }
    return {};
}

// The zone's policy with the command-line options applied. Errors: usage naming the option.
Result<dns::DnssecPolicy> effective_policy(dns::DnssecPolicy policy,
                                           const SignArguments& arguments)
{
    if (auto applied = apply_nsec3_options(arguments, policy); !applied) {
        return tl::unexpected(applied.error());
    }
    if (!arguments.validity.empty()) {
        auto validity = duration_option("--validity", arguments.validity);
        if (!validity) {
            return tl::unexpected(validity.error());
        }
        policy.validity = *validity;
    }
    if (!arguments.refresh.empty()) {
        auto refresh = duration_option("--refresh", arguments.refresh);
        if (!refresh) {
            return tl::unexpected(refresh.error());
        }
        policy.refresh = *refresh;
    }
    if (policy.refresh >= policy.validity) {
        return make_error(Errc::usage,
                          fmt::format("the refresh period ({}s) must be shorter than the "
                                      "signature validity ({}s)",
                                      policy.refresh.count(), policy.validity.count()));
    }
    return policy;
}

// Rejects zones that this command must not sign. Errors: invalid_argument with the fix.
Result<void> check_signable(const DnssecZone& zone, const dnssec::ZoneKeys& keys)
{
    const std::string name = zone_text(zone.origin);
    if (zone.policy.mode == dns::SigningMode::online) {
        return make_error(Errc::invalid_argument,
                          fmt::format("zone {} is signed online (dnssec = online in robur.conf): "
                                      "the server signs it in memory and its signatures are not "
                                      "committed",
                                      name));
    }
    if (zone.keys.empty()) {
        return make_error(Errc::invalid_argument,
                          fmt::format("zone {} has no DNSSEC keys in {}/: create one with robur "
                                      "key dnssec new {}",
                                      name, dnssec::key_folder(zone.origin), name));
    }
    if (keys.signing.empty()) {
        return make_error(Errc::invalid_argument,
                          fmt::format("no key of zone {} is active now: check the Publish and "
                                      "Activate times with robur key dnssec list {}",
                                      name, name));
    }
    return {};
}

// Everything one run computed, for the summary and the commit.
struct SignOutcome {
    dnssec::SignStats stats;
    std::optional<std::uint32_t> old_serial;
    std::optional<std::uint32_t> new_serial; // set when the serial was raised
    zone::FileTexts changed;
    std::vector<Diagnostic> warnings;
    std::size_t signing_keys = 0;
    std::size_t published_keys = 0;
    std::string commit; // short id, empty when nothing was committed
};

struct SigningInput {
    const DnssecZone& zone;
    const CommittedZoneFiles& files;
    const dnssec::ZoneKeys& keys;
    std::int64_t now;
    bool full;
};

dnssec::SignOptions sign_options(const SigningInput& input)
{
    const auto now = std::chrono::sys_seconds{std::chrono::seconds{input.now}};
    dnssec::SignOptions options;
    options.nsec3 = input.zone.policy.nsec3;
    options.now = now;
    // An hour of inception margin covers validators whose clocks run behind.
    options.inception = now - std::chrono::hours{1};
    options.expiration = now + input.zone.policy.validity;
    options.dnskey_ttl = input.zone.policy.dnskey_ttl;
    options.threads = std::max(1U, std::thread::hardware_concurrency());
    options.published_dnskeys = input.keys.published;
    options.refresh = input.zone.policy.refresh;
    if (!input.full) {
        options.previous = &input.zone.zone.result.zone;
        options.verify_previous = !input.files.block_intact;
    }
    return options;
}

// True unless the user raised the serial since the last signing, so a changed zone needs one.
bool needs_new_serial(const CommittedZoneFiles& files, std::uint32_t serial)
{
    return !files.parts.serial || !zone::serial_gt(serial, *files.parts.serial);
}

// The RRSIGs over the apex SOA RRset.
std::vector<const zone::Record*> soa_signatures(const zone::Zone& zone)
{
    std::vector<const zone::Record*> out;
    for (const auto& record : zone.records) {
        if (record.type == zone::rrtype::rrsig && record.owner == zone.origin &&
            record.rdata.size() >= 2 && record.rdata[0] == 0 &&
            record.rdata[1] == zone::rrtype::soa) {
            out.push_back(&record);
        }
    }
    return out;
}

// The RRSIGs over the SOA RRset of the first signing: how many were kept from the committed
// zone and how many were new.
struct SoaSignatureOrigins {
    std::size_t kept = 0;
    std::size_t fresh = 0;
};

SoaSignatureOrigins soa_signature_origins(const zone::Zone& first, const zone::Zone& committed)
{
    SoaSignatureOrigins origins;
    for (const auto* rrsig : soa_signatures(first)) {
        const bool found =
            std::any_of(committed.records.begin(), committed.records.end(),
                        [&](const zone::Record& record) { return record.same_data(*rrsig); });
        ++(found ? origins.kept : origins.fresh);
    }
    return origins;
}

// Counts of the two signings as one: the second replaced only the SOA RRset's signatures of
// the first, and made second_new signatures.
void merge_resign_stats(const SoaSignatureOrigins& first, std::size_t second_new,
                        dnssec::SignStats& total)
{
    total.signatures_reused -= std::min(total.signatures_reused, first.kept);
    total.signatures_new -= std::min(total.signatures_new, first.fresh);
    total.signatures_new += second_new;
    if (first.fresh == 0 && total.rrsets_kept > 0) {
        --total.rrsets_kept;
        ++total.rrsets_signed;
    }
}

// Signs signed_zone again after raising the serial of user.zone from old_serial to raised.
// Only the SOA RRset needs new signatures, so resign_apex_soa patches them in place when that
// gives the zone a second sign_zone gives, which keeps every other RRSIG of the first signing.
Result<void> resign_with_serial(const SigningInput& input, UserRecords& user,
                                dnssec::SignOptions options, std::uint32_t old_serial,
                                std::uint32_t raised, zone::Zone& signed_zone,
                                dnssec::SignStats& stats)
{
    const auto origins = soa_signature_origins(signed_zone, input.zone.zone.result.zone);
    set_soa_serial(user.zone, raised);
    set_soa_serial(signed_zone, raised);
    dnssec::SignStats second;
    auto resigned = dnssec::resign_apex_soa(signed_zone, input.keys.signing, options, second);
    if (!resigned) {
        return tl::unexpected(resigned.error());
    }
    if (!*resigned) {
        // The first signing's zone, with its serial back, is the previous version to keep
        // signatures from.
        set_soa_serial(signed_zone, old_serial);
        options.previous = &signed_zone;
        options.verify_previous = false;
        auto full = dnssec::sign_zone(user.zone, input.keys.signing, options, second);
        if (!full) {
            return tl::unexpected(full.error());
        }
        signed_zone = std::move(*full);
    }
    merge_resign_stats(origins, second.signatures_new, stats);
    return {};
}

Result<SignOutcome> sign_and_build(const SigningInput& input)
{
    SignOutcome outcome;
    UserRecords user = user_records(input.zone.zone, input.files, input.keys.signing);
    outcome.warnings = user.warnings;
    outcome.old_serial = user.zone.serial();
    outcome.signing_keys = input.keys.signing.size();
    outcome.published_keys = input.keys.published.size();

    const auto options = sign_options(input);
    auto signed_zone = dnssec::sign_zone(user.zone, input.keys.signing, options, outcome.stats);
    if (!signed_zone) {
        return tl::unexpected(signed_zone.error());
    }
    std::vector<Diagnostic> ttl_warnings;
    auto changed = build_signed_files(input.zone.zone, input.files, user, *signed_zone,
                                      std::nullopt, ttl_warnings);
    if (!changed) {
        return tl::unexpected(changed.error());
    }
    if (changed->empty() || !outcome.old_serial ||
        !needs_new_serial(input.files, *outcome.old_serial)) {
        outcome.changed = std::move(*changed);
        outcome.warnings.insert(outcome.warnings.end(), ttl_warnings.begin(), ttl_warnings.end());
        return outcome;
    }

    // Secondaries transfer the new version only when the serial grows (RFC 1982), so sign
    // once more with a raised serial. Everything but the SOA RRset keeps its new RRSIGs.
    const std::uint32_t raised = zone::next_serial(*outcome.old_serial, dns::today_yyyymmdd());
    auto resigned = resign_with_serial(input, user, options, *outcome.old_serial, raised,
                                       *signed_zone, outcome.stats);
    if (!resigned) {
        return tl::unexpected(resigned.error());
    }
    ttl_warnings.clear();
    changed = build_signed_files(input.zone.zone, input.files, user, *signed_zone, raised,
                                 ttl_warnings);
    if (!changed) {
        return tl::unexpected(changed.error());
    }
    outcome.new_serial = raised;
    outcome.changed = std::move(*changed);
    outcome.warnings.insert(outcome.warnings.end(), ttl_warnings.begin(), ttl_warnings.end());
    return outcome;
}

std::string denial_name(const dns::DnssecPolicy& policy)
{
    return policy.nsec3 ? "NSEC3" : "NSEC";
}

std::string commit_message(const DnssecZone& zone, const SignOutcome& outcome)
{
    std::string message = fmt::format(
        "Sign {}: {} RRsets signed, {} signatures kept, {}\n", zone.origin.to_string(),
        outcome.stats.rrsets_signed, outcome.stats.signatures_reused, denial_name(zone.policy));
    if (outcome.new_serial) {
        message += fmt::format("\nRaise the serial from {} to {}.\n", outcome.old_serial.value_or(0),
                               *outcome.new_serial);
    }
    return message;
}

void print_outcome(const Context& context, const DnssecZone& zone, const SignOutcome& outcome)
{
    const auto serial = outcome.new_serial ? outcome.new_serial : outcome.old_serial;
    if (context.json) {
        std::vector<std::string> files;
        for (const auto& [path, text] : outcome.changed) {
            files.push_back(zone::json_quote(path));
        }
        fmt::print("{{\"zone\":{},\"denial\":\"{}\",\"serial\":{},\"serial_raised\":{},"
                   "\"signing_keys\":{},\"published_keys\":{},\"rrsets_signed\":{},"
                   "\"rrsets_kept\":{},\"signatures_new\":{},\"signatures_kept\":{},"
                   "\"files\":[{}],\"commit\":{}}}\n",
                   zone::json_quote(zone.origin.to_string()), denial_name(zone.policy),
                   serial ? std::to_string(*serial) : std::string("null"),
                   outcome.new_serial ? "true" : "false", outcome.signing_keys,
                   outcome.published_keys, outcome.stats.rrsets_signed,
                   outcome.stats.rrsets_kept, outcome.stats.signatures_new,
                   outcome.stats.signatures_reused, fmt::join(files, ","),
                   outcome.commit.empty() ? std::string("null") : zone::json_quote(outcome.commit));
        return;
    }
    fmt::print("zone {} signed with {} ({} signing key{}, {} published only)\n",
               zone.origin.to_string(), denial_name(zone.policy), outcome.signing_keys,
               outcome.signing_keys == 1 ? "" : "s", outcome.published_keys);
    fmt::print("{} RRsets signed, {} kept their signatures ({} new signatures, {} kept)\n",
               outcome.stats.rrsets_signed, outcome.stats.rrsets_kept,
               outcome.stats.signatures_new, outcome.stats.signatures_reused);
    if (outcome.new_serial) {
        fmt::print("serial {} raised to {}\n", outcome.old_serial.value_or(0), *outcome.new_serial);
    }
    if (outcome.changed.empty()) {
        fmt::print("no change: the committed zone is signed and current\n");
    } else if (outcome.commit.empty()) {
        fmt::print("not committed (--dry-run)\n");
    } else {
        fmt::print("commit {}\n", outcome.commit);
    }
}

// Fails with every error validate_zone found in the user's records.
Result<void> check_valid(const DnssecZone& zone, const std::vector<Diagnostic>& findings)
{
    if (!has_errors(findings)) {
        return {};
    }
    print_diagnostics(findings);
    return make_error(Errc::validation_failed,
                      fmt::format("zone {} is invalid: fix the errors above before signing",
                                  zone_text(zone.origin)));
}

// Validates the zone while signing it: validation is single-threaded, so it runs while the
// signer's own single-threaded steps leave a core free. A validation error wins over the
// signing result, because an invalid zone may have made signing fail.
Result<SignOutcome> validate_and_sign(const DnssecZone& zone, const dnssec::ZoneKeys& keys,
                                      std::int64_t now, bool full)
{
    auto findings = std::async(std::launch::async,
                               [&zone] { return zone::validate_zone(zone.zone.result.zone); });
    auto files = read_committed_files(*zone.version.snapshot, zone.zone);
    Result<SignOutcome> outcome =
        files ? sign_and_build({zone, *files, keys, now, full}) : tl::unexpected(files.error());
    if (auto valid = check_valid(zone, findings.get()); !valid) {
        return tl::unexpected(valid.error());
    }
    return outcome;
}

int run_zone_sign(const Context& context, const SignArguments& arguments)
{
    auto origin = parse_zone_name(arguments.zone);
    if (!origin) {
        return usage_error("sign", origin.error().message);
    }
    auto now = parse_time_option("--now", arguments.now);
    if (!now) {
        return usage_error("sign", now.error().message);
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto zone = load_dnssec_zone(*repository, *origin);
    if (!zone) {
        return report(zone.error());
    }
    auto policy = effective_policy(zone->policy, arguments);
    if (!policy) {
        return usage_error("sign", policy.error().message);
    }
    zone->policy = std::move(*policy);

    const auto keys = dnssec::select_keys(zone->keys, *now);
    if (auto signable = check_signable(*zone, keys); !signable) {
        return report(signable.error());
    }
    auto outcome = validate_and_sign(*zone, keys, *now, arguments.full);
    if (!outcome) {
        return report(outcome.error());
    }
    print_diagnostics(outcome->warnings);

    if (!outcome->changed.empty() && !arguments.dry_run) {
        std::vector<store::FileChange> changes;
        for (const auto& [path, text] : outcome->changed) {
            changes.push_back({path, text, store::mode_file});
        }
        auto commit = commit_key_changes(*repository, zone->head, std::move(changes),
                                         commit_message(*zone, *outcome));
        if (!commit) {
            return report(commit.error());
        }
        outcome->commit = *commit;
    }
    print_outcome(context, *zone, *outcome);
    std::fflush(stdout);
    return exit_ok;
}

} // namespace

void add_zone_sign_command(CLI::App& zone, Context& context)
{
    auto arguments = std::make_shared<SignArguments>();
    auto* command = zone.add_subcommand(
        "sign", "Sign a zone with its DNSSEC keys and commit the signed zone file");
    command->add_option("ZONE", arguments->zone, "Zone to sign, such as example.com")->required();
    auto* nsec3 = command->add_flag("--nsec3", arguments->nsec3,
                                    "Deny existence with NSEC3 (RFC 5155) instead of NSEC");
    auto* nsec = command->add_flag("--nsec", arguments->nsec,
                                   "Deny existence with NSEC, whatever robur.conf sets");
    nsec3->excludes(nsec);
    command->add_option("--salt", arguments->salt, "NSEC3 salt in hexadecimal, or - for none")
        ->type_name("HEX");
    command
        ->add_option("--iterations", arguments->iterations,
                     "Additional NSEC3 hash iterations, 0 to 150 (default 0, as RFC 9276 asks)")
        ->type_name("N");
    command->add_flag("--opt-out", arguments->opt_out,
                      "Leave insecure delegations out of the NSEC3 chain");
    command
        ->add_option("--validity", arguments->validity,
                     "Lifetime of new signatures, such as 30d (default: signature-validity)")
        ->type_name("DURATION");
    command
        ->add_option("--refresh", arguments->refresh,
                     "Renew signatures that expire within this time, such as 7d (default: "
                     "signature-refresh)")
        ->type_name("DURATION");
    command
        ->add_option("--now", arguments->now,
                     "Sign as at this time: YYYYMMDDHHMMSS in UTC or +/-DURATION from now")
        ->type_name("TIME");
    command->add_flag("--full", arguments->full,
                      "Sign every RRset afresh instead of keeping current signatures");
    command->add_flag("--dry-run", arguments->dry_run,
                      "Sign and print the summary without committing");
    command->callback(
        [&context, arguments] { context.exit_code = run_zone_sign(context, *arguments); });
}

} // namespace robur::cli
