// `robur zone import-repo`: moves a repository in the flat layout of dns-primary-git (zone
// files named by their zone at the root, `_keys` files beside them) to robur's layout in one
// commit: zones/<zone>.zone and keys/<file>.

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/zone_common.hpp"
#include "formats/zone/validate.hpp"
#include "formats/zone/writer.hpp"
#include "servers/dns/key_store.hpp"

namespace robur::cli {

namespace {

struct ImportRepoArguments {
    std::string source;
    std::string revision = "HEAD";
};

// One file to write into the target repository, and where it came from.
struct MovedFile {
    std::string from;
    std::string to;
    std::string content;
};

// Reads the zones of the source commit, validates them and returns the files to write; every
// fault goes to diagnostics.
Result<std::vector<MovedFile>> collect_zones(const store::Snapshot& source,
                                             std::vector<Diagnostic>& diagnostics)
{
    auto listing = dns::list_zone_files(source);
    if (!listing) {
        return tl::unexpected(listing.error());
    }
    diagnostics.insert(diagnostics.end(), listing->diagnostics.begin(),
                       listing->diagnostics.end());
    std::vector<MovedFile> files;
    for (const auto& file : listing->files) {
        auto loaded = dns::load_zone_at(source, file);
        diagnostics.insert(diagnostics.end(), loaded.result.diagnostics.begin(),
                           loaded.result.diagnostics.end());
        const auto findings = zone::validate_zone(loaded.result.zone, {});
        diagnostics.insert(diagnostics.end(), findings.begin(), findings.end());

        // A zone that includes other files is written whole, because its relative $INCLUDE
        // paths would resolve from zones/ after the move.
        std::string content;
        if (loaded.files.size() > 1) {
            content = zone::format_zone(loaded.result.zone);
        } else {
            auto text = source.read(file.path);
            if (!text) {
                return tl::unexpected(text.error());
            }
            content = std::move(*text);
        }
        files.push_back({file.path, dns::zone_file_path(file.origin), std::move(content)});
    }
    return files;
}

Result<std::vector<MovedFile>> collect_keys(const store::Snapshot& source,
                                            std::vector<Diagnostic>& diagnostics)
{
    auto keys = dns::load_repository_keys(source);
    if (!keys) {
        return tl::unexpected(keys.error());
    }
    diagnostics.insert(diagnostics.end(), keys->diagnostics.begin(), keys->diagnostics.end());
    std::vector<MovedFile> files;
    for (const auto& path : keys->files) {
        if (path.find('/') != std::string::npos) {
            continue; // already under keys/
        }
        auto text = source.read(path);
        if (!text) {
            return tl::unexpected(text.error());
        }
        files.push_back({path, fmt::format("{}/{}", dns::keys_folder, path), std::move(*text)});
    }
    return files;
}

int run_import_repo(const ImportRepoArguments& arguments, const Context& context)
{
    auto source_repository = store::Repository::open(arguments.source);
    if (!source_repository) {
        return report(source_repository.error());
    }
    auto source = source_repository->snapshot(arguments.revision);
    if (!source) {
        return report(source.error());
    }
    if (source->exists(dns::zones_folder)) {
        return usage_error("import-repo",
                           fmt::format("{} already has a {}/ folder: it is in robur's layout, "
                                       "so pull or merge it instead",
                                       arguments.source, dns::zones_folder));
    }

    std::vector<Diagnostic> diagnostics;
    auto zones = collect_zones(*source, diagnostics);
    if (!zones) {
        return report(zones.error());
    }
    auto keys = collect_keys(*source, diagnostics);
    if (!keys) {
        return report(keys.error());
    }
    print_diagnostics(diagnostics);
    if (has_errors(diagnostics)) {
        fmt::print(stderr, "robur: nothing imported: fix the errors above in {} first\n",
                   arguments.source);
        return exit_failure;
    }
    if (zones->empty()) {
        return report(Error{Errc::not_found,
                            fmt::format("no zone files at the root of {} at {}", arguments.source,
                                        arguments.revision),
                            std::nullopt});
    }

    auto target = open_repository(context);
    if (!target) {
        return report(target.error());
    }
    auto head = target->branch_head();
    if (!head) {
        return report(head.error());
    }
    std::optional<store::Snapshot> target_head;
    if (*head) {
        auto snapshot = target->snapshot((*head)->to_string());
        if (!snapshot) {
            return report(snapshot.error());
        }
        target_head = std::move(*snapshot);
    }

    std::vector<MovedFile> moved = std::move(*zones);
    moved.insert(moved.end(), keys->begin(), keys->end());
    store::CommitRequest request;
    request.expected_head = *head;
    for (const auto& file : moved) {
        if (target_head && target_head->exists(file.to)) {
            return report(Error{Errc::conflict,
                                fmt::format("{} already exists in the repository: remove it "
                                            "first or import into a new repository",
                                            file.to),
                                std::nullopt});
        }
        request.changes.push_back({file.to, file.content, store::mode_file});
    }

    auto author = target->default_signature();
    if (!author) {
        return report(Error{
            author.error().code,
            fmt::format("{}; set user.name and user.email with git config", author.error().message),
            std::nullopt});
    }
    request.author = *author;
    request.message = fmt::format("Import {} zones from {} at {}\n\n", zones->size(),
                                  arguments.source, source->commit_id().short_string());
    for (const auto& file : moved) {
        request.message += fmt::format("{} -> {}\n", file.from, file.to);
    }
    auto commit = target->commit(request);
    if (!commit) {
        return report(commit.error());
    }
    for (const auto& file : moved) {
        fmt::print("imported {} as {}\n", file.from, file.to);
    }
    fmt::print("commit {}\n", commit->short_string());
    return exit_ok;
}

} // namespace

void add_zone_import_repo_command(CLI::App& zone, Context& context)
{
    auto arguments = std::make_shared<ImportRepoArguments>();
    auto* command = zone.add_subcommand(
        "import-repo", "Import a dns-primary-git repository (zone files and _keys files at its "
                       "root) as zones/ and keys/ in one commit");
    command->add_option("source", arguments->source, "The repository to import from")
        ->required()
        ->type_name("PATH");
    command->add_option("--rev", arguments->revision, "Commit of the source to import")
        ->type_name("REV")
        ->capture_default_str();
    command->callback(
        [&context, arguments] { context.exit_code = run_import_repo(*arguments, context); });
}

} // namespace robur::cli
