#include "store/pack.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <git2/sys/odb_backend.h>

#include "core/log.hpp"
#include "store/libgit2.hpp"
#include "store/pack_lock.hpp"

namespace robur::store {

namespace fs = std::filesystem;

namespace {

using OdbPtr = GitPtr<git_odb, git_odb_free>;
using PackBuilderPtr = GitPtr<git_packbuilder, git_packbuilder_free>;

// Loose objects are stored as objects/XX/YYYY..., 2 + 38 hex digits of a SHA-1 object id.
constexpr std::size_t loose_name_length = 38;

// The folder `git gc --auto` samples, so that robur and git estimate alike.
constexpr unsigned count_sample_folder = 0x17;
// The folders objects/10 to objects/1f, a sixteenth of all, whose loose objects' sizes
// estimate the bytes of all loose objects. One folder would see too few large trees.
constexpr unsigned size_sample_first = 0x10;
constexpr unsigned size_sample_folders = 16;

struct LooseObject {
    git_oid id;
    fs::path path;
};

// A repository opened for packing, independent of any Repository object, so that packing
// never holds a Repository's lock.
struct PackTarget {
    RepositoryPtr repo;
    fs::path objects;     // objects/ (shared by linked work trees)
    fs::path pack_folder; // objects/pack/
};

Result<PackTarget> open_target(const fs::path& git_dir)
{
    ensure_libgit2_initialised();
    git_repository* raw = nullptr;
    const int rc = git_repository_open_ext(&raw, git_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                                           nullptr);
    if (rc == GIT_ENOTFOUND) {
        return git_failure(fmt::format("no Git repository at '{}'", git_dir.string()),
                           Errc::not_found);
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot open repository '{}'", git_dir.string()));
    }
    RepositoryPtr repo(raw);

    git_buf buffer = GIT_BUF_INIT;
    if (git_repository_item_path(&buffer, repo.get(), GIT_REPOSITORY_ITEM_OBJECTS) != 0) {
        return git_failure(fmt::format("cannot find the objects folder of '{}'", git_dir.string()));
    }
    const fs::path objects(buffer.ptr);
    git_buf_dispose(&buffer);
    return PackTarget{std::move(repo), objects, objects / "pack"};
}

bool is_hex(std::string_view text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
}

bool is_loose_name(const std::string& name)
{
    return name.size() == loose_name_length && is_hex(name);
}

// The loose objects of one objects/XX folder.
struct LooseTally {
    std::size_t objects = 0;
    std::uintmax_t bytes = 0; // compressed, as stored
};

// Counts the loose objects in one objects/XX folder and their bytes. A missing folder counts
// as empty. A file that vanishes while it is counted adds no bytes.
LooseTally tally_loose(const fs::path& folder)
{
    std::error_code error;
    LooseTally tally;
    for (fs::directory_iterator it(folder, error), end; !error && it != end;
         it.increment(error)) {
        if (!is_loose_name(it->path().filename().string())) {
            continue;
        }
        ++tally.objects;
        std::error_code size_error;
        const auto size = it->file_size(size_error);
        tally.bytes += size_error ? 0 : size;
    }
    return tally;
}

// Lists the .idx files of the packs that packing may merge: those with their .pack and
// without a .keep or .promisor file, which tell git to leave a pack alone.
std::vector<fs::path> list_packs(const fs::path& pack_folder)
{
    std::vector<fs::path> indexes;
    std::error_code error;
    for (fs::directory_iterator it(pack_folder, error), end; !error && it != end;
         it.increment(error)) {
        const fs::path& path = it->path();
        if (path.extension() != ".idx") {
            continue;
        }
        std::error_code ignored;
        auto sibling = [&path](const char* extension) {
            return fs::path(path).replace_extension(extension);
        };
        if (fs::exists(sibling(".pack"), ignored) && !fs::exists(sibling(".keep"), ignored) &&
            !fs::exists(sibling(".promisor"), ignored)) {
            indexes.push_back(path);
        }
    }
    std::sort(indexes.begin(), indexes.end());
    return indexes;
}

Result<std::vector<LooseObject>> list_loose_objects(const fs::path& objects)
{
    std::vector<LooseObject> loose;
    for (unsigned prefix = 0; prefix < 256; ++prefix) {
        const std::string folder_name = fmt::format("{:02x}", prefix);
        const fs::path folder = objects / folder_name;
        std::error_code error;
        fs::directory_iterator it(folder, error);
        if (error == std::errc::no_such_file_or_directory) {
            continue;
        }
        for (fs::directory_iterator end; !error && it != end; it.increment(error)) {
            const std::string name = it->path().filename().string();
            if (!is_loose_name(name)) {
                continue; // tmp_object_* files of a writer that is still busy
            }
            LooseObject object{{}, it->path()};
            git_oid_fromstr(&object.id, (folder_name + name).c_str());
            loose.push_back(std::move(object));
        }
        if (error) {
            return make_error(Errc::io_error, fmt::format("cannot list '{}': {}",
                                                          folder.string(), error.message()));
        }
    }
    return loose;
}

// Opens an object database holding only the pack whose index is `index`.
Result<OdbPtr> open_single_pack(const fs::path& index)
{
    git_odb* raw = nullptr;
    if (git_odb_new(&raw) != 0) {
        return git_failure("cannot create an object database");
    }
    OdbPtr odb(raw);
    git_odb_backend* backend = nullptr;
    if (git_odb_backend_one_pack(&backend, index.c_str()) != 0) {
        return git_failure(fmt::format("cannot open pack index '{}'", index.string()));
    }
    if (git_odb_add_backend(odb.get(), backend, 1) != 0) {
        backend->free(backend);
        return git_failure(fmt::format("cannot open pack index '{}'", index.string()));
    }
    return odb;
}

int collect_id(const git_oid* id, void* payload)
{
    static_cast<std::vector<git_oid>*>(payload)->push_back(*id);
    return 0;
}

Result<void> append_pack_contents(const fs::path& index, std::vector<git_oid>& ids)
{
    auto odb = open_single_pack(index);
    if (!odb) {
        return tl::unexpected(odb.error());
    }
    if (git_odb_foreach(odb->get(), collect_id, &ids) != 0) {
        return git_failure(fmt::format("cannot list the objects of '{}'", index.string()));
    }
    return {};
}

Result<void> sync_path(const fs::path& path, int flags)
{
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) {
        return make_error(Errc::io_error,
                          fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
    }
    const int rc = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    if (rc != 0) {
        return make_error(Errc::io_error,
                          fmt::format("cannot sync '{}': {}", path.string(), std::strerror(saved)));
    }
    return {};
}

// Syncs the new pack, its index and the folder entries naming them, because libgit2 syncs
// only when GIT_OPT_ENABLE_FSYNC_GITDIR is set, and a crash must not leave the repository
// without both the loose objects and a complete pack.
Result<void> sync_pack(const fs::path& pack_folder, const std::string& name)
{
    for (const char* extension : {".pack", ".idx"}) {
        if (auto synced = sync_path(pack_folder / (name + extension), O_RDONLY); !synced) {
            return synced;
        }
    }
    return sync_path(pack_folder, O_RDONLY | O_DIRECTORY);
}

bool was_cancelled(const PackOptions& options)
{
    return options.cancelled && options.cancelled();
}

tl::unexpected<Error> cancelled_error()
{
    return make_error(Errc::io_error, "packing cancelled; the repository is unchanged");
}

// Lets PackOptions::cancelled abort the pack builder and the indexer that writes the pack.
int builder_progress(int /*stage*/, std::uint32_t /*current*/, std::uint32_t /*total*/,
                     void* payload)
{
    return was_cancelled(*static_cast<const PackOptions*>(payload)) ? GIT_EUSER : 0;
}

int indexer_progress(const git_indexer_progress* /*stats*/, void* payload)
{
    return builder_progress(0, 0, 0, payload);
}


// The result of build_pack(): the pack's name ("pack-<hash>") and its objects, sorted.
struct BuiltPack {
    std::string name;
    std::vector<git_oid> ids;
};

bool less_id(const git_oid& a, const git_oid& b)
{
    return git_oid_cmp(&a, &b) < 0;
}

bool equal_id(const git_oid& a, const git_oid& b)
{
    return git_oid_equal(&a, &b) != 0;
}

// Builds one pack of `ids` (sorted) in the pack folder and syncs it. An object that is gone by
// the time it is added is left out; nothing is written when all are gone.
Result<BuiltPack> build_pack(const PackTarget& target, const std::vector<git_oid>& ids,
                             const PackOptions& options)
{
    git_packbuilder* raw = nullptr;
    if (git_packbuilder_new(&raw, target.repo.get()) != 0) {
        return git_failure("cannot create a pack builder");
    }
    const PackBuilderPtr builder(raw);
    git_packbuilder_set_threads(raw, options.threads);
    git_packbuilder_set_callbacks(raw, builder_progress, const_cast<PackOptions*>(&options));

    BuiltPack built;
    for (const auto& id : ids) {
        const int rc = git_packbuilder_insert(raw, &id, nullptr);
        if (rc == GIT_ENOTFOUND) {
            // Removed meanwhile, by `git prune-packed` for example: nothing to keep.
            git_error_clear();
            continue;
        }
        if (rc != 0 && was_cancelled(options)) {
            return cancelled_error();
        }
        if (rc != 0) {
            return git_failure(fmt::format("cannot add object {} to the pack",
                                           to_object_id(id).to_string()));
        }
        built.ids.push_back(id);
    }
    if (built.ids.empty()) {
        return built;
    }

    const int rc = git_packbuilder_write(raw, target.pack_folder.c_str(), 0, indexer_progress,
                                         const_cast<PackOptions*>(&options));
    if (rc != 0 && was_cancelled(options)) {
        return cancelled_error();
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot write a pack into '{}'",
                                       target.pack_folder.string()));
    }
    built.name = fmt::format("pack-{}", git_packbuilder_name(raw));
    if (auto synced = sync_pack(target.pack_folder, built.name); !synced) {
        return tl::unexpected(synced.error());
    }
    return built;
}

