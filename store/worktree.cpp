#include "store/worktree.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "store/commit.hpp"
#include "store/libgit2.hpp"
#include "store/path.hpp"

namespace robur::store {

namespace fs = std::filesystem;

namespace {

// Names the state that keeps a path from being overwritten, or nullopt when it is clean.
std::optional<std::string> describe_status(unsigned int flags)
{
    if (flags == GIT_STATUS_CURRENT) {
        return std::nullopt;
    }
    if ((flags & GIT_STATUS_CONFLICTED) != 0) {
        return "in a merge conflict";
    }
    if ((flags & GIT_STATUS_IGNORED) != 0) {
        return "ignored";
    }
    if (flags == GIT_STATUS_WT_NEW) {
        return "untracked";
    }
    const unsigned int staged = GIT_STATUS_INDEX_NEW | GIT_STATUS_INDEX_MODIFIED |
                                GIT_STATUS_INDEX_DELETED | GIT_STATUS_INDEX_RENAMED |
                                GIT_STATUS_INDEX_TYPECHANGE;
    if ((flags & staged) != 0) {
        return "staged";
    }
    return "modified in the work tree";
}

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor()
    {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    [[nodiscard]] int get() const { return fd_; }

    // Closes now so that a failing close is reported.
    [[nodiscard]] bool close()
    {
        const int fd = fd_;
        fd_ = -1;
        return ::close(fd) == 0;
    }

private:
    int fd_;
};

Error errno_error(std::string_view what, const fs::path& path)
{
    return Error{Errc::io_error, fmt::format("{} '{}': {}", what, path.string(),
                                             std::strerror(errno)), {}};
}

// Writes `content` to a temporary file beside `target` and renames it into place, so readers
// see the old file or the new one, never a part.
Result<void> write_file_atomically(const fs::path& target, const std::string& content,
                                   mode_t mode)
{
    const fs::path temporary = target.parent_path() / (".robur-" + target.filename().string());
    FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (fd.get() < 0) {
        return tl::unexpected<Error>(errno_error("cannot create", temporary));
    }
    // The umask applies to open(); private files get exactly 0600 whatever the umask is.
    if (mode == 0600 && ::fchmod(fd.get(), mode) != 0) {
        return tl::unexpected<Error>(errno_error("cannot set the mode of", temporary));
    }

    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const Error error = errno_error("cannot write", temporary);
            ::unlink(temporary.c_str());
            return tl::unexpected<Error>(error);
        }
        written += static_cast<std::size_t>(n);
    }
    if (!fd.close() || ::rename(temporary.c_str(), target.c_str()) != 0) {
        const Error error = errno_error("cannot write", target);
        ::unlink(temporary.c_str());
        return tl::unexpected<Error>(error);
    }
    return {};
}

Result<void> write_symlink(const fs::path& target, const std::string& link_target)
{
    std::error_code error;
    fs::remove(target, error);
    if (::symlink(link_target.c_str(), target.c_str()) != 0) {
        return tl::unexpected<Error>(errno_error("cannot create symlink", target));
    }
    return {};
}

mode_t file_mode_for(const CheckedChange& change)
{
    if (is_private_path(change.path)) {
        return 0600;
    }
    return change.mode == mode_executable ? 0777 : 0666;
}

Result<void> write_change(const fs::path& workdir, const CheckedChange& change)
{
    const fs::path target = workdir / change.path;
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    if (error) {
        return make_error(Errc::io_error, fmt::format("cannot create folder '{}': {}",
                                                      target.parent_path().string(),
                                                      error.message()));
    }
    if (change.mode == mode_symlink) {
        return write_symlink(target, *change.content);
    }
    return write_file_atomically(target, *change.content, file_mode_for(change));
}

// Removes a file and then each parent folder it leaves empty, up to the work tree's root.
Result<void> remove_change(const fs::path& workdir, const CheckedChange& change)
{
    const fs::path target = workdir / change.path;
    if (::unlink(target.c_str()) != 0 && errno != ENOENT) {
        return tl::unexpected<Error>(errno_error("cannot remove", target));
    }

    fs::path folder = target.parent_path();
    const fs::path root = workdir.lexically_normal();
    while (folder.lexically_normal() != root && ::rmdir(folder.c_str()) == 0) {
        folder = folder.parent_path();
    }
    return {};
}

