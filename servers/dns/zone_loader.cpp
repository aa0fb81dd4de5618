#include "servers/dns/zone_loader.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "store/commit.hpp"

namespace robur::dns {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view zone_suffix = ".zone";
constexpr std::string_view root_zone_stem = "root";

// The origin of a zone's files: a commit or a folder on disk. Paths handed to read are
// relative to the root, '/'-separated and normalised.
struct FileSource {
    std::function<Result<std::string>(const std::string& relative)> read;
    std::string display_prefix;        // prepended to a relative path in diagnostics
    std::optional<fs::path> disk_root; // absolute; absolute $INCLUDE paths must lie below it
    std::string root_description;      // "the repository", "the folder zones-dir"

    [[nodiscard]] std::string display(const std::string& relative) const
    {
        return display_prefix + relative;
    }
};

// Joins base_folder and a relative target and removes "." and ".." components.
// Errors: invalid_argument when ".." climbs above the root.
Result<std::string> join_relative(std::string_view base_folder, std::string_view target,
                                  const FileSource& source)
{
    std::vector<std::string> parts;
    const std::string joined =
        base_folder.empty() ? std::string(target) : fmt::format("{}/{}", base_folder, target);
    std::size_t start = 0;
    while (start <= joined.size()) {
        const std::size_t end = std::min(joined.find('/', start), joined.size());
        const std::string_view part = std::string_view(joined).substr(start, end - start);
        start = end + 1;
        if (part.empty() || part == ".") {
            continue;
        }
        if (part == "..") {
            if (parts.empty()) {
                return make_error(Errc::invalid_argument,
                                  fmt::format("{} leaves {}", target, source.root_description));
            }
            parts.pop_back();
            continue;
        }
        parts.emplace_back(part);
    }
    if (parts.empty()) {
        return make_error(Errc::invalid_argument, fmt::format("{} names no file", target));
    }
    return fmt::format("{}", fmt::join(parts, "/"));
}

// Maps the target of an $INCLUDE to a path relative to the source's root.
Result<std::string> resolve_include(const FileSource& source, std::string_view including_path,
                                    std::string_view target)
{
    if (target.empty()) {
        return make_error(Errc::invalid_argument, "no file name given");
    }
    if (target.front() != '/') {
        std::string_view including = including_path;
        if (including.substr(0, source.display_prefix.size()) == source.display_prefix) {
            including.remove_prefix(source.display_prefix.size());
        }
        const std::size_t slash = including.rfind('/');
        const std::string_view folder =
            slash == std::string_view::npos ? std::string_view() : including.substr(0, slash);
        return join_relative(folder, target, source);
    }

    if (!source.disk_root) {
        return make_error(Errc::invalid_argument,
                          fmt::format("absolute path {} is not allowed in a bare repository: name "
                                      "the file relative to the including file",
                                      target));
    }
    const fs::path relative =
        fs::path(target).lexically_normal().lexically_relative(*source.disk_root);
    const std::string text = relative.generic_string();
    if (relative.empty() || text == "." || text.rfind("..", 0) == 0) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{} is outside {}", target, source.root_description));
    }
    return join_relative({}, text, source);
}

// Parses the master file at relative with includes read from source.
LoadedZone parse_from_source(const FileSource& source, const std::string& relative,
                             const std::string& text, const zone::Name& origin)
{
    std::vector<std::string> files{source.display(relative)};
    zone::ParseOptions options;
    options.origin = origin;
    options.include = [&](std::string_view including_path,
                          std::string_view target) -> Result<zone::IncludedFile> {
        auto resolved = resolve_include(source, including_path, target);
        if (!resolved) {
            return tl::unexpected(resolved.error());
        }
        const std::string display_path = source.display(*resolved);
        if (std::find(files.begin(), files.end(), display_path) == files.end()) {
            files.push_back(display_path);
        }
        auto content = source.read(*resolved);
        if (!content) {
            return tl::unexpected(content.error());
        }
        return zone::IncludedFile{display_path, std::move(*content)};
    };

    LoadedZone loaded{
        .origin = origin, .path = source.display(relative), .result = {}, .files = {}};
    loaded.result = zone::parse_zone(text, loaded.path, options);
    loaded.files = std::move(files);
    return loaded;
}

