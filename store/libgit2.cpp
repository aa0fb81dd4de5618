#include "store/libgit2.hpp"

#include <cstddef>

#include <fmt/format.h>

namespace robur::store {

void ensure_libgit2_initialised()
{
    // libgit2 stays initialised until the process exits, because a shutdown at exit could run
    // while a static Repository still owns a handle.
    static const int initialised = [] {
        const int result = git_libgit2_init();
        // libgit2 caches only trees up to 4 KiB by default, so every read from a calendar or
        // zone folder with thousands of files parsed the folder's tree again. Trees up to
        // 16 MiB stay in the object cache instead.
        constexpr std::size_t max_cached_tree = 16 * 1024 * 1024;
        git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, max_cached_tree);
        return result;
    }();
    (void)initialised;
}

tl::unexpected<Error> git_failure(std::string_view what, Errc code)
{
    const git_error* last = git_error_last();
    if (last == nullptr || last->message == nullptr) {
        return make_error(code, std::string(what));
    }
    return make_error(code, fmt::format("{}: {}", what, last->message));
}

ObjectId to_object_id(const git_oid& oid)
{
    std::array<std::uint8_t, ObjectId::size> bytes{};
    static_assert(sizeof(oid.id) == ObjectId::size);
    std::copy(std::begin(oid.id), std::end(oid.id), bytes.begin());
    return ObjectId(bytes);
}

git_oid to_git_oid(const ObjectId& id)
{
    git_oid oid{};
    std::copy(id.bytes().begin(), id.bytes().end(), std::begin(oid.id));
    return oid;
}

Signature to_signature(const git_signature& signature)
{
    return Signature{
        .name = signature.name != nullptr ? signature.name : "",
        .email = signature.email != nullptr ? signature.email : "",
        .time = static_cast<std::int64_t>(signature.when.time),
        .utc_offset_minutes = signature.when.offset,
    };
}

Result<SignaturePtr> to_git_signature(const Signature& signature)
{
    git_signature* raw = nullptr;
    int rc = 0;
    if (signature.time) {
        rc = git_signature_new(&raw, signature.name.c_str(), signature.email.c_str(),
                               static_cast<git_time_t>(*signature.time),
                               signature.utc_offset_minutes);
    } else {
        rc = git_signature_now(&raw, signature.name.c_str(), signature.email.c_str());
    }
    if (rc != 0) {
        return git_failure(fmt::format("invalid signature '{} <{}>'", signature.name,
                                       signature.email),
                           Errc::invalid_argument);
    }
    return SignaturePtr(raw);
}

Result<TreePtr> lookup_tree(git_repository* repo, const ObjectId& tree_id)
{
    const git_oid oid = to_git_oid(tree_id);
    git_tree* tree = nullptr;
    if (git_tree_lookup(&tree, repo, &oid) != 0) {
        return git_failure(fmt::format("cannot read tree {}", tree_id.short_string()));
    }
    return TreePtr(tree);
}

namespace {

// Explains why HEAD resolves to nothing when it names a branch without commits.
std::optional<Error> unborn_head_error(git_repository* repo)
{
    if (git_repository_head_unborn(repo) != 1) {
        return std::nullopt;
    }
    git_reference* head = nullptr;
    std::string branch = "HEAD";
    if (git_reference_lookup(&head, repo, "HEAD") == 0) {
        const ReferencePtr owner(head);
        if (const char* target = git_reference_symbolic_target(head)) {
            branch = target;
        }
    }
    return Error{Errc::not_found, fmt::format("branch {} has no commits yet", branch), {}};
}

} // namespace

Result<CommitPtr> resolve_commit(git_repository* repo, std::string_view revision)
{
    const std::string spec = revision.empty() ? std::string("HEAD") : std::string(revision);
    if (spec == "HEAD") {
        if (auto unborn = unborn_head_error(repo)) {
            return tl::unexpected<Error>(std::move(*unborn));
        }
    }

    git_object* object = nullptr;
    const int rc = git_revparse_single(&object, repo, spec.c_str());
    if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC) {
        return git_failure(fmt::format("unknown revision '{}'", spec), Errc::not_found);
    }
    if (rc != 0) {
        return git_failure(fmt::format("cannot resolve revision '{}'", spec));
    }
    const ObjectPtr named(object);

    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, named.get(), GIT_OBJECT_COMMIT) != 0) {
        return make_error(Errc::not_found,
                          fmt::format("revision '{}' does not name a commit", spec));
    }
    const ObjectPtr peeled_owner(peeled);

    git_commit* commit = nullptr;
    if (git_commit_lookup(&commit, repo, git_object_id(peeled)) != 0) {
        return git_failure(fmt::format("cannot read commit of revision '{}'", spec));
    }
    return CommitPtr(commit);
}

} // namespace robur::store
