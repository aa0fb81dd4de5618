#pragma once

#include <vector>

#include "core/error.hpp"
#include "servers/caldav/resource.hpp"
#include "store/snapshot.hpp"

namespace robur::caldav {

// Lists the members of a collection node as list_members() does. The members of a calendar or
// address book come from one listing of its folder, because each is a resource whose blob id
// is its tree entry's, so no member is resolved on its own. Errors from reading the snapshot.
[[nodiscard]] Result<std::vector<Node>> list_collection_members(const store::Snapshot& snapshot,
                                                                const Node& collection);

} // namespace robur::caldav
