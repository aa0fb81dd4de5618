#include "servers/caldav/handler.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "servers/caldav/multistatus.hpp"
#include "servers/caldav/password.hpp"
#include "servers/caldav/request_util.hpp"
#include "store/config.hpp"

namespace robur::caldav {

Response make_response(const Request& request, http::status status, std::string body,
                       std::string_view content_type)
{
    Response response{status, request.version()};
    response.set(http::field::server, "robur");
    response.keep_alive(request.keep_alive());
    if (!body.empty()) {
        response.set(http::field::content_type, std::string(content_type));
    }
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

Response make_xml_response(const Request& request, http::status status, std::string body)
{
    return make_response(request, status, std::move(body), "application/xml; charset=utf-8");
}

Handler::Handler(store::Repository repository, HandlerSettings settings)
    : repository_(std::move(repository)), settings_(std::move(settings))
{
    // Packing a large calendar can take minutes, so it never runs on a request's thread.
    repository_.set_auto_pack(store::AutoPack::background);
}

Result<store::Snapshot> Handler::head_snapshot() const
{
    return repository_.snapshot(settings_.branch);
}

std::optional<UserRecord> Handler::authenticate(std::string_view authorization)
{
    const auto credentials = parse_basic_authorization(authorization);
    if (!credentials || !is_valid_user_name(credentials->user)) {
        return std::nullopt;
    }
    auto snapshot = head_snapshot();
    if (!snapshot) {
        return std::nullopt;
    }
    auto text = snapshot->read(user_file_path(credentials->user));
    if (!text) {
        return std::nullopt;
    }
    auto user = parse_user_file(*text, credentials->user);
    if (!user) {
        log::get("caldav")->warn("user file unreadable user={} error=\"{}\"", credentials->user,
                                 user.error().to_string());
        return std::nullopt;
    }
    if (credentials_.contains(user->name, credentials->password, user->password_hash)) {
        return std::optional<UserRecord>(std::move(*user));
    }
    auto verified = verify_password(credentials->password, user->password_hash);
    if (!verified) {
        log::get("caldav")->warn("password hash unusable user={} error=\"{}\"", user->name,
                                 verified.error().message);
        return std::nullopt;
    }
    if (!*verified) {
        return std::nullopt;
    }
    credentials_.insert(user->name, credentials->password, user->password_hash);
    return std::optional<UserRecord>(std::move(*user));
}

std::optional<Response> Handler::handle_unauthenticated(const Request& request) const
{
    const auto target = as_std(request.target());
    const auto path = target.substr(0, target.find('?'));
    // RFC 6764 section 5: the well-known URIs redirect to the context path, here the root,
    // where current-user-principal leads on to the principal.
    if (path == "/.well-known/caldav" || path == "/.well-known/caldav/" ||
        path == "/.well-known/carddav" || path == "/.well-known/carddav/") {
        auto response = make_response(request, http::status::moved_permanently);
        response.set(http::field::location, "/");
        return response;
    }
    return std::nullopt;
}

store::Signature Handler::author(const UserRecord& user) const
{
    return store::Signature{
        .name = user.displayname.empty() ? user.name : user.displayname,
        .email = user.email.empty() ? fmt::format("{}@{}", user.name, settings_.host_name)
                                    : user.email,
        .time = std::nullopt,
        .utc_offset_minutes = 0};
}

namespace {

bool listed_in(const store::Config& config, const std::string& key, const std::string& user)
{
    auto values = config.get_all(key);
    if (!values) {
        return false;
    }
    for (const auto& value : *values) {
        // A value may list several users separated by spaces or commas.
        std::string name;
        for (const char c : value + " ") {
            if (c == ' ' || c == ',' || c == '\t') {
                if (name == user) {
                    return true;
                }
                name.clear();
            } else {
                name.push_back(c);
            }
        }
    }
    return false;
}

// Returns true when robur.conf shares the collection of `path` with `user` for reading (or,
// with `write`, for writing): [share "calendars/alice/work"] read = bob, write = carol.
bool shared_with(const store::Snapshot& snapshot, const DavPath& path, const std::string& user,
                 bool write)
{
    if (path.area == Area::none || path.segments.empty()) {
        return false;
    }
    auto config = store::Config::load(snapshot);
    if (!config) {
        return false;
    }
    const auto section = fmt::format("share.{}/{}/{}", area_segment(path.area), path.owner,
                                     path.segments.front());
    if (listed_in(*config, section + ".write", user)) {
        return true;
    }
    return !write && listed_in(*config, section + ".read", user);
}

} // namespace

bool Handler::may_read(const UserRecord& user, const store::Snapshot& snapshot,
                       const DavPath& path) const
{
    return path.owner.empty() || path.owner == user.name ||
           shared_with(snapshot, path, user.name, false);
}

bool Handler::may_write(const UserRecord& user, const store::Snapshot& snapshot,
                        const DavPath& path) const
{
    return path.owner == user.name || shared_with(snapshot, path, user.name, true);
}

Response Handler::handle(const Request& request, const UserRecord& user)
{
    const auto target = as_std(request.target());
    auto path = parse_dav_path(target);
    if (!path) {
        return make_response(request, http::status::not_found,
                             fmt::format("{} is outside the server's URL layout\n", target));
    }
    const RequestContext context{request, user, std::move(*path)};
    try {
        return dispatch(context);
    } catch (const std::exception& error) {
        log::get("caldav")->error("request failed method={} target={} error=\"{}\"",
                                  as_std(request.method_string()), target,
                                  error.what());
        return make_response(request, http::status::internal_server_error,
                             "internal server error\n");
    }
}

Response Handler::dispatch(const RequestContext& context)
{
    const auto method = context.request.method_string();
    switch (context.request.method()) {
    case http::verb::options:
        return options(context);
    case http::verb::get:
        return get(context, false);
    case http::verb::head:
        return get(context, true);
    case http::verb::propfind:
        return propfind(context);
    case http::verb::proppatch:
        return proppatch(context);
    case http::verb::put:
        return put(context);
    case http::verb::delete_:
        return remove(context);
    case http::verb::mkcol:
        return mkcol(context, false);
    case http::verb::mkcalendar:
        return mkcol(context, true);
    case http::verb::copy:
        return copy_move(context, false);
    case http::verb::move:
        return copy_move(context, true);
    case http::verb::report:
        return report(context);
    default:
        break;
    }
    auto response = make_response(context.request, http::status::method_not_allowed,
                                  fmt::format("method {} is not supported\n", as_std(method)));
    response.set(http::field::allow, std::string(allowed_methods));
    return response;
}

Result<store::ObjectId> Handler::commit_plan(const RequestContext& context,
                                             const store::ObjectId& head, WritePlan& plan)
{
    store::CommitRequest request{.branch = settings_.branch,
                                 .expected_head = head,
                                 .changes = std::move(plan.changes),
                                 .author = author(context.user),
                                 .committer = std::nullopt,
                                 .message = plan.message};
    return repository_.commit(request);
}

Response Handler::run_write(const RequestContext& context, const Planner& planner)
{
    auto logger = log::get("caldav");
    for (unsigned attempt = 1; attempt <= settings_.commit_attempts; ++attempt) {
        auto head = repository_.branch_head(settings_.branch);
        if (!head || !*head) {
            return make_response(context.request, http::status::internal_server_error,
                                 "the branch has no commits\n");
        }
        auto snapshot = repository_.snapshot((*head)->to_string());
        if (!snapshot) {
            return make_response(context.request, http::status::internal_server_error,
                                 snapshot.error().message + "\n");
        }
        auto plan = planner(*snapshot);
        if (!plan) {
            return error_response(context.request, plan.error());
        }
        if (plan->immediate) {
            return std::move(*plan->immediate);
        }
        auto commit = commit_plan(context, **head, *plan);
        if (!commit && commit.error().code == Errc::conflict) {
            logger->info("commit lost a race, retrying attempt={} user={} target={}", attempt,
                         context.user.name, context.path.href(false));
            continue;
        }
        if (!commit) {
            logger->error("commit failed user={} error=\"{}\"", context.user.name,
                          commit.error().message);
            return error_response(context.request, commit.error());
        }
        logger->info("commit id={} user={} message=\"{}\"", commit->short_string(),
                     context.user.name, plan->message);
        if (!plan->etag_path.empty()) {
            if (auto written = repository_.snapshot(commit->to_string())) {
                if (auto blob = written->blob_id(plan->etag_path)) {
                    plan->response.set(http::field::etag, fmt::format("\"{}\"", blob->to_string()));
                }
            }
        }
        return std::move(plan->response);
    }
    return make_response(context.request, http::status::service_unavailable,
                         "the repository changed during every commit attempt; retry later\n");
}

Response Handler::options(const RequestContext& context)
{
    auto response = make_response(context.request, http::status::ok);
    // Class 2 (locking) is left out because LOCK and UNLOCK are not implemented.
    response.set("DAV", "1, 3, access-control, calendar-access, addressbook, extended-mkcol, "
                        "sync-collection");
    response.set(http::field::allow, std::string(allowed_methods));
    return response;
}

Response Handler::get(const RequestContext& context, bool head)
{
    auto snapshot = head_snapshot();
    if (!snapshot) {
        return error_response(context.request, snapshot.error());
    }
    if (!may_read(context.user, *snapshot, context.path)) {
        return forbidden(context.request, context.path);
    }
    auto node = resolve_node(*snapshot, context.path);
    if (!node) {
        return error_response(context.request, node.error());
    }
    if (!node->exists()) {
        return make_response(context.request, http::status::not_found);
    }
    if (node->is_collection()) {
        auto response = make_response(context.request, http::status::ok,
                                      fmt::format("collection {}\n", node->href()));
        if (head) {
            response.body().clear();
            response.prepare_payload();
        }
        return response;
    }
    auto body = snapshot->read(node->path.repository_path());
    if (!body) {
        return error_response(context.request, body.error());
    }
    if (const auto none_match = context.request[http::field::if_none_match];
        !none_match.empty() && etag_matches(as_std(none_match),
                                            node->etag())) {
        auto response = make_response(context.request, http::status::not_modified);
        response.set(http::field::etag, node->etag());
        return response;
    }
    auto response = make_response(context.request, http::status::ok, std::move(*body),
                                   content_type_for(*node));
    response.set(http::field::etag, node->etag());
    if (head) {
        const auto length = response.body().size();
        response.body().clear();
        response.content_length(length);
    }
    return response;
}

Response Handler::remove(const RequestContext& context)
{
    if (context.request.target().find('#') != boost::beast::string_view::npos) {
        return make_response(context.request, http::status::bad_request,
                             "a request target must not hold a fragment\n");
    }
    return run_write(context, [&](const store::Snapshot& snapshot) -> Result<WritePlan> {
        WritePlan plan;
        auto node = resolve_node(snapshot, context.path);
        if (!node) {
            return tl::unexpected(node.error());
        }
        if (!node->exists()) {
            plan.immediate = make_response(context.request, http::status::not_found);
            return plan;
        }
        if (!may_write(context.user, snapshot, context.path) || context.path.segments.empty()) {
            plan.immediate = forbidden(context.request, context.path);
            return plan;
        }
        if (auto failed = check_preconditions(context.request, *node)) {
            plan.immediate = std::move(*failed);
            return plan;
        }
        auto removals = removal_changes(snapshot, *node);
        if (!removals) {
            return tl::unexpected(removals.error());
        }
        plan.changes = std::move(*removals);
        plan.message = fmt::format("DELETE {}", node->href());
        if (node->kind == NodeKind::calendar_object || node->kind == NodeKind::address_object) {
            plan.message += resource_summary_suffix(snapshot, *node);
        }
        plan.response = make_response(context.request, http::status::no_content);
        return plan;
    });
}

} // namespace robur::caldav
