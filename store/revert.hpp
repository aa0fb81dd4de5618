#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/commit.hpp"
#include "store/object_id.hpp"
#include "store/repository.hpp"

namespace robur::store {

// The file changes that undo one commit on top of a branch head, as `git revert` makes them
// when no file changed since.
struct RevertPlan {
    CommitInfo reverted;
    std::optional<ObjectId> head;     // the branch head the changes apply to
    std::vector<FileChange> changes;  // empty when the branch already undoes the commit
    std::vector<std::string> conflicts; // files changed on the branch since the commit
};

// Computes the changes that put every file `commit` changed back to its version in the
// commit's parent, on the branch `branch` ("" for the branch HEAD names). A file whose
// content or mode on the branch head is neither the commit's version nor the parent's is a
// conflict, which git would merge line by line but robur reports instead. Errors: not_found
// for an unknown commit or a branch without commits; unsupported for a merge commit.
[[nodiscard]] Result<RevertPlan> plan_revert(const Repository& repository, const ObjectId& commit,
                                             std::string_view branch = {});

// Formats the message git revert writes: Revert "<summary>", then "This reverts commit <id>.".
[[nodiscard]] std::string revert_message(const CommitInfo& reverted);

} // namespace robur::store
