#pragma once

// What the `robur key dnssec` commands share: the zone, its keys and its signing policy as the
// branch head has them, the DNSSEC key files of one key, and the --now option.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "cli/zone_common.hpp"
#include "formats/dnssec/key_file.hpp"
#include "formats/dnssec/rollover.hpp"
#include "servers/dns/dnssec_policy.hpp"
#include "store/commit.hpp"

namespace robur::cli {

// `robur key dnssec list` and `robur key dnssec rollover` add themselves to the group.
void add_key_dnssec_list_command(CLI::App& group, Context& context);
void add_key_dnssec_rollover_command(CLI::App& group, Context& context);

// DNSKEY TTL used when the zone has no SOA record to take it from.
inline constexpr std::uint32_t default_dnskey_ttl = 3600;

// A zone as the branch head has it, with its DNSSEC keys and policy.
struct DnssecZone {
    zone::Name origin;
    std::optional<store::ObjectId> head;
    ZoneVersion version;
    dns::LoadedZone zone;
    std::vector<dnssec::KeyFiles> keys; // in file name order
    dns::DnssecPolicy policy;
    dnssec::RolloverTimings timings;
};

// The zone name as users write it: "example.com", "." for the root.
[[nodiscard]] std::string zone_text(const zone::Name& origin);

// The TTL of the zone's apex SOA, or default_dnskey_ttl without one.
[[nodiscard]] std::uint32_t apex_ttl(const dns::LoadedZone& zone);

// Reads the zone from the commit HEAD names, with that commit. Errors: not_found naming the
// zone when the branch has no commits or HEAD has no file for the zone.
Result<std::pair<ZoneVersion, dns::LoadedZone>>
zone_at_head(const store::Repository& repository, const std::optional<store::ObjectId>& head,
             const zone::Name& origin);

// Reads the zone, its keys and robur.conf's policy for it at the branch head. Errors: those
// of zone_at_head, load_dnssec_keys and dnssec_policy, and validation_failed when the zone
// file has errors.
Result<DnssecZone> load_dnssec_zone(const store::Repository& repository, const zone::Name& origin);

// Generates keys until one has a tag that no key of the zone in the snapshot has, because
// BIND's file names and RRSIG records identify keys by algorithm and tag.
Result<dnssec::KeyPair> generate_unique_key(const store::Snapshot& snapshot,
                                            const zone::Name& origin, dnssec::Algorithm algorithm,
                                            std::uint16_t flags);

// The repository path of a key's files without the extension:
// "keys/dnssec/example.com/Kexample.com.+013+12345".
[[nodiscard]] std::string key_path_stem(const dnssec::KeyPair& key);

// The two file changes that write a key's .key and .private files. Errors: those of
// format_private_key_file.
Result<std::vector<store::FileChange>> key_file_writes(const dnssec::KeyFiles& files);

// The two file changes that delete a key's files.
[[nodiscard]] std::vector<store::FileChange> key_file_deletes(const dnssec::KeyPair& key);

// Commits changes on the branch, which must still be at head, with the author from git
// config. Returns the short commit id. Errors: those of the store. A missing author names
// the git config settings to set.
Result<std::string> commit_key_changes(store::Repository& repository,
                                       const std::optional<store::ObjectId>& head,
                                       std::vector<store::FileChange> changes, std::string message);

// The seconds since the epoch that --now or another time option gives: YYYYMMDDHHMMSS in UTC,
// "now", or "+DURATION" / "-DURATION" from the clock in BIND's units ("+1d2h"). An empty text
// means the clock. Errors: usage naming the option and the value.
Result<std::int64_t> parse_time_option(std::string_view option, std::string_view text);

// The DS records (SHA-256) of a key's DNSKEY, in master file format.
[[nodiscard]] std::vector<std::string> ds_lines(const dnssec::KeyPair& key, std::uint32_t ttl);

} // namespace robur::cli
