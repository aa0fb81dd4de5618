// Repository::commit: builds a tree from the expected head plus the requested changes, writes
// the commit and moves the branch with a compare-and-swap.

#include <algorithm>
#include <set>
#include <span>

#include <fmt/format.h>

#include "core/log.hpp"
#include "store/libgit2.hpp"
#include "store/path.hpp"
#include "store/repository.hpp"
#include "store/worktree.hpp"

namespace robur::store {

namespace {

bool is_supported_mode(std::uint32_t mode)
{
    return mode == mode_file || mode == mode_executable || mode == mode_symlink;
}

bool is_below(const std::string& path, const std::string& folder)
{
    return path.size() > folder.size() && path.starts_with(folder) && path[folder.size()] == '/';
}

// Checks paths and modes, and rejects a request that names a path twice or writes both a path
// and a path below it, because one of the two would have to be a folder. Removals come first
// in the result, so a removed file or folder is gone before a write takes its place.
Result<std::vector<CheckedChange>> check_changes(const std::vector<FileChange>& changes)
{
    std::vector<CheckedChange> checked;
    std::set<std::string> paths;
    std::set<std::string> written;
    for (const auto& change : changes) {
        auto path = check_repository_path(change.path);
        if (!path) {
            return tl::unexpected<Error>(path.error());
        }
        if (change.content && !is_supported_mode(change.mode)) {
            return make_error(Errc::invalid_argument,
                              fmt::format("unsupported file mode {:o} for '{}'", change.mode,
                                          *path));
        }
        if (!paths.insert(*path).second) {
            return make_error(Errc::invalid_argument,
                              fmt::format("'{}' is changed twice in one commit", *path));
        }
        if (change.content) {
            written.insert(*path);
        }
        checked.push_back(CheckedChange{*path, change.content, change.mode});
    }

    for (const auto& path : written) {
        for (std::size_t slash = path.find('/'); slash != std::string::npos;
             slash = path.find('/', slash + 1)) {
            if (written.count(path.substr(0, slash)) != 0) {
                return make_error(Errc::invalid_argument,
                                  fmt::format("'{}' and '{}' cannot both be written in one "
                                              "commit",
                                              path.substr(0, slash), path));
            }
        }
    }
    // std::stable_partition rather than the ranges form, which clang 14 cannot compile
    // against libstdc++ 12.
    std::stable_partition(checked.begin(), checked.end(), [](const CheckedChange& change) {
        return !change.content.has_value();
    });
    return checked;
}

Result<std::optional<git_object_t>> entry_type(git_tree* tree, const std::string& path)
{
    git_tree_entry* raw = nullptr;
    const int rc = git_tree_entry_bypath(&raw, tree, path.c_str());
    if (rc == GIT_ENOTFOUND) {
        return std::optional<git_object_t>();
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot look up '{}'", path));
    }
    const TreeEntryPtr entry(raw);
    return std::optional<git_object_t>(git_tree_entry_type(raw));
}

// Checks one change against the base tree: a removed path must be a file, a written path
// must not be a folder, and no folder above a written path may be a file.
Result<void> check_against_tree(git_tree* base, const CheckedChange& change)
{
    auto type = entry_type(base, change.path);
    if (!type) {
        return tl::unexpected<Error>(type.error());
    }
    if (!change.content && !*type) {
        return make_error(Errc::not_found,
                          fmt::format("cannot remove '{}': no such file", change.path));
    }
    if (*type && **type == GIT_OBJECT_TREE) {
        return make_error(Errc::invalid_argument,
                          fmt::format("'{}' is a folder, not a file", change.path));
    }
    if (!change.content) {
        return {};
    }

    for (std::size_t slash = change.path.find('/'); slash != std::string::npos;
         slash = change.path.find('/', slash + 1)) {
        const std::string folder = change.path.substr(0, slash);
        auto folder_type = entry_type(base, folder);
        if (!folder_type) {
            return tl::unexpected<Error>(folder_type.error());
        }
        if (*folder_type && **folder_type != GIT_OBJECT_TREE) {
            return make_error(Errc::invalid_argument,
                              fmt::format("cannot write '{}': '{}' is a file", change.path,
                                          folder));
        }
    }
    return {};
}

Result<TreePtr> empty_tree(git_repository* repo)
{
    git_treebuilder* raw = nullptr;
    if (git_treebuilder_new(&raw, repo, nullptr) != 0) {
        return git_failure("cannot create an empty tree");
    }
    const TreeBuilderPtr builder(raw);
    git_oid oid{};
    if (git_treebuilder_write(&oid, builder.get()) != 0) {
        return git_failure("cannot write an empty tree");
    }
    return lookup_tree(repo, to_object_id(oid));
}

Result<TreePtr> base_tree(git_repository* repo, const std::optional<ObjectId>& head)
{
    if (!head) {
        return empty_tree(repo);
    }
    const git_oid oid = to_git_oid(*head);
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, repo, &oid) != 0) {
        return git_failure(fmt::format("cannot read commit {}", head->short_string()));
    }
    const CommitPtr commit(raw);
    return lookup_tree(repo, to_object_id(*git_commit_tree_id(raw)));
}

