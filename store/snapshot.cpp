#include "store/snapshot.hpp"

#include <new>

#include <fmt/format.h>

#include "store/libgit2.hpp"
#include "store/path.hpp"

namespace robur::store {

namespace {

std::string join_path(std::string_view folder, std::string_view name)
{
    if (folder.empty()) {
        return std::string(name);
    }
    return fmt::format("{}/{}", folder, name);
}

// Returns the entry at `path`, or an empty pointer when the path does not exist.
Result<TreeEntryPtr> find_entry(git_tree* root, const std::string& path)
{
    git_tree_entry* entry = nullptr;
    const int rc = git_tree_entry_bypath(&entry, root, path.c_str());
    if (rc == GIT_ENOTFOUND) {
        return TreeEntryPtr();
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot look up '{}'", path));
    }
    return TreeEntryPtr(entry);
}

Entry to_entry(std::string path, const git_tree_entry* entry)
{
    return Entry{
        .path = std::move(path),
        .id = to_object_id(*git_tree_entry_id(entry)),
        .mode = static_cast<std::uint32_t>(git_tree_entry_filemode_raw(entry)),
    };
}

struct WalkState {
    std::string_view prefix;
    std::vector<Entry>* entries;
};

int collect_blob(const char* root, const git_tree_entry* entry, void* payload)
{
    auto* state = static_cast<WalkState*>(payload);
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
        return 0;
    }
    // `root` is "" for the listed folder itself and "sub/folder/" below it.
    std::string path(state->prefix);
    if (!path.empty()) {
        path += '/';
    }
    path += root;
    path += git_tree_entry_name(entry);
    try {
        state->entries->push_back(to_entry(std::move(path), entry));
    } catch (const std::bad_alloc&) {
        // An exception must not unwind through libgit2's C frames; a negative value stops the walk.
        return -1;
    }
    return 0;
}

// Resolves `folder` to its tree: the root for "", else the subtree at that path.
Result<TreePtr> open_folder(git_repository* repo, git_tree* root, const std::string& folder,
                            const ObjectId& commit_id)
{
    if (folder.empty()) {
        return lookup_tree(repo, to_object_id(*git_tree_id(root)));
    }

    auto entry = find_entry(root, folder);
    if (!entry) {
        return tl::unexpected<Error>(entry.error());
    }
    if (!*entry) {
        return make_error(Errc::not_found, fmt::format("folder '{}' not found in commit {}",
                                                       folder, commit_id.short_string()));
    }
    if (git_tree_entry_type(entry->get()) != GIT_OBJECT_TREE) {
        return make_error(Errc::invalid_argument, fmt::format("'{}' is a file, not a folder",
                                                              folder));
    }
    return lookup_tree(repo, to_object_id(*git_tree_entry_id(entry->get())));
}

} // namespace

Snapshot::Snapshot(std::shared_ptr<detail::RepositoryHandle> handle, ObjectId commit_id,
                   ObjectId tree_id)
    : handle_(std::move(handle)), commit_id_(commit_id), tree_id_(tree_id)
{
}

Result<std::vector<Entry>> Snapshot::list(std::string_view folder, bool recursive) const
{
    auto checked = check_repository_path(folder, true);
    if (!checked) {
        return tl::unexpected<Error>(checked.error());
    }

    std::lock_guard lock(handle_->mutex);
    git_repository* repo = handle_->repo.get();
    auto root = lookup_tree(repo, tree_id_);
    if (!root) {
        return tl::unexpected<Error>(root.error());
    }
    auto tree = open_folder(repo, root->get(), *checked, commit_id_);
    if (!tree) {
        return tl::unexpected<Error>(tree.error());
    }

    std::vector<Entry> entries;
    if (recursive) {
        WalkState state{*checked, &entries};
        if (git_tree_walk(tree->get(), GIT_TREEWALK_PRE, collect_blob, &state) != 0) {
            return git_failure(fmt::format("cannot list folder '{}'", *checked));
        }
        return entries;
    }

    const std::size_t count = git_tree_entrycount(tree->get());
    for (std::size_t i = 0; i < count; ++i) {
        const git_tree_entry* entry = git_tree_entry_byindex(tree->get(), i);
        const git_object_t type = git_tree_entry_type(entry);
        // Submodule entries name commits of other repositories; robur data contains none.
        if (type == GIT_OBJECT_BLOB || type == GIT_OBJECT_TREE) {
            entries.push_back(to_entry(join_path(*checked, git_tree_entry_name(entry)), entry));
        }
    }
    return entries;
}

Result<std::string> Snapshot::read(std::string_view path) const
{
    auto checked = check_repository_path(path);
    if (!checked) {
        return tl::unexpected<Error>(checked.error());
    }

    std::lock_guard lock(handle_->mutex);
    git_repository* repo = handle_->repo.get();
    auto root = lookup_tree(repo, tree_id_);
    if (!root) {
        return tl::unexpected<Error>(root.error());
    }
    auto entry = find_entry(root->get(), *checked);
    if (!entry) {
        return tl::unexpected<Error>(entry.error());
    }
    if (!*entry) {
        return make_error(Errc::not_found, fmt::format("'{}' not found in commit {}", *checked,
                                                       commit_id_.short_string()));
    }
    if (git_tree_entry_type(entry->get()) != GIT_OBJECT_BLOB) {
        return make_error(Errc::invalid_argument, fmt::format("'{}' is not a file", *checked));
    }

    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry->get())) != 0) {
        return git_failure(fmt::format("cannot read '{}'", *checked));
    }
    const BlobPtr owner(blob);
    const auto* data = static_cast<const char*>(git_blob_rawcontent(blob));
    return std::string(data, static_cast<std::size_t>(git_blob_rawsize(blob)));
}

std::optional<ObjectId> Snapshot::blob_id(std::string_view path) const
{
    auto checked = check_repository_path(path);
    if (!checked) {
        return std::nullopt;
    }

    std::lock_guard lock(handle_->mutex);
    auto root = lookup_tree(handle_->repo.get(), tree_id_);
    if (!root) {
        return std::nullopt;
    }
    auto entry = find_entry(root->get(), *checked);
    if (!entry || !*entry || git_tree_entry_type(entry->get()) != GIT_OBJECT_BLOB) {
        return std::nullopt;
    }
    return to_object_id(*git_tree_entry_id(entry->get()));
}

bool Snapshot::exists(std::string_view path) const
{
    auto checked = check_repository_path(path, true);
    if (!checked) {
        return false;
    }
    if (checked->empty()) {
        return true;
    }

    std::lock_guard lock(handle_->mutex);
    auto root = lookup_tree(handle_->repo.get(), tree_id_);
    if (!root) {
        return false;
    }
    auto entry = find_entry(root->get(), *checked);
    return entry && *entry;
}

} // namespace robur::store
