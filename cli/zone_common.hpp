#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/repository.hpp"

namespace robur::cli {

// Each `robur zone` subcommand adds itself to the `zone` command group.
void add_zone_validate_command(CLI::App& zone, Context& context);
void add_zone_import_command(CLI::App& zone, Context& context);
void add_zone_read_commands(CLI::App& zone, Context& context);
void add_zone_diff_command(CLI::App& zone, Context& context);
void add_zone_import_repo_command(CLI::App& zone, Context& context);
void add_zone_ds_command(CLI::App& zone, Context& context);
void add_zone_sign_command(CLI::App& zone, Context& context);


// Parses a zone name given on the command line, with or without the trailing dot.
// Errors: invalid_argument naming the value.
[[nodiscard]] Result<zone::Name> parse_zone_name(std::string_view text);

// One version of the repository's zones: the files of the work tree or those of a commit.
struct ZoneVersion {
    std::string label;                       // "work tree", "HEAD", "HEAD~1", a commit id
    std::optional<store::Snapshot> snapshot; // nullopt: the work tree
    std::optional<std::filesystem::path> workdir;

    // Lists the zone files of this version.
    [[nodiscard]] Result<dns::ZoneFileList> list() const;

    // Reads one listed zone.
    [[nodiscard]] dns::LoadedZone load(const dns::ZoneFile& file) const;

    // Reads the zone with this origin; nullopt when this version has no file for it.
    [[nodiscard]] Result<std::optional<dns::LoadedZone>> find(const zone::Name& origin) const;
};

// The work tree of a repository that has one. Errors: invalid_argument for a bare repository.
[[nodiscard]] Result<ZoneVersion> work_tree_version(const store::Repository& repository);

// The commit a revision names, labelled with the revision as given.
// Errors: not_found naming the revision.
[[nodiscard]] Result<ZoneVersion> commit_version(const store::Repository& repository,
                                                 std::string_view revision);

// Prints each diagnostic as "path:line: severity: message" on stderr.
void print_diagnostics(const std::vector<Diagnostic>& diagnostics);

// Formats one diagnostic as a JSON object {path, line, column, severity, message, zone};
// zone is null when empty.
[[nodiscard]] std::string diagnostic_json(const Diagnostic& diagnostic, std::string_view zone);

// Prints "robur zone SUBCOMMAND: message" on stderr and returns exit_usage.
int usage_error(std::string_view subcommand, std::string_view message);

} // namespace robur::cli
