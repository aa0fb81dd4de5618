// REPORT: calendar-multiget (RFC 4791 section 7.9), calendar-query (section 7.8, component
// filter only), addressbook-multiget (RFC 6352 section
// 8.7) and sync-collection (RFC 6578). Each report is one function; the others get
// 403 DAV:supported-report.

#include <fmt/format.h>

#include "servers/caldav/handler.hpp"
#include "servers/caldav/multistatus.hpp"
#include "servers/caldav/properties.hpp"
#include "servers/caldav/request_util.hpp"

namespace robur::caldav {

namespace {

const XmlName calendar_data{std::string(caldav_ns), "calendar-data"};
const XmlName address_data{std::string(carddav_ns), "address-data"};

std::vector<XmlName> requested_names(const XmlElement& body)
{
    std::vector<XmlName> names;
    if (const auto* prop = body.child(dav_ns, "prop")) {
        for (const auto* property : prop->elements()) {
            names.push_back(property->name);
        }
    }
    return names;
}

std::vector<PropertyResult> member_properties(const PropertyContext& context, const Node& node,
                                              const std::vector<XmlName>& names)
{
    std::vector<PropertyResult> results;
    for (const auto& name : names) {
        if ((name == calendar_data && node.kind == NodeKind::calendar_object) ||
            (name == address_data && node.kind == NodeKind::address_object)) {
            auto content = context.snapshot.read(node.path.repository_path());
            if (content) {
                results.push_back({name, escape_xml(*content), 200, {}});
                continue;
            }
        }
        if (auto value = live_property(context, node, name)) {
            results.push_back({name, std::move(*value), 200, {}});
        } else {
            results.push_back({name, {}, 404, {}});
        }
    }
    return results;
}

} // namespace

Response Handler::report(const RequestContext& context)
{
    auto body = parse_xml(context.request.body(), XmlLimits{.max_size = settings_.max_xml_size});
    if (!body) {
        return make_response(context.request, http::status::bad_request,
                             body.error().message + "\n");
    }
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
    if (body->is(caldav_ns, "calendar-multiget") || body->is(carddav_ns, "addressbook-multiget")) {
        return report_multiget(context, *snapshot, *node, *body);
    }
    if (body->is(dav_ns, "sync-collection")) {
        return report_sync_collection(context, *snapshot, *node, *body);
    }
    if (body->is(caldav_ns, "calendar-query")) {
        return report_calendar_query(context, *snapshot, *node, *body);
    }
    // TODO: free-busy-query and addressbook-query plug in here.
    return make_xml_response(context.request, http::status::forbidden,
                             error_body({"DAV:", "supported-report"}));
}

Response Handler::report_multiget(const RequestContext& context, const store::Snapshot& snapshot,
                                  const Node& node, const XmlElement& body)
{
    const auto names = requested_names(body);
    const PropertyContext property_context{snapshot, context.user, settings_};
    Multistatus multistatus;
    for (const auto* href : body.elements()) {
        if (!href->is(dav_ns, "href")) {
            continue;
        }
        const auto text = href->text_content();
        auto path = parse_dav_path(text);
        if (!path || !may_read(context.user, snapshot, *path)) {
            multistatus.add_status(text, 403);
            continue;
        }
        auto member = resolve_node(snapshot, *path);
        if (!member || !member->exists() || member->path.parent() != node.path) {
            multistatus.add_status(text, 404);
            continue;
        }
        multistatus.add_properties(member->href(),
                                   member_properties(property_context, *member, names));
    }
    return make_xml_response(context.request, http::status::multi_status, multistatus.finish());
}

namespace {

// Returns the component type that the comp-filter of a calendar-query selects inside VCALENDAR
// (VEVENT, VTODO, VJOURNAL), or an empty string when it selects all.
std::string queried_component(const XmlElement& body)
{
    const auto* filter = body.child(caldav_ns, "filter");
    const auto* calendar = filter != nullptr ? filter->child(caldav_ns, "comp-filter") : nullptr;
    const auto* component = calendar != nullptr ? calendar->child(caldav_ns, "comp-filter")
                                                : nullptr;
    if (component == nullptr) {
        return {};
    }
    for (const auto& attribute : component->attributes) {
        if (attribute.name.local == "name") {
            return attribute.value;
        }
    }
    return {};
}

} // namespace

Response Handler::report_calendar_query(const RequestContext& context,
                                        const store::Snapshot& snapshot, const Node& node,
                                        const XmlElement& body)
{
    if (node.kind != NodeKind::calendar) {
        return make_xml_response(context.request, http::status::forbidden,
                                 error_body({"DAV:", "supported-report"}));
    }
    auto members = list_members(snapshot, node);
    if (!members) {
        return error_response(context.request, members.error());
    }
    const auto component = queried_component(body);
    const auto names = requested_names(body);
    const PropertyContext property_context{snapshot, context.user, settings_};
    Multistatus multistatus;
    for (const auto& member : *members) {
        auto content = snapshot.read(member.path.repository_path());
        if (!content) {
            continue;
        }
        // TODO: time-range, prop-filter and param-filter are not evaluated yet, so a query
        // with them returns every resource of the component type (a superset).
        if (!component.empty() && content->find("BEGIN:" + component) == std::string::npos) {
            continue;
        }
        multistatus.add_properties(member.href(),
                                   member_properties(property_context, member, names));
    }
    return make_xml_response(context.request, http::status::multi_status, multistatus.finish());
}

Response Handler::report_sync_collection(const RequestContext& context,
                                         const store::Snapshot& snapshot, const Node& node,
                                         const XmlElement& body)
{
    const auto* token_element = body.child(dav_ns, "sync-token");
    const auto token = token_element != nullptr ? token_element->text_content() : std::string{};
    std::optional<store::ObjectId> from;
    if (!token.empty()) {
        from = commit_from_sync_token(token);
        if (!from || !repository_.commit_info(*from)) {
            return make_xml_response(context.request, http::status::forbidden,
                                     error_body({"DAV:", "valid-sync-token"}));
        }
    }
    if (!node.is_collection() || node.path.segments.empty()) {
        return make_xml_response(context.request, http::status::forbidden,
                                 error_body({"DAV:", "supported-report"}));
    }
    const auto folder = node.path.repository_path();
    auto changes = repository_.changed_files(from, snapshot.commit_id(), folder);
    if (!changes) {
        return error_response(context.request, changes.error());
    }
    const auto names = requested_names(body);
    const PropertyContext property_context{snapshot, context.user, settings_};
    Multistatus multistatus;
    for (const auto& change : *changes) {
        const auto relative = change.path.substr(folder.size() + 1);
        // Only direct members count at sync-level 1; dot files hold properties.
        if (relative.find('/') != std::string::npos || relative.starts_with('.')) {
            continue;
        }
        auto member = resolve_node(snapshot, node.path.child(relative));
        if (!change.new_id || !member || !member->exists()) {
            multistatus.add_status(node.path.child(relative).href(false), 404);
            continue;
        }
        multistatus.add_properties(member->href(),
                                   member_properties(property_context, *member, names));
    }
    multistatus.add_raw(element_xml({"DAV:", "sync-token"},
                                    escape_xml(sync_token_for(snapshot.commit_id()))));
    return make_xml_response(context.request, http::status::multi_status, multistatus.finish());
}

} // namespace robur::caldav