// Writes the blobs of the changes and the tree that results from applying them to `base`.
// The changes must have passed check_against_tree() against `base`.
Result<ObjectId> update_tree(git_repository* repo, git_tree* base,
                             std::span<const CheckedChange> changes)
{
    std::vector<git_tree_update> updates;
    updates.reserve(changes.size());
    for (const auto& change : changes) {
        git_tree_update update{};
        update.path = change.path.c_str();
        if (!change.content) {
            update.action = GIT_TREE_UPDATE_REMOVE;
            updates.push_back(update);
            continue;
        }
        update.action = GIT_TREE_UPDATE_UPSERT;
        update.filemode = static_cast<git_filemode_t>(change.mode);
        if (git_blob_create_from_buffer(&update.id, repo, change.content->data(),
                                        change.content->size()) != 0) {
            return git_failure(fmt::format("cannot store the content of '{}'", change.path));
        }
        updates.push_back(update);
    }

    git_oid tree{};
    if (git_tree_create_updated(&tree, repo, base, updates.size(), updates.data()) != 0) {
        return git_failure("cannot build the new tree");
    }
    return to_object_id(tree);
}

// Returns true when a write takes the place of a removed folder (a file at the folder's path)
// or of a removed file (files below the file's path).
bool changes_a_type(std::span<const CheckedChange> removals, std::span<const CheckedChange> writes)
{
    return std::ranges::any_of(writes, [&](const CheckedChange& write) {
        return std::ranges::any_of(removals, [&](const CheckedChange& removal) {
            return is_below(removal.path, write.path) || is_below(write.path, removal.path);
        });
    });
}

Result<void> check_all_against_tree(git_tree* tree, std::span<const CheckedChange> changes)
{
    for (const auto& change : changes) {
        if (auto checked = check_against_tree(tree, change); !checked) {
            return checked;
        }
    }
    return {};
}

// Builds the tree that results from applying the changes, which check_changes() put in order
// with the removals first, to `base`. When a write takes the place of a removed file or
// folder, the removals make an intermediate tree first. The writes are then checked against
// the tree they land in, so a folder replaced by a file must have lost every file below it.
// The intermediate tree stays in the object database, unreachable, until git gc prunes it.
Result<ObjectId> build_tree(git_repository* repo, git_tree* base,
                            const std::vector<CheckedChange>& changes)
{
    const auto first_write = std::ranges::find_if(
        changes, [](const CheckedChange& change) { return change.content.has_value(); });
    const std::span<const CheckedChange> removals(changes.begin(), first_write);
    const std::span<const CheckedChange> writes(first_write, changes.end());
    if (auto checked = check_all_against_tree(base, removals); !checked) {
        return tl::unexpected<Error>(checked.error());
    }
    if (!changes_a_type(removals, writes)) {
        if (auto checked = check_all_against_tree(base, writes); !checked) {
            return tl::unexpected<Error>(checked.error());
        }
        return update_tree(repo, base, changes);
    }

    auto emptied = update_tree(repo, base, removals);
    if (!emptied) {
        return emptied;
    }
    auto intermediate = lookup_tree(repo, *emptied);
    if (!intermediate) {
        return tl::unexpected<Error>(intermediate.error());
    }
    if (auto checked = check_all_against_tree(intermediate->get(), writes); !checked) {
        return tl::unexpected<Error>(checked.error());
    }
    return update_tree(repo, intermediate->get(), writes);
}

