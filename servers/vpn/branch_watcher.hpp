#pragma once

#include <filesystem>
#include <string>

#include "servers/dns/unique_fd.hpp"

namespace robur::vpn {

// Watches the files a branch lives in with inotify: the loose ref and the folders above it,
// and packed-refs. Git updates each by renaming a ".lock" file over it, and `git gc` rewrites
// them, so every such event means the branch may have moved. inotify misses changes made on
// other hosts of a network file system, so callers poll the branch as well.
class BranchWatcher {
public:
    // `branch` is a full ref name such as "refs/heads/main".
    BranchWatcher(const std::filesystem::path& git_dir, const std::string& branch);

    // A descriptor that becomes readable after a change, -1 when inotify is unavailable.
    [[nodiscard]] int fd() const { return inotify_.get(); }

    // Discards the pending events; call it when fd() is readable, before reading the branch.
    void drain() const;

private:
    dns::UniqueFd inotify_;
};

} // namespace robur::vpn
