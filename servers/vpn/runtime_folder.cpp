#include "servers/vpn/runtime_folder.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "servers/vpn/vpn_check.hpp"

namespace robur::vpn {

namespace fs = std::filesystem;

namespace {

constexpr mode_t folder_mode = 0700;
constexpr mode_t file_mode = 0600;
constexpr mode_t executable_mode = 0700; // scripts that up, tls-verify and the like run

std::string system_error_message(int error)
{
    return std::error_code(error, std::system_category()).message();
}

Error io_error(std::string_view action, const fs::path& path, int error)
{
    return Error{Errc::io_error,
                 fmt::format("cannot {} {}: {}", action, path.string(),
                             system_error_message(error)),
                 std::nullopt};
}

// Creates the missing folders of `path` with mode 0700; existing folders keep their mode.
Result<void> create_private_folders(const fs::path& path)
{
    fs::path current;
    for (const auto& component : path) {
        current /= component;
        if (::mkdir(current.c_str(), folder_mode) != 0 && errno != EEXIST) {
            return tl::unexpected(io_error("create", current, errno));
        }
    }
    return {};
}

Result<void> set_owner(const fs::path& path, const std::optional<FileOwner>& owner)
{
    if (!owner || ::geteuid() != 0) {
        return {};
    }
    if (::lchown(path.c_str(), owner->uid, owner->gid) != 0) {
        return tl::unexpected(io_error("change the owner of", path, errno));
    }
    return {};
}

Result<void> write_private_file(const fs::path& path, std::string_view content,
                                const std::optional<FileOwner>& owner, mode_t mode = file_mode)
{
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        return tl::unexpected(io_error("create", path, errno));
    }
    std::size_t written = 0;
    while (written < content.size()) {
        const auto count = ::write(fd, content.data() + written, content.size() - written);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            const int error = errno;
            ::close(fd);
            return tl::unexpected(io_error("write", path, error));
        }
        written += static_cast<std::size_t>(count);
    }
    if (::close(fd) != 0) {
        return tl::unexpected(io_error("write", path, errno));
    }
    return set_owner(path, owner);
}

// Writes every file under vpn/<name>/ into `folder`, keeping the relative paths.
Result<void> write_commit_files(const store::Snapshot& snapshot, std::string_view name,
                                const fs::path& folder, const std::optional<FileOwner>& owner,
                                std::vector<std::string>& skipped)
{
    const auto prefix = vpn_folder(name) + "/";
    auto entries = snapshot.list(vpn_folder(name), true);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    for (const auto& entry : *entries) {
        if (entry.mode == store::mode_symlink) {
            skipped.push_back(entry.path);
            continue;
        }
        const fs::path relative = entry.path.substr(prefix.size());
        fs::path parent = folder;
        for (const auto& component : relative.parent_path()) {
            parent /= component;
            if (::mkdir(parent.c_str(), folder_mode) != 0 && errno != EEXIST) {
                return tl::unexpected(io_error("create", parent, errno));
            }
            if (auto owned = set_owner(parent, owner); !owned) {
                return owned;
            }
        }
        auto content = snapshot.read(entry.path);
        if (!content) {
            return tl::unexpected(content.error());
        }
        const auto mode = entry.mode == store::mode_executable ? executable_mode : file_mode;
        if (auto written = write_private_file(folder / relative, *content, owner, mode);
            !written) {
            return written;
        }
    }
    return {};
}

std::string prepared_prefix(const fs::path& runtime)
{
    return fmt::format(".{}.new-", runtime.filename().string());
}

} // namespace

Result<fs::path> default_runtime_folder(std::string_view name)
{
    if (const char* systemd = std::getenv("RUNTIME_DIRECTORY"); systemd && *systemd) {
        // systemd separates several RuntimeDirectory= folders by colons; the first is ours.
        const std::string_view folders(systemd);
        return fs::path(folders.substr(0, folders.find(':'))) / name;
    }
    if (::geteuid() == 0) {
        return fs::path("/run/robur/vpn") / name;
    }
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg) {
        return fs::path(xdg) / "robur" / "vpn" / name;
    }
    return make_error(Errc::not_found, "no runtime folder: XDG_RUNTIME_DIR is not set; pass "
                                       "--runtime-dir DIR");
}

Result<std::optional<FileOwner>> resolve_owner(const std::string& user, const std::string& group)
{
    if (user.empty() && group.empty()) {
        return std::optional<FileOwner>{};
    }
    FileOwner owner{::geteuid(), ::getegid()};
    std::vector<char> buffer(16384);
    if (!user.empty()) {
        passwd entry{};
        passwd* found = nullptr;
        if (::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
            found == nullptr) {
            return make_error(Errc::not_found, fmt::format("user {} not found", user));
        }
        owner.uid = found->pw_uid;
        owner.gid = found->pw_gid;
    }
    if (!group.empty()) {
        struct group entry{};
        struct group* found = nullptr;
        if (::getgrnam_r(group.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
            found == nullptr) {
            return make_error(Errc::not_found, fmt::format("group {} not found", group));
        }
        owner.gid = found->gr_gid;
    }
    return std::optional<FileOwner>{owner};
}

Result<fs::path> prepare_runtime_folder(const store::Snapshot& snapshot, std::string_view name,
                                        std::string_view served_config, const fs::path& runtime,
                                        const std::optional<FileOwner>& owner,
                                        std::vector<std::string>& skipped)
{
    if (auto created = create_private_folders(runtime.parent_path()); !created) {
        return tl::unexpected(created.error());
    }
    auto pattern = (runtime.parent_path() / (prepared_prefix(runtime) + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        return tl::unexpected(io_error("create a folder next to", runtime, errno));
    }
    const fs::path prepared = pattern;

    auto written = set_owner(prepared, owner);
    if (written) {
        written = write_commit_files(snapshot, name, prepared, owner, skipped);
    }
    if (written) {
        // The served config replaces a committed file of the same name.
        std::error_code ignored;
        fs::remove(prepared / served_config_name, ignored);
        written = write_private_file(prepared / served_config_name, served_config, owner);
    }
    if (!written) {
        std::error_code ignored;
        fs::remove_all(prepared, ignored);
        return tl::unexpected(written.error());
    }
    return prepared;
}

Result<void> install_runtime_folder(const fs::path& prepared, const fs::path& runtime)
{
    std::error_code ignored;
    if (::renameat2(AT_FDCWD, prepared.c_str(), AT_FDCWD, runtime.c_str(), RENAME_EXCHANGE) ==
        0) {
        // The prepared path now contains the previous runtime folder.
        fs::remove_all(prepared, ignored);
        return {};
    }
    if (errno == ENOENT && ::rename(prepared.c_str(), runtime.c_str()) == 0) {
        return {};
    }
    const int error = errno;
    fs::remove_all(prepared, ignored);
    return tl::unexpected(io_error("install the runtime folder", runtime, error));
}

void remove_runtime_folder(const fs::path& runtime)
{
    std::error_code ignored;
    fs::remove_all(runtime, ignored);

    const auto prefix = prepared_prefix(runtime);
    for (const auto& entry : fs::directory_iterator(runtime.parent_path(), ignored)) {
        if (entry.path().filename().string().starts_with(prefix)) {
            fs::remove_all(entry.path(), ignored);
        }
    }
}

} // namespace robur::vpn
