// Reverting one commit by applying the inverse of its diff to the branch head's tree, file by
// file, through Repository::commit, so the compare-and-swap on the branch and the work-tree
// update are the ones every other commit gets.

#include "store/revert.hpp"

#include <fmt/format.h>

namespace robur::store {

namespace {

// A file's blob id and mode in one commit.
struct FileVersion {
    ObjectId id;
    std::uint32_t mode = 0;

    bool operator==(const FileVersion&) const = default;
};

Result<std::optional<FileVersion>> file_version(const Snapshot& snapshot, const std::string& path)
{
    const auto slash = path.rfind('/');
    const std::string folder = slash == std::string::npos ? "" : path.substr(0, slash);
    if (!snapshot.exists(path)) {
        return std::optional<FileVersion>();
    }
    auto entries = snapshot.list(folder);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    for (const auto& entry : *entries) {
        if (entry.path == path && !entry.is_folder()) {
            return std::optional<FileVersion>(FileVersion{entry.id, entry.mode});
        }
    }
    return std::optional<FileVersion>();
}

// The change that gives `path` its version in `parent` (nullopt: no parent, so remove it).
Result<FileChange> restore(const std::optional<Snapshot>& parent, const std::string& path,
                           const std::optional<FileVersion>& version)
{
    if (!version) {
        return FileChange{path, std::nullopt, mode_file};
    }
    auto content = parent->read(path);
    if (!content) {
        return tl::unexpected(content.error());
    }
    return FileChange{path, std::move(*content), version->mode};
}

} // namespace

Result<RevertPlan> plan_revert(const Repository& repository, const ObjectId& commit,
                               std::string_view branch)
{
    auto info = repository.commit_info(commit);
    if (!info) {
        return tl::unexpected(info.error());
    }
    if (info->parents.size() > 1) {
        return make_error(Errc::unsupported,
                          fmt::format("commit {} is a merge; reverting a merge is not supported",
                                      commit.short_string()));
    }
    auto head = repository.branch_head(branch);
    if (!head) {
        return tl::unexpected(head.error());
    }
    if (!*head) {
        return make_error(Errc::not_found, "the branch has no commits");
    }

    std::optional<ObjectId> parent_id;
    std::optional<Snapshot> parent;
    if (!info->parents.empty()) {
        parent_id = info->parents.front();
        auto snapshot = repository.snapshot(parent_id->to_string());
        if (!snapshot) {
            return tl::unexpected(snapshot.error());
        }
        parent = std::move(*snapshot);
    }
    auto reverted = repository.snapshot(commit.to_string());
    auto current = repository.snapshot((*head)->to_string());
    auto differences = repository.changed_files(parent_id, commit);
    if (!reverted || !current || !differences) {
        return tl::unexpected(!reverted ? reverted.error()
                              : !current ? current.error()
                                         : differences.error());
    }

    RevertPlan plan{*info, *head, {}, {}};
    for (const auto& difference : *differences) {
        auto before = parent ? file_version(*parent, difference.path)
                             : Result<std::optional<FileVersion>>(std::nullopt);
        auto after = file_version(*reverted, difference.path);
        auto now = file_version(*current, difference.path);
        if (!before || !after || !now) {
            return tl::unexpected(!before ? before.error()
                                  : !after ? after.error()
                                           : now.error());
        }
        if (*now == *before) {
            continue; // the branch already has the parent's version
        }
        if (*now != *after) {
            plan.conflicts.push_back(difference.path);
            continue;
        }
        auto change = restore(parent, difference.path, *before);
        if (!change) {
            return tl::unexpected(change.error());
        }
        plan.changes.push_back(std::move(*change));
    }
    return plan;
}

std::string revert_message(const CommitInfo& reverted)
{
    return fmt::format("Revert \"{}\"\n\nThis reverts commit {}.\n", reverted.summary,
                       reverted.id.to_string());
}

} // namespace robur::store