// Names a file or symlink in the work tree where a folder above `path` must be. Writing
// through a symlinked folder could put the file outside the work tree, so git does not either.
std::optional<std::string> find_blocked_folder(const fs::path& workdir, const std::string& path)
{
    for (std::size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
        const std::string folder = path.substr(0, slash);
        std::error_code error;
        const fs::file_status status = fs::symlink_status(workdir / folder, error);
        if (status.type() == fs::file_type::not_found) {
            return std::nullopt;
        }
        if (status.type() != fs::file_type::directory) {
            return folder;
        }
    }
    return std::nullopt;
}

bool is_removed(const std::vector<CheckedChange>& changes, const std::string& path)
{
    return std::ranges::any_of(changes, [&](const CheckedChange& change) {
        return !change.content && change.path == path;
    });
}

// Returns true when every file in the work tree folder `folder` is removed by `changes`, so
// the folder is gone before a file is written in its place.
bool emptied_by_removals(const fs::path& workdir, const std::string& folder,
                         const std::vector<CheckedChange>& changes)
{
    std::error_code error;
    fs::recursive_directory_iterator entry(workdir / folder, error);
    for (; !error && entry != fs::recursive_directory_iterator(); entry.increment(error)) {
        if (entry->symlink_status(error).type() == fs::file_type::directory) {
            continue;
        }
        const auto path = entry->path().lexically_relative(workdir).generic_string();
        if (!is_removed(changes, path)) {
            return false;
        }
    }
    return !error;
}

} // namespace

Result<void> check_paths_clean(git_repository* repo, const std::vector<CheckedChange>& changes)
{
    const char* workdir = git_repository_workdir(repo);
    std::vector<std::string> faults;
    for (const auto& change : changes) {
        if (workdir != nullptr) {
            if (auto blocked = find_blocked_folder(workdir, change.path)) {
                // A file that the same commit removes makes way for the folder.
                if (change.content && is_removed(changes, *blocked)) {
                    continue;
                }
                faults.push_back(fmt::format("{} (the work tree has a file or symlink at {})",
                                             change.path, *blocked));
                continue;
            }
        }

        unsigned int flags = 0;
        const int rc = git_status_file(&flags, repo, change.path.c_str());
        if (rc == GIT_ENOTFOUND) {
            continue;
        }
        if (rc == GIT_EAMBIGUOUS) {
            if (change.content && workdir != nullptr &&
                emptied_by_removals(workdir, change.path, changes)) {
                continue;
            }
            faults.push_back(fmt::format("{} (a folder in the work tree)", change.path));
            continue;
        }
        if (rc != 0) {
            return git_failure(fmt::format("cannot read the status of '{}'", change.path));
        }
        if (auto reason = describe_status(flags)) {
            faults.push_back(fmt::format("{} ({})", change.path, *reason));
        }
    }

    if (faults.empty()) {
        return {};
    }
    return make_error(Errc::dirty_worktree,
                      fmt::format("uncommitted changes would be overwritten: {}; commit, stash "
                                  "or remove them first",
                                  fmt::join(faults, ", ")));
}

Result<void> apply_to_worktree(git_repository* repo, const std::vector<CheckedChange>& changes)
{
    const char* workdir_text = git_repository_workdir(repo);
    if (workdir_text == nullptr) {
        return {};
    }
    const fs::path workdir(workdir_text);

    git_index* raw_index = nullptr;
    if (git_repository_index(&raw_index, repo) != 0) {
        return git_failure("cannot open the index");
    }
    const IndexPtr index(raw_index);
    if (git_index_read(index.get(), 1) != 0) {
        return git_failure("cannot read the index");
    }

    for (const auto& change : changes) {
        auto written = change.content ? write_change(workdir, change)
                                      : remove_change(workdir, change);
        if (!written) {
            return written;
        }
        const int rc = change.content ? git_index_add_bypath(index.get(), change.path.c_str())
                                      : git_index_remove_bypath(index.get(), change.path.c_str());
        if (rc != 0) {
            return git_failure(fmt::format("cannot update the index entry of '{}'", change.path));
        }
    }

    if (git_index_write(index.get()) != 0) {
        return git_failure("cannot write the index");
    }
    return {};
}

} // namespace robur::store