// Reads a regular file inside a folder, rejecting symbolic links and paths that resolve
// outside the folder.
Result<std::string> read_disk_file(const fs::path& root, const std::string& relative,
                                   const std::string& display_path)
{
    const fs::path path = root / relative;
    std::error_code error;
    const auto status = fs::symlink_status(path, error);
    if (error || !fs::exists(status)) {
        return make_error(Errc::not_found, fmt::format("file {} not found", display_path));
    }
    if (fs::is_symlink(status)) {
        return make_error(
            Errc::invalid_argument,
            fmt::format("{} is a symbolic link; only regular files are read", display_path));
    }
    if (!fs::is_regular_file(status)) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{} is not a regular file", display_path));
    }
    const fs::path real = fs::canonical(path, error);
    const fs::path real_root = fs::canonical(root, error);
    const fs::path inside = real.lexically_relative(real_root);
    if (error || inside.empty() || inside.generic_string().rfind("..", 0) == 0) {
        return make_error(Errc::invalid_argument, fmt::format("{} resolves to a file outside {}",
                                                              display_path, root.string()));
    }

    std::ifstream stream(path, std::ios::binary);
    std::ostringstream content;
    content << stream.rdbuf();
    if (!stream) {
        return make_error(Errc::io_error, fmt::format("cannot read {}", display_path));
    }
    return content.str();
}

FileSource disk_source(const fs::path& root, std::string display_prefix, std::string description)
{
    FileSource source;
    source.display_prefix = std::move(display_prefix);
    source.disk_root = fs::absolute(root).lexically_normal();
    source.root_description = std::move(description);
    source.read = [root, prefix = source.display_prefix](const std::string& relative) {
        return read_disk_file(root, relative, prefix + relative);
    };
    return source;
}

// Reads a file of a commit; a symbolic link is refused because its blob contains the link target.
Result<std::string> read_snapshot_file(const store::Snapshot& snapshot, const std::string& relative)
{
    const std::size_t slash = relative.rfind('/');
    const std::string folder =
        slash == std::string::npos ? std::string() : relative.substr(0, slash);
    auto entries = snapshot.list(folder);
    if (!entries) {
        return make_error(Errc::not_found, fmt::format("file {} not found", relative));
    }
    const auto entry = std::find_if(entries->begin(), entries->end(),
                                    [&](const store::Entry& e) { return e.path == relative; });
    if (entry == entries->end()) {
        return make_error(Errc::not_found, fmt::format("file {} not found", relative));
    }
    if (entry->mode == store::mode_symlink) {
        return make_error(
            Errc::invalid_argument,
            fmt::format("{} is a symbolic link; only regular files are read", relative));
    }
    if (entry->is_folder()) {
        return make_error(Errc::invalid_argument, fmt::format("{} is a folder", relative));
    }
    return snapshot.read(relative);
}

FileSource snapshot_source(const store::Snapshot& snapshot,
                           const std::optional<fs::path>& disk_root)
{
    FileSource source;
    source.disk_root = disk_root
                           ? std::optional<fs::path>(fs::absolute(*disk_root).lexically_normal())
                           : std::nullopt;
    source.root_description = "the repository";
    source.read = [snapshot](const std::string& relative) {
        return read_snapshot_file(snapshot, relative);
    };
    return source;
}

// Builds the list of zone files from the paths inside zones/ (or, in the flat layout, at the
// root), reporting names that are not zones and two files naming one zone.
ZoneFileList make_zone_file_list(const std::vector<std::string>& paths,
                                 const std::string& display_prefix)
{
    ZoneFileList list;
    std::map<zone::Name, std::string> seen;
    for (const auto& path : paths) {
        const SourceLocation where{display_prefix + path, 0, 0};
        auto origin = path.find('/') == std::string::npos
                          ? Result<std::optional<zone::Name>>(origin_from_flat_path(path))
                          : origin_from_zone_path(path);
        if (!origin) {
            list.diagnostics.push_back({Severity::error, where, origin.error().message});
            continue;
        }
        if (!*origin) {
            continue;
        }
        const auto [previous, inserted] = seen.emplace(**origin, path);
        if (!inserted) {
            list.diagnostics.push_back(
                {Severity::error, where,
                 fmt::format("{}{} and {}{} both hold the zone {}", display_prefix,
                             previous->second, display_prefix, path, (*origin)->to_string())});
            continue;
        }
        list.files.push_back({path, **origin});
    }
    return list;
}