// Returns the branch a request names, defaulting to the one HEAD names.
Result<std::string> request_branch(git_repository* repo, std::string_view requested)
{
    std::string branch = full_branch_name(requested);
    if (branch.empty()) {
        git_reference* head = nullptr;
        if (git_reference_lookup(&head, repo, "HEAD") != 0) {
            return git_failure("cannot read HEAD");
        }
        const ReferencePtr owner(head);
        const char* target = git_reference_symbolic_target(head);
        if (target == nullptr) {
            return make_error(Errc::invalid_argument,
                              "HEAD is detached; name the branch to commit to");
        }
        branch = target;
    }

    if (!branch.starts_with("refs/heads/")) {
        return make_error(Errc::invalid_argument,
                          fmt::format("'{}' is not a branch (refs/heads/...)", branch));
    }
    int valid = 0;
    if (git_reference_name_is_valid(&valid, branch.c_str()) != 0 || valid == 0) {
        return make_error(Errc::invalid_argument, fmt::format("invalid branch name '{}'", branch));
    }
    return branch;
}

Result<std::optional<ObjectId>> read_branch(git_repository* repo, const std::string& branch)
{
    git_oid oid{};
    const int rc = git_reference_name_to_id(&oid, repo, branch.c_str());
    if (rc == GIT_ENOTFOUND) {
        return std::optional<ObjectId>();
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot read branch {}", branch));
    }
    return std::optional<ObjectId>(to_object_id(oid));
}

std::string describe_head(const std::optional<ObjectId>& head)
{
    return head ? head->short_string() : std::string("no commit");
}

Error conflict_error(const std::string& branch, const std::optional<ObjectId>& expected,
                     const std::optional<ObjectId>& actual)
{
    return Error{Errc::conflict,
                 fmt::format("branch {} moved: expected {}, found {}; reload and retry", branch,
                             describe_head(expected), describe_head(actual)),
                 {}};
}

// Returns true when the branch is the one HEAD names in a repository with a work tree.
bool is_checked_out(git_repository* repo, const std::string& branch)
{
    if (git_repository_is_bare(repo) == 1) {
        return false;
    }
    git_reference* head = nullptr;
    if (git_reference_lookup(&head, repo, "HEAD") != 0) {
        return false;
    }
    const ReferencePtr owner(head);
    const char* target = git_reference_symbolic_target(head);
    return target != nullptr && branch == target;
}

std::string with_final_newline(const std::string& message)
{
    if (!message.empty() && message.back() == '\n') {
        return message;
    }
    return message + '\n';
}

std::string summary_of(const std::string& message)
{
    return message.substr(0, message.find('\n'));
}

Result<ObjectId> write_commit(git_repository* repo, const CommitRequest& request,
                              const ObjectId& tree_id)
{
    auto author = to_git_signature(request.author);
    if (!author) {
        return tl::unexpected<Error>(author.error());
    }
    auto committer = to_git_signature(request.committer.value_or(request.author));
    if (!committer) {
        return tl::unexpected<Error>(committer.error());
    }
    auto tree = lookup_tree(repo, tree_id);
    if (!tree) {
        return tl::unexpected<Error>(tree.error());
    }

    CommitPtr parent;
    if (request.expected_head) {
        const git_oid parent_oid = to_git_oid(*request.expected_head);
        git_commit* raw = nullptr;
        if (git_commit_lookup(&raw, repo, &parent_oid) != 0) {
            return git_failure("cannot read the parent commit");
        }
        parent.reset(raw);
    }
    const git_commit* parents[] = {parent.get()};

    git_oid oid{};
    const std::string message = with_final_newline(request.message);
    if (git_commit_create(&oid, repo, nullptr, author->get(), committer->get(), nullptr,
                          message.c_str(), tree->get(), parent ? 1 : 0, parents) != 0) {
        return git_failure("cannot write the commit");
    }
    return to_object_id(oid);
}

// Moves the branch from the expected head to `commit` in one compare-and-swap under the
// reference's lock file, so a concurrent writer (robur or git) makes exactly one side fail.
Result<void> move_branch(git_repository* repo, const std::string& branch,
                         const std::optional<ObjectId>& expected, const ObjectId& commit,
                         const std::string& summary)
{
    const git_oid new_oid = to_git_oid(commit);
    git_reference* raw = nullptr;
    int rc = 0;
    if (expected) {
        const git_oid old_oid = to_git_oid(*expected);
        const std::string reflog = fmt::format("commit: {}", summary);
        rc = git_reference_create_matching(&raw, repo, branch.c_str(), &new_oid, 1, &old_oid,
                                           reflog.c_str());
    } else {
        const std::string reflog = fmt::format("commit (initial): {}", summary);
        rc = git_reference_create(&raw, repo, branch.c_str(), &new_oid, 0, reflog.c_str());
    }
    const ReferencePtr reference(raw);

    if (rc == GIT_ELOCKED) {
        return make_error(Errc::conflict,
                          fmt::format("branch {} is locked by another writer; retry, or remove "
                                      "its stale .lock file if no git process is running",
                                      branch));
    }
    if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
        auto actual = read_branch(repo, branch);
        return tl::unexpected<Error>(
            conflict_error(branch, expected, actual ? *actual : std::nullopt));
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot move branch {}", branch));
    }
    return {};
}

