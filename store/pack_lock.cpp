#include "store/pack_lock.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/log.hpp"
#include "core/unique_fd.hpp"

namespace robur::store {

namespace {

std::string lock_owner()
{
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) {
        host[0] = '\0';
    }
    return fmt::format("{} {}\n", ::getpid(), host.data());
}

bool same_file(const struct stat& a, const struct stat& b)
{
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Removes the lock file at `path` when it is stale. Returns true when the caller may try to
// create the lock again. Two processes that find the same stale file serialise on flock() and
// compare inodes, so the second one never removes the lock the first one has just created.
bool remove_if_stale(const std::filesystem::path& path)
{
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        return errno == ENOENT;
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        return false;
    }

    struct stat opened {};
    struct stat current {};
    if (::fstat(fd.get(), &opened) != 0) {
        return false;
    }
    if (::stat(path.c_str(), &current) != 0) {
        return errno == ENOENT;
    }
    if (!same_file(opened, current)) {
        return false;
    }
    const auto age = std::chrono::seconds(std::time(nullptr) - opened.st_mtime);
    if (age < PackLock::stale_after) {
        return false;
    }

    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return false;
    }
    log::get("git")->warn("stale pack lock removed path={} age_s={}", path.string(), age.count());
    return true;
}

} // namespace

Result<PackLock> PackLock::acquire(const std::filesystem::path& path)
{
    const std::string owner = lock_owner();
    for (int attempt = 0; attempt < 2; ++attempt) {
        const UniqueFd fd(
            ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (fd.get() >= 0) {
            // The content only helps a person find the owner, so a short write is harmless.
            [[maybe_unused]] const auto written = ::write(fd.get(), owner.data(), owner.size());
            return PackLock(path);
        }
        if (errno != EEXIST) {
            return make_error(Errc::io_error, fmt::format("cannot create lock file '{}': {}",
                                                          path.string(), std::strerror(errno)));
        }
        if (attempt == 0 && !remove_if_stale(path)) {
            break;
        }
    }
    return make_error(Errc::conflict,
                      fmt::format("another process is packing objects: '{}' exists", path.string()));
}

PackLock::PackLock(PackLock&& other) noexcept : path_(std::exchange(other.path_, {})) {}

PackLock& PackLock::operator=(PackLock&& other) noexcept
{
    if (this != &other) {
        if (!path_.empty()) {
            ::unlink(path_.c_str());
        }
        path_ = std::exchange(other.path_, {});
    }
    return *this;
}

PackLock::~PackLock()
{
    if (!path_.empty()) {
        ::unlink(path_.c_str());
    }
}

void PackLock::refresh() const
{
    if (!path_.empty()) {
        ::utimensat(AT_FDCWD, path_.c_str(), nullptr, 0);
    }
}

} // namespace robur::store
