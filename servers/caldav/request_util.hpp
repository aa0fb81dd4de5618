#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "servers/caldav/handler.hpp"
#include "servers/caldav/resource.hpp"
#include "store/commit.hpp"
#include "store/snapshot.hpp"

namespace robur::caldav {

// The methods every resource lists in Allow.
inline constexpr std::string_view allowed_methods =
    "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, COPY, MOVE, REPORT";

// Maps an error to a response: 404 for not_found, 400 for malformed input, 409 for a
// conflict, 500 otherwise. The message goes into the body.
[[nodiscard]] Response error_response(const Request& request, const Error& error);

// 403 for a path the user may not touch.
[[nodiscard]] Response forbidden(const Request& request, const DavPath& path);

// Returns true when an If-Match or If-None-Match value ("*" or a list of entity tags) matches
// the ETag of a resource. "*" matches any existing resource. Weak tags never match, because
// the comparison is strong (RFC 9110 section 13.1.1).
[[nodiscard]] bool etag_matches(std::string_view header, const std::string& etag,
                                bool exists = true);

// Evaluates If-Match and If-None-Match for a write; returns a 412 response when one fails.
[[nodiscard]] std::optional<Response> check_preconditions(const Request& request,
                                                          const Node& node);

// The Content-Type of a resource: text/calendar, text/vcard or one guessed from the name.
[[nodiscard]] std::string content_type_for(const Node& node);

// The changes that remove a node: every file under a collection folder, or a resource with
// its dead property file.
[[nodiscard]] Result<std::vector<store::FileChange>> removal_changes(const store::Snapshot& snapshot,
                                                                     const Node& node);

// ": <summary> (UID <uid>)" for a calendar or address object, read from the snapshot; empty
// when the resource cannot be read.
[[nodiscard]] std::string resource_summary_suffix(const store::Snapshot& snapshot,
                                                  const Node& node);

// Reads the Depth header: 0, 1 or infinity (-1); nullopt when absent, `invalid` for other
// values.
enum class Depth { zero, one, infinity, invalid };
[[nodiscard]] std::optional<Depth> depth_header(const Request& request);

} // namespace robur::caldav
