#pragma once

#include <filesystem>
#include <string>

#include "core/unique_fd.hpp"

namespace robur::store {

// Watches the files a branch lives in with inotify: the loose ref, the folders from refs/ down
// to it, and packed-refs in the Git folder. Git updates each by renaming a ".lock" file over
// it, and `git gc` packs or rewrites them, so every such event means the branch may have
// moved. inotify misses changes made on other hosts of a network file system, and a folder
// that does not exist yet cannot be watched, so callers poll the branch as well.
class BranchWatcher {
public:
    // Watches nothing: fd() is -1.
    BranchWatcher() = default;

    // `branch` is a full ref name such as "refs/heads/main". A folder that cannot be watched
    // is logged at debug level on the "git" logger and left to polling.
    BranchWatcher(const std::filesystem::path& git_dir, const std::string& branch);

    // A non-blocking descriptor that becomes readable after a change, -1 when inotify is
    // unavailable.
    [[nodiscard]] int fd() const { return inotify_.get(); }

    // The system's message for why inotify is unavailable; empty when fd() is valid.
    [[nodiscard]] const std::string& error() const { return error_; }

    // Discards the pending events. Call it when fd() is readable, before reading the branch,
    // so that a change made after the read wakes the caller again.
    void drain() const;

private:
    UniqueFd inotify_;
    std::string error_;
};

} // namespace robur::store