// Checks that the written pack, read back through its index, contains every object about to
// be deleted elsewhere.
Result<void> verify_pack(const fs::path& index, const std::vector<git_oid>& ids)
{
    auto odb = open_single_pack(index);
    if (!odb) {
        return tl::unexpected(odb.error());
    }
    for (const auto& id : ids) {
        if (git_odb_exists(odb->get(), &id) != 1) {
            return make_error(Errc::git_error,
                              fmt::format("the new pack '{}' lacks object {}; nothing was deleted",
                                          index.string(), to_object_id(id).to_string()));
        }
    }
    return {};
}

// Removes files, continuing past failures. Returns how many went; the error names the first
// failure.
Result<std::size_t> remove_files(const std::vector<fs::path>& paths)
{
    std::size_t removed = 0;
    std::optional<Error> first_failure;
    for (const auto& path : paths) {
        std::error_code error;
        if (fs::remove(path, error)) {
            ++removed;
        } else if (error && !first_failure) {
            first_failure = Error{Errc::io_error,
                                  fmt::format("cannot remove '{}': {}", path.string(),
                                              error.message()),
                                  {}};
        }
    }
    if (first_failure) {
        return tl::unexpected(*first_failure);
    }
    return removed;
}

// The files of a pack, its .idx last, so that no index outlives its pack.
std::vector<fs::path> pack_files(const fs::path& index)
{
    std::vector<fs::path> files;
    for (const char* extension : {".pack", ".rev", ".bitmap", ".mtimes", ".idx"}) {
        files.push_back(fs::path(index).replace_extension(extension));
    }
    return files;
}

