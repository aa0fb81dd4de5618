// `robur init [DIR] [--bare]`: creates a data repository with robur's layout and an example
// zone as its first commit.

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/embedded_templates.hpp"
#include "store/repository.hpp"

namespace robur::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view layout_prefix = "init/";
constexpr std::string_view initial_branch = "main";
constexpr std::string_view commit_message = "Initialise robur repository";

struct InitOptions {
    std::string directory; // empty: --repo, else the current folder
    bool bare = false;
};

// The files of a new data repository, from the templates under templates/init/.
std::vector<store::FileChange> layout_files()
{
    std::vector<store::FileChange> files;
    for (const auto& entry : embedded_templates()) {
        if (entry.path.starts_with(layout_prefix)) {
            files.push_back(store::FileChange{
                std::string(entry.path.substr(layout_prefix.size())),
                std::string(entry.content), store::mode_file});
        }
    }
    return files;
}

bool is_empty_folder(const fs::path& path)
{
    std::error_code error;
    return fs::is_directory(path, error) && fs::is_empty(path, error);
}

bool looks_like_git_folder(const fs::path& path)
{
    std::error_code error;
    return fs::is_regular_file(path / "HEAD", error) && fs::is_directory(path / "objects", error);
}

// Checks an existing repository at `path`: it must match --bare and have no references yet.
Result<void> check_existing_repository(const fs::path& path, bool bare)
{
    auto repo = store::Repository::open(path);
    if (!repo) {
        return tl::unexpected<Error>(repo.error());
    }
    if (repo->is_bare() != bare) {
        return make_error(Errc::invalid_argument,
                          bare ? fmt::format("{} contains a repository with a work tree; run "
                                             "robur init without --bare", path.string())
                               : fmt::format("{} is a bare repository; run robur init --bare",
                                             path.string()));
    }
    auto empty = repo->is_empty();
    if (!empty) {
        return tl::unexpected<Error>(empty.error());
    }
    if (!*empty) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{} already contains a Git repository with commits",
                                      path.string()));
    }
    return {};
}

// Checks that no file of the layout, and no non-empty layout folder, is already there.
Result<void> check_no_layout(const fs::path& root, const std::vector<store::FileChange>& files)
{
    for (const auto& file : files) {
        const fs::path path = root / file.path;
        std::error_code error;
        if (fs::exists(fs::symlink_status(path, error))) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{} already exists; robur init needs a folder "
                                          "without a robur layout",
                                          path.string()));
        }
        const fs::path top = root / fs::path(file.path).begin()->string();
        if (top != path && fs::exists(top, error) && !is_empty_folder(top)) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{} already exists and is not empty; robur init "
                                          "needs a folder without a robur layout",
                                          top.string()));
        }
    }
    return {};
}

// Checks everything before anything is written, so a rejected init leaves the folder as it
// was. Returns true when a repository exists already (empty, so it is used as it is).
Result<bool> check_target(const fs::path& target, bool bare,
                          const std::vector<store::FileChange>& files)
{
    std::error_code error;
    if (!fs::exists(target, error)) {
        return false;
    }
    if (!fs::is_directory(target, error)) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{} exists and is not a folder", target.string()));
    }

    if (bare) {
        if (fs::exists(target / ".git", error)) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{} contains a repository with a work tree; run robur "
                                          "init without --bare",
                                          target.string()));
        }
        if (looks_like_git_folder(target)) {
            auto checked = check_existing_repository(target, true);
            return checked.map([] { return true; });
        }
        if (!is_empty_folder(target)) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{} is not empty; a bare repository needs an empty "
                                          "or new folder", target.string()));
        }
        return false;
    }

    if (looks_like_git_folder(target)) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{} is a bare repository; run robur init --bare",
                                      target.string()));
    }
    const bool has_repository = fs::exists(target / ".git", error);
    if (has_repository) {
        if (auto checked = check_existing_repository(target, false); !checked) {
            return tl::unexpected<Error>(checked.error());
        }
    }
    if (auto layout = check_no_layout(target, files); !layout) {
        return tl::unexpected<Error>(layout.error());
    }
    return has_repository;
}

