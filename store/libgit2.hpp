#pragma once

// Internal to the store library: libgit2 handles, conversions and error reporting. Nothing
// outside store/ includes this header, so libgit2 stays a private dependency.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <git2.h>

#include "core/error.hpp"
#include "store/commit.hpp"
#include "store/object_id.hpp"

namespace robur::store {

// Calls git_libgit2_init() once per process; every entry point into libgit2 calls this first.
void ensure_libgit2_initialised();

// Builds an error from libgit2's last error, which must be read right after the failing call:
// "<what>: <libgit2 message>".
tl::unexpected<Error> git_failure(std::string_view what, Errc code = Errc::git_error);

template <typename T, void (*Free)(T*)>
struct GitDeleter {
    void operator()(T* object) const { Free(object); }
};

template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepositoryPtr = GitPtr<git_repository, git_repository_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using ConfigPtr = GitPtr<git_config, git_config_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using SignaturePtr = GitPtr<git_signature, git_signature_free>;
using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using TreeBuilderPtr = GitPtr<git_treebuilder, git_treebuilder_free>;

namespace detail {

// The libgit2 repository shared by a Repository and its Snapshots. libgit2 does not allow one
// git_repository to be used by two threads at once, so every use locks `mutex`.
struct RepositoryHandle {
    explicit RepositoryHandle(RepositoryPtr repository) : repo(std::move(repository)) {}

    std::mutex mutex;
    RepositoryPtr repo;
};

} // namespace detail

[[nodiscard]] ObjectId to_object_id(const git_oid& oid);
[[nodiscard]] git_oid to_git_oid(const ObjectId& id);

// Converts a libgit2 signature; the caller keeps ownership of `signature`.
[[nodiscard]] Signature to_signature(const git_signature& signature);

// Creates a libgit2 signature; a signature without a time gets the current time.
[[nodiscard]] Result<SignaturePtr> to_git_signature(const Signature& signature);

// Looks up the tree of a commit, or the tree with id `tree_id`.
[[nodiscard]] Result<TreePtr> lookup_tree(git_repository* repo, const ObjectId& tree_id);

// Resolves a revision to a commit without taking the lock; see Repository::resolve.
[[nodiscard]] Result<CommitPtr> resolve_commit(git_repository* repo, std::string_view revision);

} // namespace robur::store
