#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.hpp"
#include "store/object_id.hpp"
#include "store/snapshot.hpp"

namespace robur::caldav {

// Returns the value of the first UID property of iCalendar or vCard text, unfolded; nullopt
// when there is none. Reads content lines only, without a full parse, because it runs over
// every member of a collection.
[[nodiscard]] std::optional<std::string> find_uid(std::string_view text);

class ResourceCache;

// The UIDs of the resources of collection folders, for the no-uid-conflict preconditions
// (RFC 4791 section 5.3.2.1, RFC 6352 section 6.3.2.1). The UID of each blob comes from the
// resource cache, so indexing a changed folder reads only its new blobs. The last index of
// each folder is kept with its tree id. Thread-safe.
class UidIndex {
public:
    // `resources` must outlive the index.
    explicit UidIndex(ResourceCache& resources) : resources_(resources) {}

    // Returns the member name (file name) holding `uid` in `folder`, whose tree id is `tree`,
    // or nullopt.
    [[nodiscard]] Result<std::optional<std::string>> find(const store::Snapshot& snapshot,
                                                          const std::string& folder,
                                                          const store::ObjectId& tree,
                                                          const std::string& uid);

private:
    struct FolderIndex {
        store::ObjectId tree;
        std::unordered_map<std::string, std::string> names; // UID -> file name
    };

    static constexpr std::size_t max_cached_folders = 64;

    Result<FolderIndex> build(const store::Snapshot& snapshot, const std::string& folder,
                              const store::ObjectId& tree);

    ResourceCache& resources_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const FolderIndex>> cache_; // by folder path
};

} // namespace robur::caldav