// Removes what a failed init created. When the folder was new, it goes entirely. Otherwise
// the new Git folder and the layout files go, because the checks showed they were absent.
// disarm() keeps everything once the first commit is made.
class InitRollback {
public:
    InitRollback(fs::path target, bool bare, bool target_existed, bool repository_existed,
                 const std::vector<store::FileChange>& files)
    {
        if (!target_existed) {
            paths_.push_back(std::move(target));
            return;
        }
        if (bare) {
            return;
        }
        if (!repository_existed) {
            paths_.push_back(target / ".git");
        }
        for (const auto& file : files) {
            paths_.push_back(target / file.path);
            top_folders_.push_back(target / fs::path(file.path).begin()->string());
        }
    }
    InitRollback(const InitRollback&) = delete;
    InitRollback& operator=(const InitRollback&) = delete;
    ~InitRollback()
    {
        std::error_code error;
        for (const auto& path : paths_) {
            fs::remove_all(path, error);
        }
        for (const auto& folder : top_folders_) {
            if (is_empty_folder(folder)) {
                fs::remove_all(folder, error);
            }
        }
    }

    void disarm()
    {
        paths_.clear();
        top_folders_.clear();
    }

private:
    std::vector<fs::path> paths_;
    std::vector<fs::path> top_folders_;
};

store::Signature initial_author(const store::Repository& repo)
{
    auto signature = repo.default_signature();
    if (signature) {
        return *signature;
    }
    fmt::print(stderr, "robur: user.name and user.email are not set in the Git configuration; "
                       "the first commit is authored by robur <robur@localhost>\n");
    return store::Signature{.name = "robur", .email = "robur@localhost", .time = std::nullopt,
                            .utc_offset_minutes = 0};
}

std::string json_string(std::string_view text)
{
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            quoted += '\\';
            quoted += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            quoted += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
            quoted += c;
        }
    }
    return quoted + "\"";
}

struct InitResult {
    fs::path path;
    std::string branch;
    store::ObjectId commit;
};

void print_result(const InitResult& result, bool bare, bool json)
{
    if (json) {
        fmt::print("{{\"path\": {}, \"bare\": {}, \"branch\": {}, \"commit\": {}}}\n",
                   json_string(result.path.string()), bare ? "true" : "false",
                   json_string(result.branch), json_string(result.commit.to_string()));
        return;
    }
    fmt::print("Initialised {}robur repository in {} (commit {} on {})\n", bare ? "bare " : "",
               result.path.string(), result.commit.short_string(), result.branch);
}

Result<InitResult> initialise(const InitOptions& options)
{
    fs::path target = fs::absolute(options.directory).lexically_normal();
    if (target.filename().empty()) {
        target = target.parent_path(); // "/srv/data/" names the folder "/srv/data"
    }
    const auto files = layout_files();
    if (files.empty()) {
        return make_error(Errc::internal, "this robur binary was built without templates");
    }

    std::error_code error;
    const bool target_existed = fs::exists(target, error);
    auto repository_existed = check_target(target, options.bare, files);
    if (!repository_existed) {
        return tl::unexpected<Error>(repository_existed.error());
    }

    InitRollback rollback(target, options.bare, target_existed, *repository_existed, files);
    auto repo = *repository_existed ? store::Repository::open(target)
                                    : store::Repository::init(target, options.bare,
                                                              std::string(initial_branch));
    if (!repo) {
        return tl::unexpected<Error>(repo.error());
    }
    auto branch = repo->head_branch();
    if (!branch) {
        return tl::unexpected<Error>(branch.error());
    }

    auto commit = repo->commit(store::CommitRequest{.branch = *branch,
                                                    .expected_head = std::nullopt,
                                                    .changes = files,
                                                    .author = initial_author(*repo),
                                                    .committer = std::nullopt,
                                                    .message = std::string(commit_message)});
    if (!commit) {
        return tl::unexpected<Error>(commit.error());
    }
    rollback.disarm();

    const std::string short_branch = branch->substr(std::string_view("refs/heads/").size());
    return InitResult{target, short_branch, *commit};
}

} // namespace

void add_init_command(CLI::App& app, Context& context)
{
    auto options = std::make_shared<InitOptions>();
    CLI::App* command = app.add_subcommand(
        "init", "Create a data repository with robur.conf, zones/ and keys/ as its first commit");
    command->add_option("DIR", options->directory,
                        "Folder of the new repository; created when missing (default: --repo, "
                        "else the current folder)")
        ->type_name("DIR");
    command->add_flag("--bare", options->bare,
                      "Create a bare repository (no work tree), as a server pushes to");

    command->callback([options, &context] {
        if (options->directory.empty()) {
            options->directory = context.repo.empty() ? std::string(".") : context.repo;
        }
        auto result = initialise(*options);
        if (!result) {
            context.exit_code = report(result.error());
            return;
        }
        print_result(*result, options->bare, context.json);
        context.exit_code = exit_ok;
    });
}

} // namespace robur::cli
