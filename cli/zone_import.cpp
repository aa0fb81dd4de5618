#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/zone_common.hpp"
#include "formats/zone/diff.hpp"
#include "formats/zone/validate.hpp"
#include "formats/zone/writer.hpp"

namespace robur::cli {

namespace {

namespace fs = std::filesystem;

struct ImportArguments {
    std::vector<std::string> files;
    std::string zone;
};

// One zone file ready to be committed.
struct ImportedZone {
    zone::Name origin;
    fs::path source; // the file given on the command line
    std::string repository_path;
    std::string content;
    std::optional<std::uint32_t> serial;
    std::size_t record_count = 0;
};

// Returns the text to commit. A file without $INCLUDE is kept as written, so its comments and
// layout survive. Otherwise the canonical form with the included records in place is
// committed, because the included paths would not resolve inside the repository.
Result<std::string> content_to_commit(const fs::path& file, const dns::LoadedZone& loaded)
{
    if (loaded.files.size() > 1) {
        return zone::format_zone(loaded.result.zone);
    }
    std::FILE* stream = std::fopen(file.c_str(), "rb");
    if (stream == nullptr) {
        return make_error(Errc::io_error, fmt::format("cannot read {}", file.string()));
    }
    std::string text;
    char buffer[65536];
    std::size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof buffer, stream)) > 0) {
        text.append(buffer, count);
    }
    const bool failed = std::ferror(stream) != 0;
    std::fclose(stream);
    if (failed) {
        return make_error(Errc::io_error, fmt::format("cannot read {}", file.string()));
    }
    return text;
}

// Reads and validates one file against the zone's committed version, adding every finding to
// diagnostics. Errors: the file or the committed version cannot be read.
Result<ImportedZone> prepare_zone(const fs::path& file, const zone::Name& origin,
                                  const std::optional<ZoneVersion>& head,
                                  std::vector<Diagnostic>& diagnostics)
{
    auto loaded = dns::load_zone_file(file, origin);
    if (!loaded) {
        return tl::unexpected(loaded.error());
    }
    diagnostics.insert(diagnostics.end(), loaded->result.diagnostics.begin(),
                       loaded->result.diagnostics.end());

    std::optional<dns::LoadedZone> committed;
    if (head) {
        auto found = head->find(origin);
        if (!found) {
            return tl::unexpected(found.error());
        }
        committed = std::move(*found);
    }

    zone::ValidateOptions options;
    if (committed && !zone::diff_zones(committed->result.zone, loaded->result.zone).empty()) {
        options.previous_serial = committed->result.zone.serial();
        options.previous_source = fmt::format("{} (HEAD)", committed->path);
    }
    const auto findings = zone::validate_zone(loaded->result.zone, options);
    diagnostics.insert(diagnostics.end(), findings.begin(), findings.end());

    auto content = content_to_commit(file, *loaded);
    if (!content) {
        return tl::unexpected(content.error());
    }
    return ImportedZone{.origin = origin,
                        .source = file,
                        .repository_path =
                            committed ? committed->path : dns::zone_file_path(origin),
                        .content = std::move(*content),
                        .serial = loaded->result.zone.serial(),
                        .record_count = loaded->result.zone.records.size()};
}

// "Import zone example.com" or "Import zones example.com, example.org", with a body line per
// zone giving its serial and record count.
std::string commit_message(const std::vector<ImportedZone>& zones)
{
    std::vector<std::string> names;
    std::string body;
    for (const auto& imported : zones) {
        std::string name = imported.origin.to_string();
        if (!imported.origin.is_root()) {
            name.pop_back();
        }
        names.push_back(name);
        body += fmt::format("{}: serial {}, {} records\n", imported.origin.to_string(),
                            imported.serial ? std::to_string(*imported.serial) : "none",
                            imported.record_count);
    }
    return fmt::format("Import zone{} {}\n\n{}", zones.size() == 1 ? "" : "s",
                       fmt::join(names, ", "), body);
}

