#include "servers/dns/dnssec_keys.hpp"

#include <map>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace robur::dns {

namespace {

constexpr std::string_view public_suffix = ".key";
constexpr std::string_view private_suffix = ".private";

std::string_view file_name(std::string_view path)
{
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_key_file(std::string_view path)
{
    const auto name = file_name(path);
    return name.starts_with('K') &&
           (name.ends_with(public_suffix) || name.ends_with(private_suffix));
}

// The paths of one key's two files, either of which may be missing.
struct KeyFilePaths {
    std::string public_path;
    std::string private_path;
};

// Groups the key files by file name stem ("Kexample.com.+013+12345").
std::map<std::string, KeyFilePaths> pair_by_stem(const std::vector<store::Entry>& entries)
{
    std::map<std::string, KeyFilePaths> pairs;
    for (const auto& entry : entries) {
        const std::string_view path = entry.path;
        if (path.ends_with(public_suffix)) {
            pairs[std::string(path.substr(0, path.size() - public_suffix.size()))].public_path =
                entry.path;
        } else {
            pairs[std::string(path.substr(0, path.size() - private_suffix.size()))]
                .private_path = entry.path;
        }
    }
    return pairs;
}

Result<dnssec::KeyFiles> read_pair(const store::Snapshot& snapshot, const KeyFilePaths& paths,
                                   const zone::Name& zone)
{
    if (paths.private_path.empty()) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{}: no matching .private file; put the DNSKEY of a key "
                                      "held elsewhere into the zone file instead",
                                      paths.public_path));
    }
    if (paths.public_path.empty()) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{}: no matching .key file", paths.private_path));
    }
    auto public_text = snapshot.read(paths.public_path);
    if (!public_text) {
        return tl::unexpected(public_text.error());
    }
    auto private_text = snapshot.read(paths.private_path);
    if (!private_text) {
        return tl::unexpected(private_text.error());
    }
    auto files = dnssec::parse_key_files(*public_text, paths.public_path, *private_text,
                                         paths.private_path);
    if (!files) {
        return tl::unexpected(files.error());
    }
    if (files->key.owner != zone) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{}: the key belongs to {}, not to the zone {}",
                                      paths.public_path, files->key.owner.to_string(),
                                      zone.to_string()));
    }
    return files;
}

} // namespace

Result<std::vector<store::Entry>> dnssec_key_files(const store::Snapshot& snapshot,
                                                   const zone::Name& zone)
{
    auto entries = snapshot.list(dnssec::key_folder(zone));
    if (!entries) {
        if (entries.error().code == Errc::not_found) {
            return std::vector<store::Entry>{};
        }
        return tl::unexpected(entries.error());
    }
    std::vector<store::Entry> files;
    for (auto& entry : *entries) {
        if (!entry.is_folder() && is_key_file(entry.path)) {
            files.push_back(std::move(entry));
        }
    }
    return files;
}

Result<std::vector<dnssec::KeyFiles>> load_dnssec_keys(const store::Snapshot& snapshot,
                                                       const zone::Name& zone)
{
    auto entries = dnssec_key_files(snapshot, zone);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    std::vector<dnssec::KeyFiles> keys;
    for (const auto& [stem, paths] : pair_by_stem(*entries)) {
        auto files = read_pair(snapshot, paths, zone);
        if (!files) {
            return tl::unexpected(files.error());
        }
        keys.push_back(std::move(*files));
    }
    return keys;
}

} // namespace robur::dns
