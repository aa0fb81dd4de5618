#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/error.hpp"
#include "servers/caldav/auth.hpp"
#include "servers/caldav/dav_path.hpp"
#include "servers/caldav/resource.hpp"
#include "servers/caldav/resource_cache.hpp"
#include "servers/caldav/uid_index.hpp"
#include "servers/caldav/user_file.hpp"
#include "servers/caldav/xml.hpp"
#include "store/commit.hpp"
#include "store/repository.hpp"

namespace robur::caldav {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Settings of the request handler; sizes in bytes.
struct HandlerSettings {
    std::string branch;                              // "refs/heads/main"
    std::size_t max_resource_size = 10 * 1024 * 1024; // one PUT body
    std::size_t max_collection_size = 100000;        // members of one collection
    std::size_t max_xml_size = 1024 * 1024;          // PROPFIND, PROPPATCH, REPORT bodies
    std::string host_name;                           // for author emails: <user>@<host>
    unsigned commit_attempts = 8;                    // tries when a commit loses a race
};

// One request being handled: the authenticated user and the resolved target.
struct RequestContext {
    const Request& request;
    const UserRecord& user;
    DavPath path;
};

// The outcome of planning a write against one snapshot: a response to send at once (a failed
// precondition), or the changes to commit and the response to send once they are committed.
struct WritePlan {
    std::optional<Response> immediate;
    std::vector<store::FileChange> changes;
    std::string message;          // commit message
    Response response;            // sent after the commit
    std::string etag_path;        // repository path whose blob id becomes the ETag header
};

// Serves WebDAV, CalDAV and CardDAV requests from the branch head of a repository, and turns
// every write into one commit authored by the authenticated user. Thread-safe: each request
// reads the branch head when it starts, and writes commit with a compare-and-swap on the
// branch, re-planning from the new head when another writer won.
class Handler {
public:
    Handler(store::Repository repository, HandlerSettings settings);

    // Checks Basic credentials against users/<name>.conf at the branch head. Returns the user,
    // or nullopt for a missing header, an unknown user or a wrong password.
    [[nodiscard]] std::optional<UserRecord> authenticate(std::string_view authorization);

    // Handles one authenticated request. Never throws for a request the client got wrong.
    [[nodiscard]] Response handle(const Request& request, const UserRecord& user);

    // Handles the requests that need no authentication: /.well-known/ redirects. Returns
    // nullopt for every other request.
    [[nodiscard]] std::optional<Response> handle_unauthenticated(const Request& request) const;

    [[nodiscard]] const HandlerSettings& settings() const { return settings_; }

private:
    using Planner = std::function<Result<WritePlan>(const store::Snapshot&)>;

    Response dispatch(const RequestContext& context);
    Response run_write(const RequestContext& context, const Planner& planner);
    Result<store::ObjectId> commit_plan(const RequestContext& context,
                                        const store::ObjectId& head, WritePlan& plan);
    Result<store::Snapshot> head_snapshot() const;

    Response options(const RequestContext& context);
    Response get(const RequestContext& context, bool head);
    Response propfind(const RequestContext& context);
    Response proppatch(const RequestContext& context);
    Response put(const RequestContext& context);
    Response remove(const RequestContext& context);
    Response mkcol(const RequestContext& context, bool calendar);
    Response copy_move(const RequestContext& context, bool move);
    Response report(const RequestContext& context);

    Result<WritePlan> plan_put(const RequestContext& context, const store::Snapshot& snapshot);
    std::optional<Response> check_calendar_data(const RequestContext& context,
                                                const store::Snapshot& snapshot,
                                                const Node& collection, std::string& bytes,
                                                std::string& summary, bool& repaired);
    std::optional<Response> check_address_data(const RequestContext& context,
                                               const store::Snapshot& snapshot,
                                               const Node& collection, std::string& bytes,
                                               std::string& summary, bool& repaired);
    Result<WritePlan> plan_mkcol(const RequestContext& context, const store::Snapshot& snapshot,
                                 bool calendar);
    Result<WritePlan> plan_copy_move(const RequestContext& context,
                                     const store::Snapshot& snapshot, bool move);
    Result<WritePlan> plan_proppatch(const RequestContext& context,
                                     const store::Snapshot& snapshot, const XmlElement& body);

    Response report_multiget(const RequestContext& context, const store::Snapshot& snapshot,
                             const Node& node, const XmlElement& body);
    Response report_calendar_query(const RequestContext& context,
                                   const store::Snapshot& snapshot, const Node& node,
                                   const XmlElement& body);
    Response report_sync_collection(const RequestContext& context,
                                    const store::Snapshot& snapshot, const Node& node,
                                    const XmlElement& body);
    Response report_addressbook_query(const RequestContext& context,
                                      const store::Snapshot& snapshot, const Node& node,
                                      const XmlElement& body);

    [[nodiscard]] bool may_read(const UserRecord& user, const store::Snapshot& snapshot,
                                const DavPath& path) const;
    [[nodiscard]] bool may_write(const UserRecord& user, const store::Snapshot& snapshot,
                                 const DavPath& path) const;
    [[nodiscard]] store::Signature author(const UserRecord& user) const;

    store::Repository repository_;
    HandlerSettings settings_;
    CredentialCache credentials_;
    ResourceCache resources_;
    UidIndex uid_index_{resources_};
};

// Converts Beast's string_view (boost::string_view in Boost 1.74) to std::string_view.
[[nodiscard]] inline std::string_view as_std(boost::beast::string_view text)
{
    return {text.data(), text.size()};
}

// Builds a response with a status, a text/plain or XML body, and the request's keep-alive.
[[nodiscard]] Response make_response(const Request& request, http::status status,
                                     std::string body = {},
                                     std::string_view content_type = "text/plain; charset=utf-8");

// Builds an XML response (207 Multi-Status and DAV:error bodies).
[[nodiscard]] Response make_xml_response(const Request& request, http::status status,
                                         std::string body);

} // namespace robur::caldav
