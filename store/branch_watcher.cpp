#include "store/branch_watcher.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <system_error>
#include <vector>

#include <sys/inotify.h>
#include <unistd.h>

#include "core/log.hpp"

namespace robur::store {

namespace {

// Git moves a ref by renaming "<ref>.lock" over it, and packed-refs the same way; deleting a
// ref and `git gc` remove or rewrite files. Each of these events wakes the watcher's caller.
constexpr std::uint32_t ref_events =
    IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM;

// The message for errno; std::strerror is not thread-safe.
std::string last_system_error()
{
    return std::error_code(errno, std::system_category()).message();
}

} // namespace

BranchWatcher::BranchWatcher(const std::filesystem::path& git_dir, const std::string& branch)
    : inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC))
{
    if (!inotify_.valid()) {
        error_ = last_system_error();
        return;
    }

    // The Git folder contains packed-refs, and the folders from refs/ down to the ref's own
    // folder contain the loose ref, which `git gc` may pack and a later commit write again.
    std::vector<std::filesystem::path> folders{git_dir};
    std::filesystem::path folder = git_dir;
    for (const auto& component : std::filesystem::path(branch).parent_path()) {
        folder /= component;
        folders.push_back(folder);
    }
    for (const auto& watched : folders) {
        if (::inotify_add_watch(inotify_.get(), watched.c_str(), ref_events) < 0) {
            log::get("git")->debug("inotify watch failed path={} error=\"{}\"", watched.string(),
                                   last_system_error());
        }
    }
}

void BranchWatcher::drain() const
{
    std::array<char, 4096> buffer{};
    while (inotify_.valid() && ::read(inotify_.get(), buffer.data(), buffer.size()) > 0) {
    }
}

} // namespace robur::store
