// `robur key dnssec new ZONE`: generates a DNSSEC key for a zone of the repository, commits
// it as BIND key files under keys/dnssec/<zone>/ and prints its DNSKEY and DS records. The
// group also registers `list` (cli/key_dnssec_list.cpp) and `rollover`
// (cli/key_dnssec_rollover.cpp).

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/key_dnssec_common.hpp"
#include "cli/zone_common.hpp"
#include "formats/dnssec/ds.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/dnssec/key_file.hpp"
#include "formats/zone/diff.hpp"
#include "formats/zone/record.hpp"

namespace robur::cli {

namespace {

struct NewDnssecKeyOptions {
    std::string zone;
    std::string algorithm = "ecdsap256sha256";
    bool ksk = false;
    bool zsk = false;
    bool csk = false;
};

// The key's role. A CSK and a KSK both have flags 257 (SEP set) and the same files: a CSK
// is a KSK of a zone that has no ZSK of its algorithm, so it signs every RRset.
std::string_view role_name(const NewDnssecKeyOptions& options)
{
    if (options.ksk) {
        return "KSK";
    }
    if (options.zsk) {
        return "ZSK";
    }
    return "CSK";
}

struct NewKeyResult {
    dnssec::KeyPair key;
    std::string public_path;
    std::string private_path;
    std::string commit;
    std::uint32_t ttl = default_dnskey_ttl;
};

void print_result(const Context& context, const NewKeyResult& result, std::string_view role)
{
    const auto dnskey = result.key.dnskey_record(result.ttl);
    std::vector<std::string> ds_lines;
    if ((result.key.flags & dnssec::dnskey_flags::secure_entry_point) != 0) {
        for (const auto type : {dnssec::DigestType::sha256, dnssec::DigestType::sha384}) {
            if (auto ds = dnssec::ds_record(dnskey, type)) {
                ds_lines.push_back(dnssec::format_ds_line(*ds));
            }
        }
    }

    if (context.json) {
        std::vector<std::string> quoted_ds;
        for (const auto& line : ds_lines) {
            quoted_ds.push_back(zone::json_quote(line));
        }
        fmt::print("{{\"zone\":{},\"key_tag\":{},\"algorithm\":{},\"flags\":{},\"role\":{},"
                   "\"files\":[{},{}],\"dnskey\":{},\"ds\":[{}],\"commit\":{}}}\n",
                   zone::json_quote(result.key.owner.to_string()), result.key.key_tag(),
                   zone::json_quote(dnssec::algorithm_name(result.key.algorithm)), result.key.flags,
                   zone::json_quote(role), zone::json_quote(result.public_path),
                   zone::json_quote(result.private_path),
                   zone::json_quote(zone::record_to_string(dnskey)), fmt::join(quoted_ds, ","),
                   zone::json_quote(result.commit));
        return;
    }

    fmt::print("key tag {} ({} {}, flags {})\n", result.key.key_tag(), role,
               dnssec::bind_algorithm_name(result.key.algorithm), result.key.flags);
    fmt::print("files {}\n      {}\n", result.public_path, result.private_path);
    fmt::print("commit {}\n\n; DNSKEY record\n{}\n", result.commit, zone::record_to_string(dnskey));
    if (!ds_lines.empty()) {
        fmt::print("\n; DS records for the parent zone\n{}\n", fmt::join(ds_lines, "\n"));
    }
}

std::uint16_t flags_for(const NewDnssecKeyOptions& options)
{
    return options.zsk ? dnssec::dnskey_flags::zsk : dnssec::dnskey_flags::ksk;
}

// Builds the two files of a new key with its creation, publication and activation time set
// to now.
Result<std::vector<store::FileChange>> key_file_changes(const dnssec::KeyPair& key,
                                                        NewKeyResult& result)
{
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    dnssec::KeyFiles files{key, dnssec::KeyTiming{}};
    files.timing.created = now;
    files.timing.publish = now;
    files.timing.activate = now;

    const std::string stem = key_path_stem(key);
    result.public_path = stem + ".key";
    result.private_path = stem + ".private";
    return key_file_writes(files);
}

int new_dnssec_key(const Context& context, const NewDnssecKeyOptions& options)
{
    auto origin = parse_zone_name(options.zone);
    if (!origin) {
        return report(Error{Errc::usage, origin.error().message, std::nullopt});
    }
    const auto algorithm = dnssec::algorithm_from_string(options.algorithm);
    if (!algorithm) {
        return report(Error{Errc::usage,
                            fmt::format("unsupported DNSSEC algorithm '{}': use ecdsap256sha256, "
                                        "ed25519 or rsasha256",
                                        options.algorithm),
                            std::nullopt});
    }

    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return report(head.error());
    }
    auto zone = zone_at_head(*repository, *head, *origin);
    if (!zone) {
        return report(zone.error());
    }

    auto key = generate_unique_key(*zone->first.snapshot, *origin, *algorithm, flags_for(options));
    if (!key) {
        return report(key.error());
    }
    NewKeyResult result;
    result.key = *key;
    result.ttl = apex_ttl(zone->second);
    auto changes = key_file_changes(*key, result);
    if (!changes) {
        return report(changes.error());
    }
    auto author = repository->default_signature();
    if (!author) {
        return report(Error{
            author.error().code,
            fmt::format("{}; set user.name and user.email with git config", author.error().message),
            std::nullopt});
    }

    const std::string_view role = role_name(options);
    const store::CommitRequest request{
        .branch = {},
        .expected_head = *head,
        .changes = std::move(*changes),
        .author = *author,
        .committer = std::nullopt,
        .message = fmt::format("Add DNSSEC {} {} for {} ({})\n", role, key->key_tag(),
                               zone_text(*origin), dnssec::bind_algorithm_name(*algorithm))};
    auto commit = repository->commit(request);
    if (!commit) {
        return report(commit.error());
    }
    result.commit = commit->short_string();
    print_result(context, result, role);
    std::fflush(stdout);
    return exit_ok;
}

} // namespace

void add_key_dnssec_commands(CLI::App& key, Context& context)
{
    auto* group = key.add_subcommand("dnssec", "Manage DNSSEC signing keys of zones");
    group->require_subcommand(1);

    auto options = std::make_shared<NewDnssecKeyOptions>();
    auto* create = group->add_subcommand(
        "new", "Generate a DNSSEC key for a zone, commit it as BIND key files under "
               "keys/dnssec/ZONE/ and print its DNSKEY and DS records");
    create->add_option("ZONE", options->zone, "Zone the key signs, such as example.com")
        ->required();
    create
        ->add_option("--algorithm", options->algorithm,
                     "ecdsap256sha256 (default, algorithm 13), ed25519 (15) or rsasha256 (8, "
                     "2048 bits)")
        ->type_name("ALG");
    auto* ksk = create->add_flag("--ksk", options->ksk,
                                 "Key-signing key: flags 257, signs the DNSKEY RRset");
    auto* zsk = create->add_flag("--zsk", options->zsk, "Zone-signing key: flags 256");
    auto* csk = create->add_flag("--csk", options->csk,
                                 "Combined signing key, flags 257, signs everything (default)");
    ksk->excludes(zsk, csk);
    zsk->excludes(csk);

    create->callback(
        [&context, options] { context.exit_code = new_dnssec_key(context, *options); });

    add_key_dnssec_list_command(*group, context);
    add_key_dnssec_rollover_command(*group, context);
}

} // namespace robur::cli