// Packs the loose objects and the objects of `packs` into one new pack, then deletes the
// packs and the loose objects that the new pack holds. Runs under the pack lock.
Result<PackReport> write_and_replace(const PackTarget& target, const std::vector<fs::path>& packs,
                                     const PackOptions& options, const PackLock& lock)
{
    auto loose = list_loose_objects(target.objects);
    if (!loose) {
        return tl::unexpected(loose.error());
    }
    std::vector<git_oid> ids;
    ids.reserve(loose->size());
    for (const auto& object : *loose) {
        ids.push_back(object.id);
    }
    for (const auto& index : packs) {
        if (auto listed = append_pack_contents(index, ids); !listed) {
            return tl::unexpected(listed.error());
        }
    }
    std::sort(ids.begin(), ids.end(), less_id);
    ids.erase(std::unique(ids.begin(), ids.end(), equal_id), ids.end());
    if (ids.empty()) {
        return PackReport{};
    }

    auto built = build_pack(target, ids, options);
    if (!built) {
        return tl::unexpected(built.error());
    }
    if (built->name.empty()) {
        return PackReport{};
    }
    const fs::path new_index = target.pack_folder / (built->name + ".idx");
    if (auto verified = verify_pack(new_index, built->ids); !verified) {
        return tl::unexpected(verified.error());
    }
    lock.refresh();

    PackReport report{built->name, built->ids.size(), 0, 0};
    std::vector<fs::path> doomed;
    for (const auto& index : packs) {
        // Merging a single pack can reproduce it byte for byte, under the same name.
        if (index == new_index) {
            continue;
        }
        auto files = pack_files(index);
        doomed.insert(doomed.end(), files.begin(), files.end());
        ++report.removed_packs;
    }
    for (const auto& object : *loose) {
        // An object left out of the pack may have been written again since; it stays.
        if (std::binary_search(built->ids.begin(), built->ids.end(), object.id, less_id)) {
            doomed.push_back(object.path);
            ++report.removed_loose_objects;
        }
    }
    // NOTE: emptied objects/XX folders stay, because a concurrent writer may have just created
    // one for an object it is about to rename into it.
    if (auto removed = remove_files(doomed); !removed) {
        return tl::unexpected(removed.error());
    }
    return report;
}

