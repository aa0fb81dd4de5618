#pragma once

// The limits of robur.conf that PUT, MKCOL, COPY and MOVE enforce beyond the size of a
// request body: caldav.max-collection-size (members of one collection), and
// caldav.max-resource-size for resources that a COPY or MOVE writes without a PUT.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "servers/caldav/handler.hpp"
#include "servers/caldav/resource.hpp"
#include "store/commit.hpp"
#include "store/snapshot.hpp"

namespace robur::caldav {

// Counts the members of a collection: the files and folders directly in its folder, without
// the dot files and folders that contain properties. Zero for a home whose folder does not
// exist yet. Errors from reading the snapshot.
[[nodiscard]] Result<std::size_t> count_members(const store::Snapshot& snapshot,
                                                const Node& collection);

// Checks that `collection` may take one more member under `max_members`. Returns nullopt when
// it may, else the result that the write's planning function returns unchanged. That is a plan
// whose immediate response is 507 Insufficient Storage with DAV:quota-not-exceeded (RFC 4331
// section 6) when the collection has `max_members` members or more, or an error from reading
// the snapshot.
[[nodiscard]] std::optional<Result<WritePlan>>
check_room_for_member(const Request& request, const store::Snapshot& snapshot,
                      const Node& collection, std::size_t max_members);

// Checks the size of every resource among the files a COPY or MOVE writes into `area`;
// property files (names starting with '.') do not count. Returns nullopt when each is at most
// `max_bytes`, else 403 with CALDAV:max-resource-size (RFC 4791 section 5.3.2.1) in
// calendars, CARDDAV:max-resource-size (RFC 6352 section 6.3.2.1) in contacts, or 507
// Insufficient Storage for a plain WebDAV resource.
[[nodiscard]] std::optional<Response> check_resource_sizes(
    const Request& request, Area area, const std::vector<store::FileChange>& changes,
    std::size_t max_bytes);

} // namespace robur::caldav
