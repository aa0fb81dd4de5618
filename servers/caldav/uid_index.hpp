#pragma once

#include <map>
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

// The UIDs of the resources of collection folders, for the no-uid-conflict preconditions
// (RFC 4791 section 5.3.2.1, RFC 6352 section 6.3.2.1). Indexes are cached by the tree id of
// the folder, so an unchanged collection is read once. Thread-safe.
class UidIndex {
public:
    // Returns the member name (file name) holding `uid` in `folder`, or nullopt.
    [[nodiscard]] Result<std::optional<std::string>> find(const store::Snapshot& snapshot,
                                                          const std::string& folder,
                                                          const store::ObjectId& tree,
                                                          const std::string& uid);

private:
    using Index = std::unordered_map<std::string, std::string>; // UID -> file name

    static constexpr std::size_t max_cached_folders = 64;

    std::mutex mutex_;
    std::map<store::ObjectId, Index> cache_;
};

} // namespace robur::caldav