// Reads, validates and prepares every file; nothing is written. Returns the exit code of a
// failure, or the zones to commit.
tl::expected<std::vector<ImportedZone>, int> prepare_all(const ImportArguments& arguments,
                                                         const std::optional<ZoneVersion>& head)
{
    std::vector<ImportedZone> zones;
    std::vector<Diagnostic> diagnostics;
    std::set<zone::Name> seen;
    for (const auto& name : arguments.files) {
        const fs::path file(name);
        auto origin = arguments.zone.empty() ? dns::origin_from_file_name(file)
                                             : parse_zone_name(arguments.zone);
        if (!origin) {
            return tl::unexpected(usage_error("import", origin.error().message));
        }
        if (!seen.insert(*origin).second) {
            return tl::unexpected(
                usage_error("import", fmt::format("zone {} is given twice (again by {})",
                                                  origin->to_string(), name)));
        }
        auto prepared = prepare_zone(file, *origin, head, diagnostics);
        if (!prepared) {
            print_diagnostics(diagnostics);
            return tl::unexpected(report(prepared.error()));
        }
        zones.push_back(std::move(*prepared));
    }

    print_diagnostics(diagnostics);
    if (has_errors(diagnostics)) {
        fmt::print(stderr, "robur: nothing imported: fix the errors above first\n");
        return tl::unexpected(static_cast<int>(exit_failure));
    }
    return zones;
}

// Returns a file given for import that is the very file the import would write in the work
// tree. Committing it would fail on the uncommitted file, and git add already does the job.
std::optional<fs::path> find_in_place(const store::Repository& repository,
                                      const std::vector<ImportedZone>& zones)
{
    const auto workdir = repository.workdir();
    if (!workdir) {
        return std::nullopt;
    }
    for (const auto& imported : zones) {
        std::error_code error;
        if (fs::equivalent(imported.source, *workdir / imported.repository_path, error)) {
            return imported.source;
        }
    }
    return std::nullopt;
}

int run_import(const ImportArguments& arguments, const Context& context)
{
    if (!arguments.zone.empty() && arguments.files.size() != 1) {
        return usage_error("import", "--zone applies to exactly one file");
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return report(head.error());
    }
    std::optional<ZoneVersion> head_version;
    if (*head) {
        auto version = commit_version(*repository, "HEAD");
        if (!version) {
            return report(version.error());
        }
        head_version = std::move(*version);
    }

    auto zones = prepare_all(arguments, head_version);
    if (!zones) {
        return zones.error();
    }
    if (const auto in_place = find_in_place(*repository, *zones)) {
        return report(Error{Errc::invalid_argument,
                            fmt::format("{} is already the zone file in the work tree: commit it "
                                        "with git add and git commit, or import a copy kept "
                                        "outside the repository",
                                        in_place->string()),
                            std::nullopt});
    }
    auto author = repository->default_signature();
    if (!author) {
        return report(Error{
            author.error().code,
            fmt::format("{}; set user.name and user.email with git config", author.error().message),
            std::nullopt});
    }

    store::CommitRequest request{.branch = {},
                                 .expected_head = *head,
                                 .changes = {},
                                 .author = *author,
                                 .committer = std::nullopt,
                                 .message = commit_message(*zones)};
    for (const auto& imported : *zones) {
        request.changes.push_back({imported.repository_path, imported.content, store::mode_file});
    }
    auto commit = repository->commit(request);
    if (!commit) {
        return report(commit.error());
    }
    if (*head && *commit == **head) {
        fmt::print("nothing to commit: the repository already holds these zones as imported\n");
        return exit_ok;
    }
    for (const auto& imported : *zones) {
        fmt::print("imported zone {} as {}\n", imported.origin.to_string(),
                   imported.repository_path);
    }
    fmt::print("commit {}\n", commit->short_string());
    return exit_ok;
}

} // namespace

void add_zone_import_command(CLI::App& zone, Context& context)
{
    auto arguments = std::make_shared<ImportArguments>();
    auto* command = zone.add_subcommand(
        "import", "Validate zone files and commit them as zones/<zone>.zone in one commit");
    command->add_option("file", arguments->files, "Zone file to import")
        ->required()
        ->type_name("FILE");
    command
        ->add_option("--zone", arguments->zone,
                     "Zone name of the one file given (default: the file name without .zone, "
                     ".db or .txt)")
        ->type_name("NAME");
    command->callback(
        [arguments, &context] { context.exit_code = run_import(*arguments, context); });
}

} // namespace robur::cli
