#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/edit.hpp"
#include "formats/zone/parser.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/repository.hpp"
#include "store/snapshot.hpp"

// Steps shared by UPDATE and the automatic serial: reading a zone's files, checking an edit by
// parsing the edited files again, and committing them.
namespace robur::dns {

// Reads the text of every file the zone was parsed from (the master file and each included
// file). Errors: not_found or git_error from the snapshot.
[[nodiscard]] Result<zone::FileTexts> read_zone_files(const store::Snapshot& snapshot,
                                                      const zone::Zone& zone);

// Parses the zone again with the edited files in place of their committed versions. Include
// paths resolve as the zone loader resolves them: relative to the including file, or inside
// disk_root when absolute.
[[nodiscard]] zone::ParseResult reparse_zone(const store::Snapshot& snapshot,
                                             const zone::Zone& zone, const zone::FileTexts& edited,
                                             const std::optional<std::filesystem::path>& disk_root);

// True when both lists hold the same records (owner, type, class, TTL and rdata, names
// compared without case), in any order.
[[nodiscard]] bool same_records(const std::vector<zone::Record>& left,
                                const std::vector<zone::Record>& right);

// The committer for commits robur makes: the repository's identity when it has one, else
// "robur <robur@localhost>".
[[nodiscard]] store::Signature committer_signature(const store::Repository& repository);

} // namespace robur::dns
