#pragma once

// Automatic packing of a repository's objects, as `git gc --auto` does it but without pruning.
// Loose objects go into a new pack file built by libgit2's pack builder, which stores
// successive versions of a large tree as small deltas. Too many packs are merged into one.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace robur::store {

// git's defaults for gc.auto and gc.autoPackLimit (git-config(1)).
inline constexpr std::int64_t default_loose_object_limit = 6700;
inline constexpr std::int64_t default_pack_limit = 50;
// robur's default for robur.autoPackSize. Each commit to a folder of 10,000 files writes a
// tree of about 260 KB compressed, so git's object count alone would let about 1,100 such
// commits, 440 MB, pile up before a pack.
inline constexpr std::int64_t default_loose_byte_limit = std::int64_t{32} << 20;

// The thresholds of automatic packing, read from the repository's Git configuration.
struct PackLimits {
    // gc.auto: pack the loose objects when there are more than about this many. A value of 0
    // or below disables automatic packing altogether, the pack limit included, as in git.
    std::int64_t loose_objects = default_loose_object_limit;
    // gc.autoPackLimit: merge the packs into one when there are more than this many packs
    // without a .keep file. A value of 0 or below disables the merge.
    std::int64_t packs = default_pack_limit;
    // robur.autoPackSize: pack the loose objects also when they take more than about this many
    // bytes on disk. A value of 0 or below turns this rule off.
    std::int64_t loose_bytes = default_loose_byte_limit;
};

// The packing a repository needs: none, its loose objects packed, or its packs merged into
// one together with the loose objects.
enum class PackAction { none, pack_loose_objects, consolidate_packs };

struct PackOptions {
    // Threads of libgit2's pack builder for the delta search; 0 means one per CPU.
    unsigned threads = 0;
    // Polled while the pack is built and written; returning true aborts the pack and leaves
    // the repository as it was. Empty: never aborts.
    std::function<bool()> cancelled;
};

// The outcome of one packing run.
struct PackReport {
    std::string pack_name;               // "pack-<hash>"; empty when nothing needed packing
    std::size_t packed_objects = 0;      // objects in the new pack
    std::size_t removed_loose_objects = 0;
    std::size_t removed_packs = 0;
};

// Name of the lock file that robur processes take, inside objects/pack, while they pack.
inline constexpr const char* pack_lock_name = "robur-pack.lock";

// Reads gc.auto, gc.autoPackLimit and robur.autoPackSize from the configuration of the
// repository whose Git folder is `git_dir`, including the global and system files. Unset values
// keep the defaults; sizes may end in k, m or g. Errors: not_found for a missing repository,
// invalid_argument for a value that is not an integer.
[[nodiscard]] Result<PackLimits> read_pack_limits(const std::filesystem::path& git_dir);

// Decides, as `git gc --auto` does, whether the repository needs packing. The loose objects
// are estimated from objects/17 alone: more than ceil(limits.loose_objects / 256) objects
// there means packing. So do loose objects in objects/10 to objects/1f taking more than
// limits.loose_bytes / 16 bytes. More than limits.packs packs without a .keep file means a
// merge. Reads seventeen folders and no object. Errors: not_found for a missing repository.
[[nodiscard]] Result<PackAction> needs_packing(const std::filesystem::path& git_dir,
                                               const PackLimits& limits);

// Writes every loose object, reachable or not, into one new pack with its .idx in
// objects/pack, then deletes the loose objects that the new pack holds. Nothing is deleted
// before the pack and its index are renamed into place and synced to disk. Errors: conflict
// while another process holds the pack lock, git_error when libgit2 fails, io_error when a
// file cannot be synced or removed or when options.cancelled aborted the run.
[[nodiscard]] Result<PackReport> pack_loose_objects(const std::filesystem::path& git_dir,
                                                    const PackOptions& options = {});

// Writes one pack holding every object of the packs without a .keep file plus every loose
// object, then deletes those packs and loose objects. Unreachable objects are kept, because a
// concurrent writer may have written objects whose commit is not on a branch yet; `git gc`
// prunes them. Errors as for pack_loose_objects.
[[nodiscard]] Result<PackReport> consolidate_packs(const std::filesystem::path& git_dir,
                                                   const PackOptions& options = {});

// Reads the limits, then packs or consolidates when needs_packing() returns an action. Returns
// nullopt when no action was needed or another process holds the pack lock. Errors as above.
[[nodiscard]] Result<std::optional<PackReport>> pack_if_needed(
    const std::filesystem::path& git_dir, const PackOptions& options = {});

} // namespace robur::store
