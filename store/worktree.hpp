#pragma once

// Internal to the store library: keeping a work tree and its index in step with commits that
// robur makes on the checked-out branch.

#include <optional>
#include <string>
#include <vector>

#include <git2.h>

#include "core/error.hpp"

namespace robur::store {

// A FileChange whose path and mode have been checked.
struct CheckedChange {
    std::string path;
    std::optional<std::string> content; // nullopt removes the file
    std::uint32_t mode = 0;
};

// Fails with Errc::dirty_worktree, naming every path, when any changed path differs between
// HEAD, the index and the work tree. The same happens when an untracked or ignored file is in
// its place, or a file or symlink is where a folder above it must be.
[[nodiscard]] Result<void> check_paths_clean(git_repository* repo,
                                             const std::vector<CheckedChange>& changes);

// Writes or removes the changed files in the work tree and updates their index entries,
// leaving every other path alone. Files under keys/ are written with mode 0600.
[[nodiscard]] Result<void> apply_to_worktree(git_repository* repo,
                                             const std::vector<CheckedChange>& changes);

} // namespace robur::store
