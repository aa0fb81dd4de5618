#include "servers/caldav/uid_index.hpp"

#include <strings.h>

#include "servers/caldav/resource_cache.hpp"

namespace robur::caldav {

namespace {

std::string_view line_at(std::string_view text, std::size_t start)
{
    const auto end = text.find('\n', start);
    auto line = text.substr(start, end == std::string_view::npos ? text.size() - start
                                                                 : end - start);
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    return line;
}

} // namespace

std::optional<std::string> find_uid(std::string_view text)
{
    std::size_t start = 0;
    while (start < text.size()) {
        const auto line = line_at(text, start);
        const auto next = text.find('\n', start);
        const bool is_uid = line.size() > 3 && strncasecmp(line.data(), "UID", 3) == 0 &&
                            (line[3] == ':' || line[3] == ';');
        if (is_uid) {
            const auto colon = line.find(':');
            std::string value(colon == std::string_view::npos ? std::string_view{}
                                                              : line.substr(colon + 1));
            // RFC 5545 section 3.1: a line starting with a space or tab continues the last.
            auto position = next;
            while (position != std::string_view::npos && position + 1 < text.size() &&
                   (text[position + 1] == ' ' || text[position + 1] == '\t')) {
                value += line_at(text, position + 2);
                position = text.find('\n', position + 1);
            }
            return value;
        }
        if (next == std::string_view::npos) {
            break;
        }
        start = next + 1;
    }
    return std::nullopt;
}

Result<std::optional<std::string>> UidIndex::find(const store::Snapshot& snapshot,
                                                  const std::string& folder,
                                                  const store::ObjectId& tree,
                                                  const std::string& uid)
{
    std::shared_ptr<const FolderIndex> index;
    {
        std::lock_guard lock(mutex_);
        if (const auto cached = cache_.find(folder);
            cached != cache_.end() && cached->second->tree == tree) {
            index = cached->second;
        }
    }
    if (!index) {
        auto built = build(snapshot, folder, tree);
        if (!built) {
            return tl::unexpected(built.error());
        }
        index = std::make_shared<const FolderIndex>(std::move(*built));
        std::lock_guard lock(mutex_);
        if (cache_.size() >= max_cached_folders && !cache_.contains(folder)) {
            cache_.clear();
        }
        cache_[folder] = index;
    }
    const auto found = index->names.find(uid);
    return found == index->names.end() ? std::nullopt : std::optional<std::string>(found->second);
}

Result<UidIndex::FolderIndex> UidIndex::build(const store::Snapshot& snapshot,
                                              const std::string& folder,
                                              const store::ObjectId& tree)
{
    auto entries = snapshot.list(folder);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    FolderIndex index{tree, {}};
    index.names.reserve(entries->size());
    for (const auto& entry : *entries) {
        const auto name = entry.path.substr(entry.path.rfind('/') + 1);
        if (entry.is_folder() || name.starts_with('.')) {
            continue;
        }
        auto facts = resources_.facts(snapshot, entry.path, entry.id, false);
        if (!facts) {
            return tl::unexpected(facts.error());
        }
        if ((*facts)->uid) {
            index.names.emplace(*(*facts)->uid, name);
        }
    }
    return index;
}

} // namespace robur::caldav
