#include "servers/vpn/branch_watcher.hpp"

#include <array>
#include <cstdint>
#include <vector>

#include <sys/inotify.h>
#include <unistd.h>

namespace robur::vpn {

namespace {

constexpr std::uint32_t ref_events =
    IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM;

} // namespace

BranchWatcher::BranchWatcher(const std::filesystem::path& git_dir, const std::string& branch)
    : inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC))
{
    if (!inotify_.valid()) {
        return;
    }
    std::vector<std::filesystem::path> folders{git_dir};
    std::filesystem::path folder = git_dir;
    for (const auto& component : std::filesystem::path(branch).parent_path()) {
        folder /= component;
        folders.push_back(folder);
    }
    for (const auto& watched : folders) {
        // A folder that does not exist yet is covered by polling.
        ::inotify_add_watch(inotify_.get(), watched.c_str(), ref_events);
    }
}

void BranchWatcher::drain() const
{
    std::array<char, 4096> buffer{};
    while (inotify_.valid() && ::read(inotify_.get(), buffer.data(), buffer.size()) > 0) {
    }
}

} // namespace robur::vpn
