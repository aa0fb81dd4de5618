#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/commit.hpp"
#include "store/object_id.hpp"
#include "store/snapshot.hpp"

namespace robur::store {

namespace detail {
struct RepositoryHandle;
}

class BackgroundPacker;

// The packing mode of Repository::commit (see store/pack.hpp). After each commit it checks the
// repository as `git gc --auto` does, and packs when the check calls for it.
enum class AutoPack {
    synchronous, // check and pack before commit() returns; the default, for CLI commands
    background,  // check and pack on a thread of the Repository's own, for servers
    off,
};

// A Git repository, bare or with a work tree, opened through libgit2. Move-only. Calls on one
// Repository and on its Snapshots are serialised by a lock, so they may come from any thread.
// Errors carry Errc::not_found for missing repositories, revisions and paths, Errc::git_error
// with libgit2's message for everything libgit2 reports.
class Repository {
public:
    // Opens the repository at `path`: a work tree (with .git inside) or a Git folder (bare).
    [[nodiscard]] static Result<Repository> open(const std::filesystem::path& path);

    // Finds the repository as git does: `start` and then its parents, stopping at a filesystem
    // boundary and at GIT_CEILING_DIRECTORIES. GIT_DIR, GIT_OBJECT_DIRECTORY and
    // GIT_ALTERNATE_OBJECT_DIRECTORIES are honoured, so this works inside Git hooks.
    [[nodiscard]] static Result<Repository> discover(const std::filesystem::path& start);

    // Creates a repository (and missing parent folders) whose HEAD names the unborn branch
    // `initial_branch`. A bare repository also gets core.logAllRefUpdates=true, so commits
    // made by robur leave reflog entries as they do in a work tree.
    [[nodiscard]] static Result<Repository> init(const std::filesystem::path& path, bool bare,
                                                 const std::string& initial_branch = "main");

    Repository(Repository&&) noexcept;
    Repository& operator=(Repository&&) noexcept;
    Repository(const Repository&) = delete;
    Repository& operator=(const Repository&) = delete;
    ~Repository();

    [[nodiscard]] bool is_bare() const;

    // The work tree's root folder; nullopt for a bare repository.
    [[nodiscard]] std::optional<std::filesystem::path> workdir() const;

    // The Git folder (".git" of a work tree, or the bare repository itself).
    [[nodiscard]] std::filesystem::path git_dir() const;

    // Returns true when the repository has no references at all: no branch, tag or other ref
    // exists yet, as right after `git init`.
    [[nodiscard]] Result<bool> is_empty() const;

    // Returns the branch HEAD names, such as "refs/heads/main", also when it has no commits yet.
    // Errors: invalid_argument when HEAD is detached.
    [[nodiscard]] Result<std::string> head_branch() const;

    // Returns the commit a revision names: anything `git rev-parse REV^{commit}` accepts
    // (HEAD, HEAD~1, a branch, a tag, a full or abbreviated id).
    // Errors: not_found for an unknown or ambiguous revision or one that names no commit.
    [[nodiscard]] Result<ObjectId> resolve(std::string_view revision) const;

    // Returns the commit a branch points to, or nullopt when the branch does not exist (unborn).
    // `branch` is "refs/heads/NAME" or "NAME"; empty means the branch HEAD names.
    [[nodiscard]] Result<std::optional<ObjectId>> branch_head(std::string_view branch = {}) const;

    // Reads the commit `revision` names (empty: HEAD). Errors: not_found for an unknown
    // revision or a branch without commits.
    [[nodiscard]] Result<Snapshot> snapshot(std::string_view revision = {}) const;

    // Makes a commit from the expected head's tree plus `request.changes`. The branch moves to
    // it only if it still points to `request.expected_head`, else the call fails with
    // Errc::conflict and leaves the branch, the index and the work tree alone (a losing call
    // may leave unreachable objects, which `git gc` removes). Returns the new commit's id. When the changes leave
    // the tree as it was, no commit is made and the expected head is returned.
    //
    // When the branch is the one checked out in a work tree, the changed files (and only those)
    // are also written or removed in the work tree and the index. Files under keys/ get mode
    // 0600. Before anything is written, the call fails with Errc::dirty_worktree if a changed
    // path has uncommitted edits in the work tree or the index. The same happens when an
    // untracked file is in the way, or a file or symlink is where a folder belongs. If the work
    // tree update fails after the branch moved, the error is Errc::io_error and its message
    // names the commit.
    //
    // One request may replace a folder by a file when it removes every file below the folder,
    // or a file by a folder when it removes the file.
    //
    // Other errors: invalid_argument for a bad path, mode or branch name, an empty first line
    // of the message, or a request with no changes on a branch without commits. The same code
    // comes for a request that writes both a path and a path below it, or that writes a file
    // where a folder keeps files. not_found for removing a missing file.
    [[nodiscard]] Result<ObjectId> commit(const CommitRequest& request);

    // Lists at most `limit` commits reachable from `revision` (empty: HEAD), newest first,
    // that changed `path`, a file or a folder. An empty path lists every commit. A merge is
    // listed when `path` differs from every parent.
    [[nodiscard]] Result<std::vector<CommitInfo>> log(std::string_view revision = {},
                                                      std::string_view path = {},
                                                      std::size_t limit = 1000) const;

    // Lists the files under `folder` (empty: everywhere) that differ between the commits `from`
    // and `to`, in path order. A nullopt `from` lists every file of `to` as added.
    [[nodiscard]] Result<std::vector<FileDifference>> changed_files(
        const std::optional<ObjectId>& from, const ObjectId& to,
        std::string_view folder = {}) const;

    // Returns the details of one commit. Errors: not_found when no such commit exists.
    [[nodiscard]] Result<CommitInfo> commit_info(const ObjectId& id) const;

    // Returns the first parent of a commit, or nullopt for a root commit.
    [[nodiscard]] Result<std::optional<ObjectId>> parent(const ObjectId& id) const;

    // Returns the identity for new commits as git picks it: GIT_AUTHOR_NAME and
    // GIT_AUTHOR_EMAIL from the environment, else user.name and user.email from the
    // repository's configuration (including the global and system files), else EMAIL.
    // Errors: not_found when the name or the email is unset.
    [[nodiscard]] Result<Signature> default_signature() const;

    // Chooses how commit() packs; call it before the Repository is shared between threads.
    // Packing never fails a commit: its errors are logged on the "git" logger. commit() never
    // packs while GIT_QUARANTINE_PATH or GIT_OBJECT_DIRECTORY is set, as in a pre-receive
    // hook, because new objects may then live outside the repository's objects folder.
    void set_auto_pack(AutoPack mode);

    // Blocks until the background packing that commits have requested is done; returns at
    // once unless the mode is AutoPack::background.
    void wait_for_packing() const;

private:
    explicit Repository(std::shared_ptr<detail::RepositoryHandle> handle);

    // Packs, or requests packing, after a commit as the AutoPack mode sets.
    void pack_after_commit(const std::filesystem::path& git_dir);

    std::shared_ptr<detail::RepositoryHandle> handle_;
    AutoPack auto_pack_ = AutoPack::synchronous;
    std::unique_ptr<BackgroundPacker> packer_; // set in AutoPack::background mode
};

// Normalises a branch argument: "" stays "", "NAME" becomes "refs/heads/NAME", and a name
// starting with "refs/" is kept.
[[nodiscard]] std::string full_branch_name(std::string_view branch);

} // namespace robur::store
