#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/zone.hpp"

// In-place editing of master files: records are removed, added or changed by rewriting only
// the lines (or the single fields) that hold them, so that comments, blank lines, directives,
// ordering and the formatting of every untouched line stay byte-identical.
namespace robur::zone {

// The text of each file of a zone, by the path that Record::where.path and Zone::files use.
using FileTexts = std::map<std::string, std::string>;

// A change to a zone's files. Records to remove or change are given as parsed, so their
// `where` names the file and the first line of the entry that contains them.
struct ZoneEdit {
    std::vector<Record> removed;
    // New records. Each goes after the last kept record with the same owner and type, else
    // after the last kept record with the same owner, else at the end of the master file.
    std::vector<Record> added;
    // Records as parsed, each paired with its new TTL; only the TTL field is rewritten (or
    // inserted when the entry has none).
    std::vector<std::pair<Record, std::uint32_t>> ttl_changes;
    // Records as parsed, each paired with the record that replaces its whole entry.
    std::vector<std::pair<Record, Record>> replaced;
    // New serial of the apex SOA; only the serial field is rewritten, wherever it sits.
    std::optional<std::uint32_t> serial;
};

// Applies edit to the files of zone (parsed from files) and returns the new text of every file
// that changed. When a record that owned the name for the blank-owner lines after it is
// removed, the owner is written on the first kept line that inherited it.
// Errors: unsupported, located at the directive, for a record made by $GENERATE, because such a
// record cannot be changed on its own. not_found when a record's file is missing from files or
// no entry starts at its line. invalid_argument when an entry lacks the fields of its record.
[[nodiscard]] Result<FileTexts> edit_zone_files(const Zone& zone, const FileTexts& files,
                                                const ZoneEdit& edit);

} // namespace robur::zone