Result<PackReport> pack_under_lock(const fs::path& git_dir, const PackOptions& options, bool merge)
{
    const auto started = std::chrono::steady_clock::now();
    auto target = open_target(git_dir);
    if (!target) {
        return tl::unexpected(target.error());
    }
    std::error_code error;
    fs::create_directories(target->pack_folder, error);
    if (error) {
        return make_error(Errc::io_error, fmt::format("cannot create '{}': {}",
                                                      target->pack_folder.string(),
                                                      error.message()));
    }
    if (merge && fs::exists(target->pack_folder / "multi-pack-index", error)) {
        return make_error(Errc::unsupported,
                          fmt::format("'{}' has a multi-pack-index, which robur does not update; "
                                      "run git gc instead",
                                      target->pack_folder.string()));
    }
    // NOTE: `git gc` does not take this lock, so it may run at the same time. That stays safe
    // because each side deletes only objects that its own finished pack contains.
    auto lock = PackLock::acquire(target->pack_folder / pack_lock_name);
    if (!lock) {
        return tl::unexpected(lock.error());
    }

    const std::vector<fs::path> packs = merge ? list_packs(target->pack_folder)
                                              : std::vector<fs::path>();
    auto report = write_and_replace(*target, packs, options, *lock);
    if (!report || report->pack_name.empty()) {
        return report;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    log::get("git")->info("objects packed repository={} pack={} objects={} loose_removed={} "
                          "packs_removed={} time_ms={}",
                          git_dir.string(), report->pack_name, report->packed_objects,
                          report->removed_loose_objects, report->removed_packs, elapsed.count());
    return report;
}

Result<std::int64_t> config_int(git_config* config, const char* name, std::int64_t fallback)
{
    std::int64_t value = 0;
    const int rc = git_config_get_int64(&value, config, name);
    if (rc == GIT_ENOTFOUND) {
        git_error_clear();
        return fallback;
    }
    if (rc != 0) {
        return git_failure(fmt::format("invalid {} in the Git configuration: set an integer, "
                                       "optionally ending in k, m or g",
                                       name),
                           Errc::invalid_argument);
    }
    return value;
}

} // namespace

