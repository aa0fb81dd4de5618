#include "servers/dns/update_files.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace robur::dns {

namespace fs = std::filesystem;

namespace {

// Maps an $INCLUDE target to a repository path the way the zone loader does. The targets
// were already accepted when the zone was loaded, and an edit never changes $INCLUDE lines.
Result<std::string> include_path(std::string_view including_path, std::string_view target,
                                 const std::optional<fs::path>& disk_root)
{
    fs::path joined;
    if (!target.empty() && target.front() == '/') {
        if (!disk_root) {
            return make_error(Errc::invalid_argument,
                              fmt::format("absolute path {} outside a work tree", target));
        }
        joined = fs::path(target).lexically_normal().lexically_relative(
            fs::absolute(*disk_root).lexically_normal());
    } else {
        joined = (fs::path(including_path).parent_path() / fs::path(target)).lexically_normal();
    }
    const std::string path = joined.generic_string();
    if (path.empty() || path == "." || path.rfind("..", 0) == 0) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{} is outside the repository", target));
    }
    return path;
}

// A record reduced to what a comparison needs, with the owner in lower case.
using RecordKey = std::tuple<zone::Name, std::uint16_t, std::uint16_t, std::uint32_t,
                             std::vector<std::uint8_t>>;

std::vector<RecordKey> record_keys(const std::vector<zone::Record>& records)
{
    std::vector<RecordKey> keys;
    keys.reserve(records.size());
    for (const auto& record : records) {
        keys.emplace_back(record.owner.lowercase(), record.type, record.rclass, record.ttl,
                          record.rdata);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
}

} // namespace

Result<zone::FileTexts> read_zone_files(const store::Snapshot& snapshot, const zone::Zone& zone)
{
    zone::FileTexts files;
    for (const auto& path : zone.files) {
        auto text = snapshot.read(path);
        if (!text) {
            return tl::unexpected(text.error());
        }
        files.emplace(path, std::move(*text));
    }
    return files;
}

zone::ParseResult reparse_zone(const store::Snapshot& snapshot, const zone::Zone& zone,
                               const zone::FileTexts& edited,
                               const std::optional<fs::path>& disk_root)
{
    auto read = [&](const std::string& path) -> Result<std::string> {
        const auto found = edited.find(path);
        if (found != edited.end()) {
            return found->second;
        }
        return snapshot.read(path);
    };

    zone::ParseOptions options;
    options.origin = zone.origin;
    options.include = [&](std::string_view including,
                          std::string_view target) -> Result<zone::IncludedFile> {
        auto path = include_path(including, target, disk_root);
        if (!path) {
            return tl::unexpected(path.error());
        }
        auto text = read(*path);
        if (!text) {
            return tl::unexpected(text.error());
        }
        return zone::IncludedFile{*path, std::move(*text)};
    };

    const std::string& master = zone.files.front();
    auto text = read(master);
    if (!text) {
        zone::ParseResult failed;
        failed.zone.origin = zone.origin;
        failed.diagnostics.push_back({Severity::error, {master, 0, 0}, text.error().message});
        return failed;
    }
    return zone::parse_zone(*text, master, options);
}

bool same_records(const std::vector<zone::Record>& left, const std::vector<zone::Record>& right)
{
    return record_keys(left) == record_keys(right);
}

store::Signature committer_signature(const store::Repository& repository)
{
    auto signature = repository.default_signature();
    if (signature) {
        return *signature;
    }
    return store::Signature{.name = "robur", .email = "robur@localhost", .time = std::nullopt,
                            .utc_offset_minutes = 0};
}

} // namespace robur::dns
