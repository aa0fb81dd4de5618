#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/parser.hpp"
#include "store/snapshot.hpp"

namespace robur::dns {

// Zones live in the data repository as zones/<zone>.zone, named by the zone without the
// trailing dot ("zones/example.com.zone"); the root zone is zones/root.zone. Only files
// directly inside zones/ are zones; files in folders below zones/ (or anywhere else in the
// repository) can only be read through $INCLUDE.
//
// A relative $INCLUDE path is resolved against the folder of the file that contains
// the directive. A path starting with '/' is an absolute path on disk: it is accepted only when
// it lies inside the work tree (or, for a single file, inside that file's folder) and is then
// read from the same source as the zone. A path that leaves that tree, through ".." or
// otherwise, and a symbolic link are rejected at the $INCLUDE line.

//
// A commit without a zones/ folder is read in the flat layout of dns-primary-git: every file
// at the repository root whose name is a domain name is the master file of that zone
// ("example.com" holds example.com.), so such a repository is served as it is. Not zones
// there: dot files, names starting with '_' (the `_keys` files) or with README, LICENSE,
// COPYING, CHANGELOG or Makefile, and names ending in ._keys, .txt, .conf (robur.conf), .json,
// .yml, .yaml, .toml, .ini, .asc or .log. `robur zone import-repo` moves such a repository to
// the zones/ layout, which every robur command reads.

inline constexpr std::string_view zones_folder = "zones";

// Returns the repository path of a zone's master file: "zones/example.com.zone", and
// "zones/root.zone" for the root zone.
[[nodiscard]] std::string zone_file_path(const zone::Name& origin);

// Returns the origin a repository path names ("zones/example.com.zone" gives example.com.),
// or nullopt for a path that is not directly inside zones/ or does not end in ".zone".
// Errors: invalid_argument when the file name is not a valid domain name.
[[nodiscard]] Result<std::optional<zone::Name>> origin_from_zone_path(std::string_view path);

// Returns the origin a root file names in the flat layout, or nullopt for a file that is not
// a zone there.
[[nodiscard]] std::optional<zone::Name> origin_from_flat_path(std::string_view path);

// Returns the origin for a zone file outside a repository: its file name with a trailing
// ".zone", ".db" or ".txt" removed ("db.example.com" is taken as is). Errors: invalid_argument
// when the rest is not a valid domain name.
[[nodiscard]] Result<zone::Name> origin_from_file_name(const std::filesystem::path& file);

// One zone as read from its files.
struct LoadedZone {
    zone::Name origin;
    std::string path;               // master file: repository path, or the path as given on disk
    zone::ParseResult result;       // the zone and every parse diagnostic
    std::vector<std::string> files; // every file the zone read or tried to read, master first
};

// The zones of one repository version, and faults that belong to no single zone.
struct LoadedZones {
    std::vector<LoadedZone> zones;       // in zone-file name order
    std::vector<Diagnostic> diagnostics; // bad zone file names, two files for one zone
};

// The master file of one zone.
struct ZoneFile {
    std::string path; // "zones/example.com.zone"
    zone::Name origin;
};

// The master files of a repository version, and file names that name no zone.
struct ZoneFileList {
    std::vector<ZoneFile> files;         // in path order
    std::vector<Diagnostic> diagnostics; // bad zone file names, two files for one zone
};

// Lists the zone files of a commit; a commit without zones/ has none.
// Errors: git_error when the snapshot cannot be read.
[[nodiscard]] Result<ZoneFileList> list_zone_files(const store::Snapshot& snapshot);

// Lists the zone files of a work tree. Errors: io_error when zones/ cannot be listed.
[[nodiscard]] Result<ZoneFileList> list_zone_files(const std::filesystem::path& root);

// Reads the zone whose master file is at path in a commit. disk_root is the work tree, used
// only to accept absolute $INCLUDE paths inside it. A missing or unreadable master file is an
// error diagnostic in the result.
[[nodiscard]] LoadedZone
load_zone_at(const store::Snapshot& snapshot, const ZoneFile& file,
             const std::optional<std::filesystem::path>& disk_root = std::nullopt);

// Reads the zone whose master file is at path in a work tree.
[[nodiscard]] LoadedZone load_zone_at(const std::filesystem::path& root, const ZoneFile& file);

// Reads every zone of a commit. Errors: git_error when the snapshot cannot be read.
[[nodiscard]] Result<LoadedZones>
load_zones(const store::Snapshot& snapshot,
           const std::optional<std::filesystem::path>& disk_root = std::nullopt);

// Reads one zone of a commit; nullopt when the commit has no file for it. The origin matches
// the file name without regard to case.
[[nodiscard]] Result<std::optional<LoadedZone>>
load_zone(const store::Snapshot& snapshot, const zone::Name& origin,
          const std::optional<std::filesystem::path>& disk_root = std::nullopt);

// Reads every zone from the files of a work tree (uncommitted edits included).
// Errors: io_error when zones/ cannot be listed.
[[nodiscard]] Result<LoadedZones> load_zones_from_folder(const std::filesystem::path& root);

// Reads one zone from a work tree; nullopt when the work tree has no file for it.
[[nodiscard]] Result<std::optional<LoadedZone>>
load_zone_from_folder(const std::filesystem::path& root, const zone::Name& origin);

// Reads a zone file outside a repository. $INCLUDE paths are relative to the file's folder
// and confined to that folder's tree. Errors: not_found or io_error for the file itself;
// faults inside it are diagnostics.
[[nodiscard]] Result<LoadedZone> load_zone_file(const std::filesystem::path& file,
                                                const zone::Name& origin);

// True when any file the zone read differs between two commits (blob ids compared), so a
// change in an included file counts as a change of the zone.
[[nodiscard]] bool zone_files_changed(const LoadedZone& zone, const store::Snapshot& before,
                                      const store::Snapshot& after);

} // namespace robur::dns