Result<PackLimits> read_pack_limits(const fs::path& git_dir)
{
    auto target = open_target(git_dir);
    if (!target) {
        return tl::unexpected(target.error());
    }
    git_config* raw = nullptr;
    if (git_repository_config_snapshot(&raw, target->repo.get()) != 0) {
        return git_failure("cannot read the repository's configuration");
    }
    const ConfigPtr config(raw);

    auto loose = config_int(raw, "gc.auto", default_loose_object_limit);
    if (!loose) {
        return tl::unexpected(loose.error());
    }
    auto packs = config_int(raw, "gc.autoPackLimit", default_pack_limit);
    if (!packs) {
        return tl::unexpected(packs.error());
    }
    auto bytes = config_int(raw, "robur.autoPackSize", default_loose_byte_limit);
    if (!bytes) {
        return tl::unexpected(bytes.error());
    }
    return PackLimits{*loose, *packs, *bytes};
}

Result<PackAction> needs_packing(const fs::path& git_dir, const PackLimits& limits)
{
    if (limits.loose_objects <= 0) {
        return PackAction::none;
    }
    auto target = open_target(git_dir);
    if (!target) {
        return tl::unexpected(target.error());
    }

    if (limits.packs > 0 &&
        list_packs(target->pack_folder).size() > static_cast<std::size_t>(limits.packs)) {
        return PackAction::consolidate_packs;
    }

    // As git does: more than ceil(limit / 256) objects in one of the 256 folders.
    const auto per_folder = static_cast<std::size_t>((limits.loose_objects + 255) / 256);
    std::uintmax_t sampled_bytes = 0;
    for (unsigned prefix = size_sample_first; prefix < size_sample_first + size_sample_folders;
         ++prefix) {
        const auto tally = tally_loose(target->objects / fmt::format("{:02x}", prefix));
        if (prefix == count_sample_folder && tally.objects > per_folder) {
            return PackAction::pack_loose_objects;
        }
        sampled_bytes += tally.bytes;
    }
    if (limits.loose_bytes > 0 &&
        sampled_bytes * size_sample_folders > static_cast<std::uintmax_t>(limits.loose_bytes)) {
        return PackAction::pack_loose_objects;
    }
    return PackAction::none;
}

Result<PackReport> pack_loose_objects(const fs::path& git_dir, const PackOptions& options)
{
    return pack_under_lock(git_dir, options, false);
}

Result<PackReport> consolidate_packs(const fs::path& git_dir, const PackOptions& options)
{
    return pack_under_lock(git_dir, options, true);
}

Result<std::optional<PackReport>> pack_if_needed(const fs::path& git_dir,
                                                 const PackOptions& options)
{
    auto limits = read_pack_limits(git_dir);
    if (!limits) {
        return tl::unexpected(limits.error());
    }
    auto action = needs_packing(git_dir, *limits);
    if (!action) {
        return tl::unexpected(action.error());
    }
    if (*action == PackAction::none) {
        return std::optional<PackReport>();
    }

    const bool merge = *action == PackAction::consolidate_packs;
    log::get("git")->info("packing started repository={} action={}", git_dir.string(),
                          merge ? "consolidate_packs" : "pack_loose_objects");
    auto report = pack_under_lock(git_dir, options, merge);
    if (!report && report.error().code == Errc::conflict) {
        log::get("git")->debug("packing skipped repository={} reason=\"{}\"", git_dir.string(),
                               report.error().message);
        return std::optional<PackReport>();
    }
    if (!report) {
        return tl::unexpected(report.error());
    }
    return std::optional<PackReport>(std::move(*report));
}

} // namespace robur::store
