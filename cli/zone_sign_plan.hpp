#pragma once

// The steps of `robur zone sign` that build the new master file from the committed one:
// which records are the user's, which the signer generated, and the edited file texts.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/signed_zone_file.hpp"
#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/zone/edit.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/snapshot.hpp"

namespace robur::cli {

// The committed files of a zone: the master file split at the marker, and every file's text.
struct CommittedZoneFiles {
    std::string master_path;
    zone::FileTexts texts; // every file the zone read, by repository path
    SignedFileParts parts; // the master file split at the marker line
    // True when the marker's digest matches the files, so the generated block is exactly what
    // an earlier `robur zone sign` wrote for the user's text as it is now.
    bool block_intact = false;
};

// Reads the zone's files from the snapshot. Errors: those of Snapshot::read.
Result<CommittedZoneFiles> read_committed_files(const store::Snapshot& snapshot,
                                                const dns::LoadedZone& zone);

// The records of the user's part, ready for the signer.
struct UserRecords {
    zone::Zone zone; // the user's records with their file locations
    // Records of the user's part that are removed from the file: DNSSEC records the signer
    // generates (RRSIG, NSEC, NSEC3, NSEC3PARAM) and DNSKEYs of an algorithm no key signs with.
    std::vector<zone::Record> removed;
    // One per removed DNSKEY and one per type of generated record.
    std::vector<Diagnostic> warnings;
};

// Splits the loaded zone into the user's records and those of the generated block, which
// starts after the marker line of the master file.
[[nodiscard]] UserRecords user_records(const dns::LoadedZone& zone,
                                       const CommittedZoneFiles& files,
                                       const std::vector<dnssec::KeyPair>& signing_keys);

// Sets the serial of the apex SOA in zone; false when the zone has no usable SOA.
bool set_soa_serial(zone::Zone& zone, std::uint32_t serial);

// Builds the new text of every file that the signing changes. The user's text loses the
// removed records and gets the TTLs the signer had to change and the new serial. The marker
// line and the generated records of signed_zone (those after the user's records) follow it.
// Adds a warning for each TTL changed. Errors: those of edit_zone_files.
Result<zone::FileTexts> build_signed_files(const dns::LoadedZone& zone,
                                           const CommittedZoneFiles& files,
                                           const UserRecords& user, const zone::Zone& signed_zone,
                                           std::optional<std::uint32_t> new_serial,
                                           std::vector<Diagnostic>& warnings);

} // namespace robur::cli
