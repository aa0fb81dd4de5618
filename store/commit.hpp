#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/object_id.hpp"

namespace robur::store {

// File modes Git records in trees.
inline constexpr std::uint32_t mode_file = 0100644;
inline constexpr std::uint32_t mode_executable = 0100755;
inline constexpr std::uint32_t mode_symlink = 0120000;
inline constexpr std::uint32_t mode_folder = 0040000;

// A person and a moment, as Git records them for authors and committers.
struct Signature {
    std::string name;
    std::string email;
    // Seconds since the Unix epoch and the offset from UTC in minutes. A commit made with a
    // signature without a time gets the current time.
    std::optional<std::int64_t> time;
    int utc_offset_minutes = 0;
};

// One commit as `git log` shows it.
struct CommitInfo {
    ObjectId id;
    std::vector<ObjectId> parents;
    Signature author;
    Signature committer;
    std::string summary; // first line of the message
    std::string message; // the full message
};

// One file that differs between two commits; a missing id means the file is absent on that
// side. A renamed file shows as one removal and one addition.
struct FileDifference {
    std::string path;
    std::optional<ObjectId> old_id;
    std::optional<ObjectId> new_id;
};

// One file to write or remove in a commit. Paths are relative to the repository root and use
// '/' separators ("zones/example.com.zone").
struct FileChange {
    std::string path;
    std::optional<std::string> content; // nullopt removes the file
    std::uint32_t mode = mode_file;     // mode_file, mode_executable or mode_symlink
};

// A commit to make on a branch, guarded by a compare-and-swap on the branch's previous value.
struct CommitRequest {
    // "refs/heads/NAME" or "NAME"; empty means the branch HEAD names.
    std::string branch;
    // The commit the branch must still point to; nullopt when the branch must not exist yet.
    std::optional<ObjectId> expected_head;
    std::vector<FileChange> changes;
    Signature author;
    std::optional<Signature> committer; // nullopt: the author
    std::string message;
};

} // namespace robur::store