// Builds the tree the commit will carry. Returns nullopt when the changes leave the expected
// head's tree as it was, so no commit is needed.
Result<std::optional<ObjectId>> tree_for(git_repository* repo, const CommitRequest& request,
                                         const std::vector<CheckedChange>& changes,
                                         const std::string& branch)
{
    if (!request.expected_head && changes.empty()) {
        return make_error(Errc::invalid_argument,
                          fmt::format("nothing to commit on branch {}, which has no commits yet",
                                      branch));
    }
    auto base = base_tree(repo, request.expected_head);
    if (!base) {
        return tl::unexpected<Error>(base.error());
    }
    auto tree = build_tree(repo, base->get(), changes);
    if (!tree) {
        return tl::unexpected<Error>(tree.error());
    }
    if (request.expected_head && *tree == to_object_id(*git_tree_id(base->get()))) {
        return std::optional<ObjectId>();
    }
    return std::optional<ObjectId>(*tree);
}

// Writes the commit object and moves the branch to it.
Result<ObjectId> publish_commit(git_repository* repo, const CommitRequest& request,
                                const std::string& branch, const ObjectId& tree,
                                std::size_t file_count)
{
    auto commit = write_commit(repo, request, tree);
    if (!commit) {
        return commit;
    }
    auto moved = move_branch(repo, branch, request.expected_head, *commit,
                             summary_of(request.message));
    if (!moved) {
        return tl::unexpected<Error>(moved.error());
    }
    log::get("git")->info("commit created branch={} id={} parent={} files={} author=\"{}\"",
                          branch, commit->short_string(), describe_head(request.expected_head),
                          file_count, request.author.name);
    return commit;
}

Error worktree_failure(const std::string& branch, const ObjectId& commit, const Error& cause)
{
    log::get("git")->error("work tree update failed branch={} id={} error=\"{}\"", branch,
                           commit.short_string(), cause.message);
    return Error{Errc::io_error,
                 fmt::format("commit {} was made on {}, but updating the work tree failed: {}; "
                             "run git status to see the difference",
                             commit.short_string(), branch, cause.message),
                 {}};
}

} // namespace

Result<ObjectId> Repository::commit(const CommitRequest& request)
{
    auto changes = check_changes(request.changes);
    if (!changes) {
        return tl::unexpected<Error>(changes.error());
    }
    if (summary_of(request.message).empty()) {
        return make_error(Errc::invalid_argument, "the commit message's first line is empty");
    }

    std::unique_lock lock(handle_->mutex);
    git_repository* repo = handle_->repo.get();
    auto branch = request_branch(repo, request.branch);
    if (!branch) {
        return tl::unexpected<Error>(branch.error());
    }
    auto current = read_branch(repo, *branch);
    if (!current) {
        return tl::unexpected<Error>(current.error());
    }
    if (*current != request.expected_head) {
        return tl::unexpected<Error>(conflict_error(*branch, request.expected_head, *current));
    }

    auto tree = tree_for(repo, request, *changes, *branch);
    if (!tree) {
        return tl::unexpected<Error>(tree.error());
    }
    if (!*tree) {
        return *request.expected_head;
    }

    const bool checked_out = is_checked_out(repo, *branch);
    if (checked_out) {
        auto clean = check_paths_clean(repo, *changes);
        if (!clean) {
            return tl::unexpected<Error>(clean.error());
        }
    }

    auto commit = publish_commit(repo, request, *branch, **tree, changes->size());
    if (!commit) {
        return commit;
    }
    if (checked_out) {
        if (auto applied = apply_to_worktree(repo, *changes); !applied) {
            return tl::unexpected<Error>(worktree_failure(*branch, *commit, applied.error()));
        }
    }

    // Packing opens the repository on its own, so other threads need not wait for it.
    const std::filesystem::path git_dir = git_repository_path(repo);
    lock.unlock();
    pack_after_commit(git_dir);
    return commit;
}

} // namespace robur::store
