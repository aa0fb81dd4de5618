#pragma once

// Where the TSIG keys of a data repository live. robur reads every file named `_keys` or
// `<zone>._keys` in the keys/ folder, and also at the repository root, where dns-primary-git
// keeps them, so that its repositories are served without moving a file.

#include <string>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "servers/dns/tsig_keys.hpp"
#include "store/snapshot.hpp"

namespace robur::dns {

inline constexpr std::string_view keys_folder = "keys";

// The keys of one repository version.
struct RepositoryKeys {
    tsig::KeyTable table;
    std::vector<std::string> files;      // the keys files read, in path order
    std::vector<Diagnostic> diagnostics; // faults in those files; a faulty key is left out
};

// Reads the keys files of a commit. A commit without keys files has an empty table.
// Errors: git_error when the snapshot cannot be listed.
[[nodiscard]] Result<RepositoryKeys> load_repository_keys(const store::Snapshot& snapshot);

// True when path is a keys file that load_repository_keys reads.
[[nodiscard]] bool is_keys_file(std::string_view path);

} // namespace robur::dns
