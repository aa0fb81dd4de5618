#include "servers/caldav/uid_index.hpp"

#include <strings.h>

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
    {
        std::lock_guard lock(mutex_);
        if (const auto cached = cache_.find(tree); cached != cache_.end()) {
            const auto found = cached->second.find(uid);
            return found == cached->second.end() ? std::nullopt
                                                 : std::optional<std::string>(found->second);
        }
    }
    auto entries = snapshot.list(folder);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    Index index;
    for (const auto& entry : *entries) {
        const auto name = entry.path.substr(entry.path.rfind('/') + 1);
        if (entry.is_folder() || name.starts_with('.')) {
            continue;
        }
        auto text = snapshot.read(entry.path);
        if (!text) {
            return tl::unexpected(text.error());
        }
        if (auto member_uid = find_uid(*text)) {
            index.emplace(std::move(*member_uid), name);
        }
    }
    std::optional<std::string> result;
    if (const auto found = index.find(uid); found != index.end()) {
        result = found->second;
    }
    std::lock_guard lock(mutex_);
    if (cache_.size() >= max_cached_folders) {
        cache_.clear();
    }
    cache_.emplace(tree, std::move(index));
    return result;
}

} // namespace robur::caldav
