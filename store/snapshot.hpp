#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/commit.hpp"
#include "store/object_id.hpp"

namespace robur::store {

namespace detail {
struct RepositoryHandle;
}

// One entry of a tree listing. `path` is relative to the repository root.
struct Entry {
    std::string path;
    ObjectId id;                 // blob id of a file, tree id of a folder
    std::uint32_t mode = 0;      // mode_file, mode_executable, mode_symlink or mode_folder

    [[nodiscard]] bool is_folder() const { return mode == mode_folder; }
};

// The files of one commit, read from the object database: reading never touches the work tree
// or the index. A Snapshot is immutable and cheap to copy; copies may be used from several
// threads at once because every call takes the repository's lock. It keeps the repository
// open for as long as it lives.
class Snapshot {
public:
    Snapshot(std::shared_ptr<detail::RepositoryHandle> handle, ObjectId commit_id,
             ObjectId tree_id);

    [[nodiscard]] const ObjectId& commit_id() const { return commit_id_; }
    [[nodiscard]] const ObjectId& tree_id() const { return tree_id_; }

    // Lists the entries of `folder` ("" is the root) in Git's tree order. Without `recursive`
    // this returns files and folders directly inside; with it, every file below (no folders).
    // Errors: not_found when the folder does not exist, invalid_argument when it is a file.
    [[nodiscard]] Result<std::vector<Entry>> list(std::string_view folder,
                                                  bool recursive = false) const;

    // Returns the content of the file at `path` (a symlink's target for a symlink).
    // Errors: not_found when there is no such file, invalid_argument when it is a folder.
    [[nodiscard]] Result<std::string> read(std::string_view path) const;

    // Returns the blob id of the file at `path`, or nullopt when it is missing or a folder.
    [[nodiscard]] std::optional<ObjectId> blob_id(std::string_view path) const;

    // Returns true when a file or folder exists at `path`.
    [[nodiscard]] bool exists(std::string_view path) const;

private:
    std::shared_ptr<detail::RepositoryHandle> handle_;
    ObjectId commit_id_;
    ObjectId tree_id_;
};

} // namespace robur::store
