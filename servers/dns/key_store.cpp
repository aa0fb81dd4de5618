#include "servers/dns/key_store.hpp"

#include <fmt/format.h>

namespace robur::dns {

namespace {

// The folder part and the file name of a repository path.
std::pair<std::string_view, std::string_view> split_path(std::string_view path)
{
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos) {
        return {std::string_view{}, path};
    }
    return {path.substr(0, slash), path.substr(slash + 1)};
}

Result<void> read_folder(const store::Snapshot& snapshot, std::string_view folder,
                         RepositoryKeys& keys)
{
    if (!folder.empty() && !snapshot.exists(folder)) {
        return {};
    }
    auto entries = snapshot.list(folder);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    for (const auto& entry : *entries) {
        if (entry.is_folder() || !is_keys_file(entry.path)) {
            continue;
        }
        auto origin = tsig::keys_file_origin(split_path(entry.path).second);
        auto text = snapshot.read(entry.path);
        if (!text) {
            keys.diagnostics.push_back(
                Diagnostic{Severity::error, SourceLocation{entry.path, 0},
                           fmt::format("cannot read keys file: {}", text.error().message)});
            continue;
        }
        auto found = tsig::load_keys(*text, entry.path, *origin, keys.table);
        keys.diagnostics.insert(keys.diagnostics.end(), found.begin(), found.end());
        keys.files.push_back(entry.path);
    }
    return {};
}

} // namespace

bool is_keys_file(std::string_view path)
{
    const auto [folder, name] = split_path(path);
    if (!folder.empty() && folder != keys_folder) {
        return false;
    }
    return tsig::keys_file_origin(name).has_value();
}

Result<RepositoryKeys> load_repository_keys(const store::Snapshot& snapshot)
{
    RepositoryKeys keys;
    for (std::string_view folder : {std::string_view{}, keys_folder}) {
        if (auto read = read_folder(snapshot, folder, keys); !read) {
            return tl::unexpected(read.error());
        }
    }
    return keys;
}

} // namespace robur::dns
