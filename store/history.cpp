// Repository history: log, commit details and parents.

#include <fmt/format.h>

#include "store/libgit2.hpp"
#include "store/path.hpp"
#include "store/repository.hpp"

namespace robur::store {

namespace {

// The id and mode of the entry at `path` in a commit's tree; nullopt when it does not exist.
struct PathVersion {
    ObjectId id;
    std::uint32_t mode = 0;

    bool operator==(const PathVersion&) const = default;
};

Result<std::optional<PathVersion>> path_version(const git_commit* commit, const std::string& path)
{
    git_tree* raw_tree = nullptr;
    if (git_commit_tree(&raw_tree, commit) != 0) {
        return git_failure("cannot read a commit's tree");
    }
    const TreePtr tree(raw_tree);

    git_tree_entry* raw_entry = nullptr;
    const int rc = git_tree_entry_bypath(&raw_entry, tree.get(), path.c_str());
    if (rc == GIT_ENOTFOUND) {
        return std::optional<PathVersion>();
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot look up '{}'", path));
    }
    const TreeEntryPtr entry(raw_entry);
    return std::optional<PathVersion>(PathVersion{
        to_object_id(*git_tree_entry_id(raw_entry)),
        static_cast<std::uint32_t>(git_tree_entry_filemode_raw(raw_entry))});
}

// Returns true when `path` in `commit` differs from every parent (a root commit changes
// every path it contains).
Result<bool> changes_path(const git_commit* commit, const std::string& path)
{
    auto own = path_version(commit, path);
    if (!own) {
        return tl::unexpected<Error>(own.error());
    }

    const unsigned int count = git_commit_parentcount(commit);
    if (count == 0) {
        return own->has_value();
    }
    for (unsigned int i = 0; i < count; ++i) {
        git_commit* raw_parent = nullptr;
        if (git_commit_parent(&raw_parent, commit, i) != 0) {
            return git_failure("cannot read a parent commit");
        }
        const CommitPtr parent(raw_parent);
        auto theirs = path_version(parent.get(), path);
        if (!theirs) {
            return tl::unexpected<Error>(theirs.error());
        }
        if (*theirs == *own) {
            return false;
        }
    }
    return true;
}

CommitInfo to_commit_info(git_commit* commit)
{
    CommitInfo info;
    info.id = to_object_id(*git_commit_id(commit));
    const unsigned int count = git_commit_parentcount(commit);
    for (unsigned int i = 0; i < count; ++i) {
        info.parents.push_back(to_object_id(*git_commit_parent_id(commit, i)));
    }
    info.author = to_signature(*git_commit_author(commit));
    info.committer = to_signature(*git_commit_committer(commit));
    const char* summary = git_commit_summary(commit);
    info.summary = summary != nullptr ? summary : "";
    const char* message = git_commit_message(commit);
    info.message = message != nullptr ? message : "";
    return info;
}

Result<CommitPtr> lookup_commit(git_repository* repo, const ObjectId& id)
{
    const git_oid oid = to_git_oid(id);
    git_commit* raw = nullptr;
    const int rc = git_commit_lookup(&raw, repo, &oid);
    if (rc == GIT_ENOTFOUND) {
        return make_error(Errc::not_found, fmt::format("commit {} not found", id.to_string()));
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot read commit {}", id.short_string()));
    }
    return CommitPtr(raw);
}

Result<TreePtr> commit_tree(git_repository* repo, const ObjectId& id)
{
    auto commit = lookup_commit(repo, id);
    if (!commit) {
        return tl::unexpected<Error>(commit.error());
    }
    git_tree* tree = nullptr;
    if (git_commit_tree(&tree, commit->get()) != 0) {
        return git_failure(fmt::format("cannot read the tree of commit {}", id.short_string()));
    }
    return TreePtr(tree);
}

std::optional<ObjectId> side_id(const git_diff_file& file)
{
    if ((file.flags & GIT_DIFF_FLAG_EXISTS) == 0) {
        return std::nullopt;
    }
    return to_object_id(file.id);
}

} // namespace

Result<std::vector<FileDifference>> Repository::changed_files(const std::optional<ObjectId>& from,
                                                              const ObjectId& to,
                                                              std::string_view folder) const
{
    auto checked_folder = check_repository_path(folder, true);
    if (!checked_folder) {
        return tl::unexpected<Error>(checked_folder.error());
    }

    std::lock_guard lock(handle_->mutex);
    git_repository* repo = handle_->repo.get();
    TreePtr old_tree;
    if (from) {
        auto tree = commit_tree(repo, *from);
        if (!tree) {
            return tl::unexpected<Error>(tree.error());
        }
        old_tree = std::move(*tree);
    }
    auto new_tree = commit_tree(repo, to);
    if (!new_tree) {
        return tl::unexpected<Error>(new_tree.error());
    }

    git_diff_options options;
    git_diff_options_init(&options, GIT_DIFF_OPTIONS_VERSION);
    // Literal matching: the folder names a path prefix, not an fnmatch pattern.
    options.flags = GIT_DIFF_DISABLE_PATHSPEC_MATCH;
    char* pathspec = checked_folder->data();
    if (!checked_folder->empty()) {
        options.pathspec = git_strarray{&pathspec, 1};
    }

    git_diff* raw_diff = nullptr;
    if (git_diff_tree_to_tree(&raw_diff, repo, old_tree.get(), new_tree->get(), &options) != 0) {
        return git_failure("cannot compare the commits");
    }
    const std::unique_ptr<git_diff, GitDeleter<git_diff, git_diff_free>> diff(raw_diff);

    std::vector<FileDifference> differences;
    const std::size_t count = git_diff_num_deltas(diff.get());
    for (std::size_t i = 0; i < count; ++i) {
        const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
        const char* path = delta->new_file.path != nullptr ? delta->new_file.path
                                                           : delta->old_file.path;
        differences.push_back(FileDifference{path, side_id(delta->old_file),
                                             side_id(delta->new_file)});
    }
    return differences;
}

Result<std::vector<CommitInfo>> Repository::log(std::string_view revision,
                                                std::string_view path, std::size_t limit) const
{
    auto checked_path = check_repository_path(path, true);
    if (!checked_path) {
        return tl::unexpected<Error>(checked_path.error());
    }

    std::lock_guard lock(handle_->mutex);
    git_repository* repo = handle_->repo.get();
    auto start = resolve_commit(repo, revision);
    if (!start) {
        return tl::unexpected<Error>(start.error());
    }

    git_revwalk* raw_walk = nullptr;
    if (git_revwalk_new(&raw_walk, repo) != 0) {
        return git_failure("cannot start walking the history");
    }
    const RevwalkPtr walk(raw_walk);
    git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    if (git_revwalk_push(walk.get(), git_commit_id(start->get())) != 0) {
        return git_failure("cannot start walking the history");
    }

    std::vector<CommitInfo> commits;
    git_oid oid{};
    while (commits.size() < limit && git_revwalk_next(&oid, walk.get()) == 0) {
        auto commit = lookup_commit(repo, to_object_id(oid));
        if (!commit) {
            return tl::unexpected<Error>(commit.error());
        }
        if (!checked_path->empty()) {
            auto changed = changes_path(commit->get(), *checked_path);
            if (!changed) {
                return tl::unexpected<Error>(changed.error());
            }
            if (!*changed) {
                continue;
            }
        }
        commits.push_back(to_commit_info(commit->get()));
    }
    return commits;
}

Result<CommitInfo> Repository::commit_info(const ObjectId& id) const
{
    std::lock_guard lock(handle_->mutex);
    auto commit = lookup_commit(handle_->repo.get(), id);
    if (!commit) {
        return tl::unexpected<Error>(commit.error());
    }
    return to_commit_info(commit->get());
}

Result<std::optional<ObjectId>> Repository::parent(const ObjectId& id) const
{
    std::lock_guard lock(handle_->mutex);
    auto commit = lookup_commit(handle_->repo.get(), id);
    if (!commit) {
        return tl::unexpected<Error>(commit.error());
    }
    if (git_commit_parentcount(commit->get()) == 0) {
        return std::optional<ObjectId>();
    }
    return std::optional<ObjectId>(to_object_id(*git_commit_parent_id(commit->get(), 0)));
}

} // namespace robur::store
