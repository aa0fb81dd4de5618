#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/embedded_templates.hpp"

namespace robur::cli {

namespace {

namespace fs = std::filesystem;

// Hooks that `robur hooks install` writes, by their name under the Git folder's hooks/.
constexpr std::string_view hook_names[] = {"pre-receive", "post-receive"};

// Text every hook robur writes contains, so that reinstalling may replace it.
constexpr std::string_view robur_marker = "installed by `robur hooks install`";

// Returns the absolute path of the running robur binary, which the hooks call.
Result<std::string> robur_path()
{
    std::error_code error;
    const auto path = fs::read_symlink("/proc/self/exe", error);
    if (error) {
        return make_error(Errc::io_error,
                          fmt::format("cannot find the robur binary: {}", error.message()));
    }
    return path.string();
}

std::string replace_all(std::string text, std::string_view from, std::string_view to)
{
    for (auto position = text.find(from); position != std::string::npos;
         position = text.find(from, position + to.size())) {
        text.replace(position, from.size(), to);
    }
    return text;
}

std::string read_text(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Rejects a hook that exists and was not written by robur, unless force is set.
Result<void> check_replaceable(const fs::path& path, bool force)
{
    std::error_code error;
    if (force || !fs::exists(path, error)) {
        return {};
    }
    if (read_text(path).find(robur_marker) != std::string::npos) {
        return {};
    }
    return make_error(Errc::conflict,
                      fmt::format("{} exists and was not installed by robur; move it away or "
                                  "pass --force to replace it",
                                  path.string()));
}

Result<void> write_hook(const fs::path& path, const std::string& text)
{
    const fs::path temporary = path.string() + ".robur-new";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            return make_error(Errc::io_error, fmt::format("cannot write {}", temporary.string()));
        }
    }
    std::error_code error;
    fs::permissions(temporary, fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec,
                    error);
    if (!error) {
        fs::rename(temporary, path, error);
    }
    if (error) {
        fs::remove(temporary, error);
        return make_error(Errc::io_error, fmt::format("cannot install {}", path.string()));
    }
    return {};
}

int install_hooks(const Context& context, const std::string& directory, bool force)
{
    Context target = context;
    if (!directory.empty()) {
        target.repo = directory;
    }
    auto repository = open_repository(target);
    if (!repository) {
        return report(repository.error());
    }
    auto robur = robur_path();
    if (!robur) {
        return report(robur.error());
    }

    const fs::path hooks_dir = repository->git_dir() / "hooks";
    std::error_code error;
    fs::create_directories(hooks_dir, error);
    if (error) {
        return report(Error{Errc::io_error,
                            fmt::format("cannot create {}: {}", hooks_dir.string(), error.message()),
                            std::nullopt});
    }

    // Every hook is checked before any is written, so a rejected install changes nothing.
    for (const auto name : hook_names) {
        if (auto replaceable = check_replaceable(hooks_dir / name, force); !replaceable) {
            return report(replaceable.error());
        }
    }
    for (const auto name : hook_names) {
        const auto text = find_template(fmt::format("hooks/{}", name));
        if (!text) {
            return report(Error{Errc::internal,
                                fmt::format("hook {} is missing from this build", name),
                                std::nullopt});
        }
        const auto path = hooks_dir / name;
        if (auto written = write_hook(path, replace_all(std::string(*text), "@ROBUR@", *robur));
            !written) {
            return report(written.error());
        }
        fmt::print("installed {}\n", path.string());
    }
    return exit_ok;
}

} // namespace

void add_hooks_commands(CLI::App& app, Context& context)
{
    auto* hooks = app.add_subcommand(
        "hooks", "Manage the Git hooks that validate pushes and announce them by NOTIFY");
    hooks->require_subcommand(1);

    struct Options {
        std::string directory;
        bool force = false;
    };
    auto options = std::make_shared<Options>();
    auto* install = hooks->add_subcommand(
        "install", "Install a pre-receive hook that rejects pushes with invalid zones or VPN "
                   "configs and a "
                   "post-receive hook that sends NOTIFY for the zones a push changed");
    install->add_option("REPO", options->directory,
                        "Repository to install into (default: --repo, or the one found from the "
                        "current folder)");
    install->add_flag("--force", options->force,
                      "Replace hooks that robur did not install");
    install->callback([&context, options] {
        context.exit_code = install_hooks(context, options->directory, options->force);
    });
}

} // namespace robur::cli
