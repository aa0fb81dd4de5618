#include "store/repository.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "core/log.hpp"
#include "store/background_packer.hpp"
#include "store/libgit2.hpp"
#include "store/pack.hpp"

namespace robur::store {

namespace {

// Opens a repository; a null `start` lets libgit2 take the path from GIT_DIR.
Result<RepositoryPtr> open_ext(const char* start, const std::string& shown_path,
                               unsigned int flags)
{
    ensure_libgit2_initialised();

    git_repository* repo = nullptr;
    const int rc = git_repository_open_ext(&repo, start, flags, nullptr);
    if (rc == GIT_ENOTFOUND) {
        return git_failure(fmt::format("no Git repository at '{}'", shown_path),
                           Errc::not_found);
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot open repository '{}'", shown_path));
    }
    return RepositoryPtr(repo);
}

std::string environment(const char* name)
{
    const char* value = std::getenv(name);
    return value != nullptr ? std::string(value) : std::string();
}

// Reads a string from the repository's configuration snapshot; "" when unset.
std::string config_string(git_config* config, const char* name)
{
    const char* value = nullptr;
    if (git_config_get_string(&value, config, name) != 0 || value == nullptr) {
        return {};
    }
    return value;
}

} // namespace

std::string full_branch_name(std::string_view branch)
{
    if (branch.empty() || branch.starts_with("refs/")) {
        return std::string(branch);
    }
    return fmt::format("refs/heads/{}", branch);
}

Repository::Repository(std::shared_ptr<detail::RepositoryHandle> handle)
    : handle_(std::move(handle))
{
}

Repository::Repository(Repository&&) noexcept = default;
Repository& Repository::operator=(Repository&&) noexcept = default;
Repository::~Repository() = default;

Result<Repository> Repository::open(const std::filesystem::path& path)
{
    auto repo = open_ext(path.c_str(), path.string(), GIT_REPOSITORY_OPEN_NO_SEARCH);
    if (!repo) {
        return tl::unexpected<Error>(repo.error());
    }
    return Repository(std::make_shared<detail::RepositoryHandle>(std::move(*repo)));
}

Result<Repository> Repository::discover(const std::filesystem::path& start)
{
    // GIT_REPOSITORY_OPEN_FROM_ENV reads GIT_CEILING_DIRECTORIES,
    // GIT_DISCOVERY_ACROSS_FILESYSTEM and the object directory variables as git does; without
    // GIT_DISCOVERY_ACROSS_FILESYSTEM the search stops at a filesystem boundary. libgit2 1.5
    // reads GIT_DIR only when it gets no start path, so a set GIT_DIR replaces `start` here.
    const char* git_dir = std::getenv("GIT_DIR");
    auto repo = git_dir != nullptr
                    ? open_ext(nullptr, git_dir, GIT_REPOSITORY_OPEN_FROM_ENV)
                    : open_ext(start.c_str(), start.string(), GIT_REPOSITORY_OPEN_FROM_ENV);
    if (!repo) {
        return tl::unexpected<Error>(repo.error());
    }
    return Repository(std::make_shared<detail::RepositoryHandle>(std::move(*repo)));
}

Result<Repository> Repository::init(const std::filesystem::path& path, bool bare,
                                    const std::string& initial_branch)
{
    ensure_libgit2_initialised();

    git_repository_init_options options;
    git_repository_init_options_init(&options, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    options.flags = GIT_REPOSITORY_INIT_MKPATH;
    if (bare) {
        options.flags |= GIT_REPOSITORY_INIT_BARE;
    }
    options.initial_head = initial_branch.c_str();

    git_repository* raw = nullptr;
    if (git_repository_init_ext(&raw, path.string().c_str(), &options) != 0) {
        return git_failure(fmt::format("cannot create repository '{}'", path.string()));
    }
    RepositoryPtr repo(raw);

    if (bare) {
        git_config* config = nullptr;
        if (git_repository_config(&config, repo.get()) != 0) {
            return git_failure("cannot open the new repository's configuration");
        }
        const ConfigPtr owner(config);
        if (git_config_set_bool(config, "core.logAllRefUpdates", 1) != 0) {
            return git_failure("cannot set core.logAllRefUpdates");
        }
    }
    return Repository(std::make_shared<detail::RepositoryHandle>(std::move(repo)));
}

bool Repository::is_bare() const
{
    std::lock_guard lock(handle_->mutex);
    return git_repository_is_bare(handle_->repo.get()) == 1;
}

std::optional<std::filesystem::path> Repository::workdir() const
{
    std::lock_guard lock(handle_->mutex);
    const char* path = git_repository_workdir(handle_->repo.get());
    if (path == nullptr) {
        return std::nullopt;
    }
    return std::filesystem::path(path);
}

std::filesystem::path Repository::git_dir() const
{
    std::lock_guard lock(handle_->mutex);
    return git_repository_path(handle_->repo.get());
}

Result<bool> Repository::is_empty() const
{
    std::lock_guard lock(handle_->mutex);

    git_reference_iterator* raw = nullptr;
    if (git_reference_iterator_new(&raw, handle_->repo.get()) != 0) {
        return git_failure("cannot list references");
    }
    const std::unique_ptr<git_reference_iterator,
                          GitDeleter<git_reference_iterator, git_reference_iterator_free>>
        iterator(raw);

    const char* name = nullptr;
    const int rc = git_reference_next_name(&name, iterator.get());
    if (rc == GIT_ITEROVER) {
        return true;
    }
    if (rc != 0) {
        return git_failure("cannot list references");
    }
    return false;
}

Result<std::string> Repository::head_branch() const
{
    std::lock_guard lock(handle_->mutex);

    git_reference* head = nullptr;
    if (git_reference_lookup(&head, handle_->repo.get(), "HEAD") != 0) {
        return git_failure("cannot read HEAD");
    }
    const ReferencePtr owner(head);
    const char* target = git_reference_symbolic_target(head);
    if (target == nullptr) {
        const git_oid* id = git_reference_target(head);
        return make_error(Errc::invalid_argument,
                          fmt::format("HEAD is detached at {}; name a branch",
                                      id != nullptr ? to_object_id(*id).short_string() : "?"));
    }
    return std::string(target);
}

Result<ObjectId> Repository::resolve(std::string_view revision) const
{
    std::lock_guard lock(handle_->mutex);
    auto commit = resolve_commit(handle_->repo.get(), revision);
    if (!commit) {
        return tl::unexpected<Error>(commit.error());
    }
    return to_object_id(*git_commit_id(commit->get()));
}

Result<std::optional<ObjectId>> Repository::branch_head(std::string_view branch) const
{
    std::string name = full_branch_name(branch);
    if (name.empty()) {
        auto head = head_branch();
        if (!head) {
            return tl::unexpected<Error>(head.error());
        }
        name = std::move(*head);
    }

    std::lock_guard lock(handle_->mutex);
    int valid = 0;
    if (git_reference_name_is_valid(&valid, name.c_str()) != 0 || valid == 0) {
        return make_error(Errc::invalid_argument, fmt::format("invalid branch name '{}'", name));
    }

    git_oid oid{};
    const int rc = git_reference_name_to_id(&oid, handle_->repo.get(), name.c_str());
    if (rc == GIT_ENOTFOUND) {
        return std::optional<ObjectId>();
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot read branch {}", name));
    }
    return std::optional<ObjectId>(to_object_id(oid));
}

Result<Snapshot> Repository::snapshot(std::string_view revision) const
{
    std::lock_guard lock(handle_->mutex);
    auto commit = resolve_commit(handle_->repo.get(), revision);
    if (!commit) {
        return tl::unexpected<Error>(commit.error());
    }
    return Snapshot(handle_, to_object_id(*git_commit_id(commit->get())),
                    to_object_id(*git_commit_tree_id(commit->get())));
}

Result<Signature> Repository::default_signature() const
{
    Signature signature;
    signature.name = environment("GIT_AUTHOR_NAME");
    signature.email = environment("GIT_AUTHOR_EMAIL");
    if (signature.name.empty() || signature.email.empty()) {
        std::lock_guard lock(handle_->mutex);
        git_config* config = nullptr;
        if (git_repository_config_snapshot(&config, handle_->repo.get()) != 0) {
            return git_failure("cannot read the repository's configuration");
        }
        const ConfigPtr owner(config);
        if (signature.name.empty()) {
            signature.name = config_string(config, "user.name");
        }
        if (signature.email.empty()) {
            signature.email = config_string(config, "user.email");
        }
    }
    if (signature.email.empty()) {
        signature.email = environment("EMAIL");
    }

    if (signature.name.empty() || signature.email.empty()) {
        return make_error(Errc::not_found,
                          "author identity unknown: set it with git config user.name "
                          "\"Your Name\" and git config user.email you@example.com");
    }
    return signature;
}

void Repository::set_auto_pack(AutoPack mode)
{
    auto_pack_ = mode;
    if (mode != AutoPack::background) {
        packer_.reset();
    } else if (!packer_) {
        packer_ = std::make_unique<BackgroundPacker>(git_dir());
    }
}

void Repository::wait_for_packing() const
{
    if (packer_) {
        packer_->wait_until_idle();
    }
}

void Repository::pack_after_commit(const std::filesystem::path& git_dir)
{
    if (auto_pack_ == AutoPack::off || std::getenv("GIT_QUARANTINE_PATH") != nullptr ||
        std::getenv("GIT_OBJECT_DIRECTORY") != nullptr) {
        return;
    }
    if (packer_) {
        packer_->schedule();
        return;
    }
    auto report = pack_if_needed(git_dir);
    if (!report) {
        log::get("git")->warn("packing failed repository={} error=\"{}\"", git_dir.string(),
                              report.error().message);
    }
}

} // namespace robur::store
