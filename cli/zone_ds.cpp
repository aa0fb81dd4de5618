// `robur zone ds ZONE`: prints the DS records of a zone's key-signing keys (KSKs and CSKs,
// flags 257) from keys/dnssec/<zone>/ at a revision, for the parent zone.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/zone_common.hpp"
#include "formats/dnssec/ds.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/dnssec/key_file.hpp"
#include "formats/zone/diff.hpp"
#include "formats/zone/text.hpp"

namespace robur::cli {

namespace {

struct DsArguments {
    std::string zone;
    std::string revision = "HEAD";
    std::string digest = "sha256";
};

struct KeyDs {
    std::string file;
    zone::Record ds;
};

// Reads every .key file of the zone's key folder and returns the DS records of the keys with
// the SEP bit. Revoked keys (RFC 5011) are left out, because a parent must not point to them.
// Errors: a .key file that does not parse, or whose DNSKEY belongs to another zone.
Result<std::vector<KeyDs>> collect_ds(const store::Snapshot& snapshot, const zone::Name& origin,
                                      dnssec::DigestType type)
{
    const std::string folder = dnssec::key_folder(origin);
    if (!snapshot.exists(folder)) {
        return std::vector<KeyDs>{};
    }
    auto entries = snapshot.list(folder);
    if (!entries) {
        return tl::unexpected(entries.error());
    }

    std::vector<KeyDs> found;
    for (const auto& entry : *entries) {
        if (entry.is_folder() || !entry.path.ends_with(".key")) {
            continue;
        }
        auto text = snapshot.read(entry.path);
        if (!text) {
            return tl::unexpected(text.error());
        }
        auto dnskey = dnssec::parse_public_key_file(*text, entry.path);
        if (!dnskey) {
            return tl::unexpected(dnskey.error());
        }
        if (!(dnskey->owner == origin)) {
            return make_error(Errc::validation_failed,
                              fmt::format("DNSKEY owner {} is not the zone {}",
                                          dnskey->owner.to_string(), origin.to_string()),
                              dnskey->where);
        }
        const auto flags = static_cast<std::uint16_t>(dnskey->rdata[0] << 8 | dnskey->rdata[1]);
        if ((flags & dnssec::dnskey_flags::secure_entry_point) == 0 ||
            (flags & dnssec::dnskey_flags::revoke) != 0) {
            continue;
        }
        auto ds = dnssec::ds_record(*dnskey, type);
        if (!ds) {
            return tl::unexpected(ds.error());
        }
        found.push_back(KeyDs{entry.path, std::move(*ds)});
    }
    return found;
}

void print_json(const DsArguments& arguments, const zone::Name& origin,
                const std::vector<KeyDs>& records)
{
    std::vector<std::string> items;
    for (const auto& item : records) {
        const auto& rdata = item.ds.rdata;
        const std::span<const std::uint8_t> digest = std::span(rdata).subspan(4);
        items.push_back(fmt::format(
            "{{\"key_tag\":{},\"algorithm\":{},\"digest_type\":{},\"digest\":{},\"record\":{},"
            "\"file\":{}}}",
            rdata[0] << 8 | rdata[1], rdata[2], rdata[3],
            zone::json_quote(zone::text::hex_encode(digest)),
            zone::json_quote(dnssec::format_ds_line(item.ds)), zone::json_quote(item.file)));
    }
    fmt::print("{{\"zone\":{},\"revision\":{},\"digest\":{},\"ds\":[{}]}}\n",
               zone::json_quote(origin.to_string()), zone::json_quote(arguments.revision),
               zone::json_quote(arguments.digest), fmt::join(items, ","));
}

int run_ds(const DsArguments& arguments, const Context& context)
{
    auto origin = parse_zone_name(arguments.zone);
    if (!origin) {
        return usage_error("ds", origin.error().message);
    }
    const auto type = dnssec::digest_type_from_string(arguments.digest);
    if (!type) {
        return usage_error(
            "ds", fmt::format("unsupported digest '{}': use sha256 or sha384", arguments.digest));
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto version = commit_version(*repository, arguments.revision);
    if (!version) {
        return report(version.error());
    }

    auto records = collect_ds(*version->snapshot, *origin, *type);
    if (!records) {
        return report(records.error());
    }
    if (records->empty()) {
        return report(
            Error{Errc::not_found,
                  fmt::format("no KSK or CSK of {} in {}/ at {}: create one with "
                              "robur key dnssec new",
                              origin->to_string(), dnssec::key_folder(*origin), arguments.revision),
                  std::nullopt});
    }

    if (context.json) {
        print_json(arguments, *origin, *records);
    } else {
        for (const auto& item : *records) {
            fmt::print("{}\n", dnssec::format_ds_line(item.ds));
        }
    }
    std::fflush(stdout);
    return exit_ok;
}

} // namespace

void add_zone_ds_command(CLI::App& zone, Context& context)
{
    auto arguments = std::make_shared<DsArguments>();
    auto* command = zone.add_subcommand(
        "ds", "Print the DS records of a zone's KSKs and CSKs (flags 257) for the parent zone");
    command->add_option("ZONE", arguments->zone, "Zone name, such as example.com")->required();
    command
        ->add_option("--rev", arguments->revision,
                     "Revision to read the keys from "
                     "(default: HEAD)")
        ->type_name("REV");
    command
        ->add_option("--digest", arguments->digest,
                     "Digest of the DS records: sha256 (default, digest type 2) or sha384 (4)")
        ->type_name("DIGEST");
    command->callback([arguments, &context] { context.exit_code = run_ds(*arguments, context); });
}

} // namespace robur::cli