LoadedZone load_from_source(const FileSource& source, const ZoneFile& file)
{
    auto text = source.read(file.path);
    if (!text) {
        LoadedZone failed{.origin = file.origin,
                          .path = source.display(file.path),
                          .result = {},
                          .files = {source.display(file.path)}};
        failed.result.zone.origin = file.origin;
        failed.result.diagnostics.push_back(
            {Severity::error, {failed.path, 0, 0}, text.error().message});
        return failed;
    }
    return parse_from_source(source, file.path, *text, file.origin);
}

Result<std::vector<std::string>> list_snapshot_paths(const store::Snapshot& snapshot)
{
    std::vector<std::string> paths;
    const bool flat = !snapshot.exists(zones_folder);
    auto entries = snapshot.list(flat ? std::string_view{} : zones_folder);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    for (const auto& entry : *entries) {
        if (!entry.is_folder()) {
            paths.push_back(entry.path);
        }
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

Result<std::vector<std::string>> list_folder_paths(const fs::path& root)
{
    std::vector<std::string> paths;
    std::error_code error;
    const bool flat = !fs::is_directory(root / zones_folder, error);
    const fs::path folder = flat ? root : root / zones_folder;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        if (!it->is_directory(error)) {
            const auto name = it->path().filename().string();
            paths.push_back(flat ? name : fmt::format("{}/{}", zones_folder, name));
        }
    }
    if (error) {
        return make_error(Errc::io_error,
                          fmt::format("cannot list {}: {}", folder.string(), error.message()));
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

} // namespace

std::string zone_file_path(const zone::Name& origin)
{
    if (origin.is_root()) {
        return fmt::format("{}/{}{}", zones_folder, root_zone_stem, zone_suffix);
    }
    std::string name = origin.to_string();
    name.pop_back();
    return fmt::format("{}/{}{}", zones_folder, name, zone_suffix);
}

Result<std::optional<zone::Name>> origin_from_zone_path(std::string_view path)
{
    const std::string prefix = fmt::format("{}/", zones_folder);
    if (path.substr(0, prefix.size()) != prefix ||
        path.size() <= prefix.size() + zone_suffix.size() ||
        path.substr(path.size() - zone_suffix.size()) != zone_suffix) {
        return std::optional<zone::Name>();
    }
    const std::string_view stem =
        path.substr(prefix.size(), path.size() - prefix.size() - zone_suffix.size());
    if (stem.find('/') != std::string_view::npos) {
        return std::optional<zone::Name>();
    }
    if (stem == root_zone_stem) {
        return std::optional<zone::Name>(zone::Name());
    }
    auto name = zone::Name::parse(fmt::format("{}.", stem));
    if (!name || stem.back() == '.') {
        return make_error(Errc::invalid_argument,
                          fmt::format("zone file name {} does not name a zone: write the zone "
                                      "name without the trailing dot, as in example.com.zone",
                                      path));
    }
    return std::optional<zone::Name>(*name);
}

std::optional<zone::Name> origin_from_flat_path(std::string_view path)
{
    // Files that sit beside the zones in such repositories. Only suffixes that are not
    // top-level domains are listed, so that a zone like "example.md" stays a zone.
    static constexpr std::array<std::string_view, 5> document_prefixes{
        "README", "LICENSE", "COPYING", "CHANGELOG", "Makefile"};
    static constexpr std::array<std::string_view, 9> document_suffixes{
        ".txt", ".conf", ".json", ".yml", ".yaml", ".toml", ".ini", ".asc", ".log"};
    if (path.empty() || path.find('/') != std::string_view::npos || path.front() == '.' ||
        path.front() == '_' || path.ends_with("._keys") || path.back() == '.') {
        return std::nullopt;
    }
    for (const auto prefix : document_prefixes) {
        if (path.starts_with(prefix)) {
            return std::nullopt;
        }
    }
    for (const auto suffix : document_suffixes) {
        if (path.ends_with(suffix)) {
            return std::nullopt;
        }
    }
    auto name = zone::Name::parse(fmt::format("{}.", path));
    if (!name) {
        return std::nullopt;
    }
    return *name;
}

Result<zone::Name> origin_from_file_name(const fs::path& file)
{
    std::string stem = file.filename().string();
    for (const std::string_view suffix : {".zone", ".db", ".txt"}) {
        if (stem.size() > suffix.size() && stem.substr(stem.size() - suffix.size()) == suffix) {
            stem.resize(stem.size() - suffix.size());
            break;
        }
    }
    if (stem == root_zone_stem || stem == ".") {
        return zone::Name();
    }
    if (!stem.empty() && stem.back() != '.') {
        stem += '.';
    }
    auto name = zone::Name::parse(stem);
    if (!name) {
        return make_error(Errc::invalid_argument,
                          fmt::format("cannot take the origin from the file name {}: {}; give "
                                      "it with --origin",
                                      file.string(), name.error().message));
    }
    return *name;
}

Result<ZoneFileList> list_zone_files(const store::Snapshot& snapshot)
{
    auto paths = list_snapshot_paths(snapshot);
    if (!paths) {
        return tl::unexpected(paths.error());
    }
    return make_zone_file_list(*paths, "");
}

Result<ZoneFileList> list_zone_files(const fs::path& root)
{
    auto paths = list_folder_paths(root);
    if (!paths) {
        return tl::unexpected(paths.error());
    }
    return make_zone_file_list(*paths, "");
}

LoadedZone load_zone_at(const store::Snapshot& snapshot, const ZoneFile& file,
                        const std::optional<fs::path>& disk_root)
{
    return load_from_source(snapshot_source(snapshot, disk_root), file);
}

LoadedZone load_zone_at(const fs::path& root, const ZoneFile& file)
{
    return load_from_source(disk_source(root, "", "the work tree"), file);
}

Result<LoadedZones> load_zones(const store::Snapshot& snapshot,
                               const std::optional<fs::path>& disk_root)
{
    auto list = list_zone_files(snapshot);
    if (!list) {
        return tl::unexpected(list.error());
    }
    LoadedZones loaded{.zones = {}, .diagnostics = std::move(list->diagnostics)};
    const FileSource source = snapshot_source(snapshot, disk_root);
    for (const auto& file : list->files) {
        loaded.zones.push_back(load_from_source(source, file));
    }
    return loaded;
}

Result<std::optional<LoadedZone>> load_zone(const store::Snapshot& snapshot,
                                            const zone::Name& origin,
                                            const std::optional<fs::path>& disk_root)
{
    auto list = list_zone_files(snapshot);
    if (!list) {
        return tl::unexpected(list.error());
    }
    for (const auto& file : list->files) {
        if (file.origin == origin) {
            return std::optional<LoadedZone>(load_zone_at(snapshot, file, disk_root));
        }
    }
    return std::optional<LoadedZone>();
}

Result<LoadedZones> load_zones_from_folder(const fs::path& root)
{
    auto list = list_zone_files(root);
    if (!list) {
        return tl::unexpected(list.error());
    }
    LoadedZones loaded{.zones = {}, .diagnostics = std::move(list->diagnostics)};
    const FileSource source = disk_source(root, "", "the work tree");
    for (const auto& file : list->files) {
        loaded.zones.push_back(load_from_source(source, file));
    }
    return loaded;
}

Result<std::optional<LoadedZone>> load_zone_from_folder(const fs::path& root,
                                                        const zone::Name& origin)
{
    auto list = list_zone_files(root);
    if (!list) {
        return tl::unexpected(list.error());
    }
    for (const auto& file : list->files) {
        if (file.origin == origin) {
            return std::optional<LoadedZone>(load_zone_at(root, file));
        }
    }
    return std::optional<LoadedZone>();
}

Result<LoadedZone> load_zone_file(const fs::path& file, const zone::Name& origin)
{
    const fs::path folder = file.parent_path();
    std::string prefix = folder.generic_string();
    if (!prefix.empty() && prefix.back() != '/') {
        prefix += '/';
    }
    const FileSource source =
        disk_source(folder.empty() ? fs::path(".") : folder, prefix,
                    fmt::format("the folder {}", folder.empty() ? "." : folder.string()));
    const std::string relative = file.filename().string();
    auto text = source.read(relative);
    if (!text) {
        return tl::unexpected(text.error());
    }
    return parse_from_source(source, relative, *text, origin);
}

bool zone_files_changed(const LoadedZone& zone, const store::Snapshot& before,
                        const store::Snapshot& after)
{
    return std::any_of(zone.files.begin(), zone.files.end(), [&](const std::string& path) {
        return before.blob_id(path) != after.blob_id(path);
    });
}

} // namespace robur::dns
