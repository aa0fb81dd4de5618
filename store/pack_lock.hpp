#pragma once

// Internal to the store library: the lock file that keeps two robur processes from packing
// the same repository at once.

#include <chrono>
#include <filesystem>

#include "core/error.hpp"

namespace robur::store {

// A lock file created with O_CREAT | O_EXCL and removed by the destructor. Move-only.
class PackLock {
public:
    // A lock file whose modification time is older than this belongs to a process that died
    // while packing, so another process may take it over.
    static constexpr std::chrono::hours stale_after{1};

    // Creates the lock file at `path`, containing the process id and host name. A stale lock
    // file is removed first. Errors: conflict while another process holds the lock, io_error
    // when the file cannot be created.
    [[nodiscard]] static Result<PackLock> acquire(const std::filesystem::path& path);

    PackLock(PackLock&& other) noexcept;
    PackLock& operator=(PackLock&& other) noexcept;
    PackLock(const PackLock&) = delete;
    PackLock& operator=(const PackLock&) = delete;
    ~PackLock();

    // Sets the lock file's modification time to now, so that a long run is not taken for a
    // dead one. Failures are ignored: the worst outcome is a takeover after stale_after.
    void refresh() const;

private:
    explicit PackLock(std::filesystem::path path) : path_(std::move(path)) {}

    std::filesystem::path path_; // empty once moved from
};

} // namespace robur::store
