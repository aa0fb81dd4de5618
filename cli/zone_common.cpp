#include "cli/zone_common.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace fs = std::filesystem;

Result<zone::Name> parse_zone_name(std::string_view text)
{
    if (text.empty()) {
        return make_error(Errc::invalid_argument, "empty zone name");
    }
    const std::string absolute = text.back() == '.' ? std::string(text) : fmt::format("{}.", text);
    auto name = zone::Name::parse(absolute);
    if (!name) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid zone name {}: {}", text, name.error().message));
    }
    return *name;
}

Result<dns::ZoneFileList> ZoneVersion::list() const
{
    if (snapshot) {
        return dns::list_zone_files(*snapshot);
    }
    return dns::list_zone_files(*workdir);
}

dns::LoadedZone ZoneVersion::load(const dns::ZoneFile& file) const
{
    if (snapshot) {
        return dns::load_zone_at(*snapshot, file, workdir);
    }
    return dns::load_zone_at(*workdir, file);
}

Result<std::optional<dns::LoadedZone>> ZoneVersion::find(const zone::Name& origin) const
{
    auto files = list();
    if (!files) {
        return tl::unexpected(files.error());
    }
    for (const auto& file : files->files) {
        if (file.origin == origin) {
            return std::optional<dns::LoadedZone>(load(file));
        }
    }
    return std::optional<dns::LoadedZone>();
}

Result<ZoneVersion> work_tree_version(const store::Repository& repository)
{
    const auto workdir = repository.workdir();
    if (!workdir) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{} is a bare repository and has no work tree",
                                      repository.git_dir().string()));
    }
    return ZoneVersion{.label = "work tree", .snapshot = std::nullopt, .workdir = workdir};
}

Result<ZoneVersion> commit_version(const store::Repository& repository, std::string_view revision)
{
    auto snapshot = repository.snapshot(revision);
    if (!snapshot) {
        return make_error(snapshot.error().code, fmt::format("unknown revision {}: {}", revision,
                                                             snapshot.error().message));
    }
    return ZoneVersion{.label = std::string(revision),
                       .snapshot = std::move(*snapshot),
                       .workdir = repository.workdir()};
}

void print_diagnostics(const std::vector<Diagnostic>& diagnostics)
{
    for (const auto& diagnostic : diagnostics) {
        fmt::print(stderr, "{}\n", diagnostic.to_string());
    }
}

std::string diagnostic_json(const Diagnostic& diagnostic, std::string_view zone)
{
    return fmt::format(
        R"({{"path": {}, "line": {}, "column": {}, "severity": {}, "message": {}, "zone": {}}})",
        zone::json_quote(diagnostic.where.path), diagnostic.where.line, diagnostic.where.column,
        zone::json_quote(to_string(diagnostic.severity)), zone::json_quote(diagnostic.message),
        zone.empty() ? std::string("null") : zone::json_quote(zone));
}

int usage_error(std::string_view subcommand, std::string_view message)
{
    fmt::print(stderr, "robur zone {}: {}\n", subcommand, message);
    return exit_usage;
}

} // namespace robur::cli
