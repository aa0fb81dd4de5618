// PUT, MKCOL (plain and extended, RFC 5689) and MKCALENDAR (RFC 4791 section 5.3.1).

#include <fmt/format.h>

#include "formats/icalendar/check.hpp"
#include "formats/vcard/check.hpp"
#include "servers/caldav/collection_limits.hpp"
#include "servers/caldav/handler.hpp"
#include "servers/caldav/multistatus.hpp"
#include "servers/caldav/properties.hpp"
#include "servers/caldav/request_util.hpp"

namespace robur::caldav {

namespace {

Response precondition_failure(const Request& request, http::status status, XmlName name,
                              std::string_view detail = {})
{
    return make_xml_response(request, status, error_body(name, escape_xml(detail)));
}

std::string first_error(const std::vector<Diagnostic>& diagnostics)
{
    for (const auto& diagnostic : diagnostics) {
        if (diagnostic.severity == Severity::error) {
            return diagnostic.to_string();
        }
    }
    return diagnostics.empty() ? std::string{} : diagnostics.front().to_string();
}

// Resolves the parent of a member; its kind decides whether it may hold the member.
Result<Node> parent_node(const store::Snapshot& snapshot, const DavPath& path)
{
    return resolve_node(snapshot, path.parent());
}

bool may_hold_members(const Node& parent, Area area)
{
    if (area == Area::files) {
        return parent.kind == NodeKind::home || parent.kind == NodeKind::collection;
    }
    return parent.kind == NodeKind::calendar || parent.kind == NodeKind::addressbook;
}

} // namespace

std::optional<Response> Handler::check_calendar_data(const RequestContext& context,
                                                     const store::Snapshot& snapshot,
                                                     const Node& collection, std::string& bytes,
                                                     std::string& summary, bool& repaired)
{
    const auto path = context.path.repository_path();
    icalendar::Limits limits;
    limits.max_resource_size = settings_.max_resource_size;
    auto checked = icalendar::check_resource(bytes, path, limits);
    if (!checked.resource) {
        return precondition_failure(context.request, http::status::forbidden,
                                    {std::string(caldav_ns), "valid-calendar-data"},
                                    first_error(checked.diagnostics));
    }
    const auto& components = collection.properties.components;
    if (!components.empty() && std::find(components.begin(), components.end(),
                                          checked.resource->component) == components.end()) {
        return precondition_failure(context.request, http::status::forbidden,
                                    {std::string(caldav_ns), "supported-calendar-component"},
                                    checked.resource->component);
    }
    auto holder = uid_index_.find(snapshot, collection.path.repository_path(), *collection.tree,
                                  checked.resource->uid);
    if (holder && *holder && **holder != context.path.segments.back()) {
        return make_xml_response(
            context.request, http::status::forbidden,
            error_body({std::string(caldav_ns), "no-uid-conflict"},
                       element_xml({"DAV:", "href"},
                                   escape_xml(collection.path.child(**holder).href(false)))));
    }
    if (checked.repaired) {
        bytes = std::move(*checked.repaired);
        repaired = true;
    }
    summary = fmt::format(": {} (UID {})", checked.resource->summary, checked.resource->uid);
    return std::nullopt;
}

std::optional<Response> Handler::check_address_data(const RequestContext& context,
                                                    const store::Snapshot& snapshot,
                                                    const Node& collection, std::string& bytes,
                                                    std::string& summary, bool& repaired)
{
    vcard::Limits limits;
    limits.max_resource_size = settings_.max_resource_size;
    auto checked = vcard::check_card(bytes, context.path.repository_path(), limits);
    if (!checked.card) {
        return precondition_failure(context.request, http::status::forbidden,
                                    {std::string(carddav_ns), "valid-address-data"},
                                    first_error(checked.diagnostics));
    }
    auto holder = uid_index_.find(snapshot, collection.path.repository_path(), *collection.tree,
                                  checked.card->uid);
    if (holder && *holder && **holder != context.path.segments.back()) {
        return make_xml_response(
            context.request, http::status::forbidden,
            error_body({std::string(carddav_ns), "no-uid-conflict"},
                       element_xml({"DAV:", "href"},
                                   escape_xml(collection.path.child(**holder).href(false)))));
    }
    if (checked.repaired) {
        bytes = std::move(*checked.repaired);
        repaired = true;
    }
    summary = fmt::format(": {} (UID {})", checked.card->formatted_name, checked.card->uid);
    return std::nullopt;
}

Response Handler::put(const RequestContext& context)
{
    if (context.request.body().size() > settings_.max_resource_size) {
        return make_response(context.request, http::status::payload_too_large,
                             fmt::format("the resource exceeds the limit of {} bytes\n",
                                         settings_.max_resource_size));
    }
    return run_write(context, [&](const store::Snapshot& snapshot) {
        return plan_put(context, snapshot);
    });
}

Result<WritePlan> Handler::plan_put(const RequestContext& context, const store::Snapshot& snapshot)
{
    WritePlan plan;
    if (context.path.segments.empty()) {
        plan.immediate = make_response(context.request, http::status::method_not_allowed,
                                       "PUT needs a resource inside a collection\n");
        return plan;
    }
    if (!may_write(context.user, snapshot, context.path)) {
        plan.immediate = forbidden(context.request, context.path);
        return plan;
    }
    auto node = resolve_node(snapshot, context.path);
    auto parent = parent_node(snapshot, context.path);
    if (!node || !parent) {
        return tl::unexpected(!node ? node.error() : parent.error());
    }
    if (node->is_collection()) {
        plan.immediate = make_response(context.request, http::status::method_not_allowed,
                                       "PUT cannot replace a collection\n");
        return plan;
    }
    if (!may_hold_members(*parent, context.path.area)) {
        plan.immediate = make_response(context.request, http::status::conflict,
                                       fmt::format("the parent collection {} does not exist\n",
                                                   parent->href()));
        return plan;
    }
    if (auto failed = check_preconditions(context.request, *node)) {
        plan.immediate = std::move(*failed);
        return plan;
    }
    // Only a new member needs room, so replacing a member is allowed at the limit.
    if (!node->exists()) {
        if (auto full = check_room_for_member(context.request, snapshot, *parent,
                                              settings_.max_collection_size)) {
            return std::move(*full);
        }
    }

    std::string bytes = context.request.body();
    std::string summary;
    bool repaired = false;
    std::optional<Response> rejected;
    if (parent->kind == NodeKind::calendar) {
        rejected = check_calendar_data(context, snapshot, *parent, bytes, summary, repaired);
    } else if (parent->kind == NodeKind::addressbook) {
        rejected = check_address_data(context, snapshot, *parent, bytes, summary, repaired);
    }
    if (rejected) {
        plan.immediate = std::move(rejected);
        return plan;
    }

    const auto path = context.path.repository_path();
    plan.changes.push_back({path, bytes, store::mode_file});
    plan.message = fmt::format("PUT {}{}", node->href(), summary);
    plan.response = make_response(context.request, node->exists() ? http::status::no_content
                                                                  : http::status::created);
    // RFC 4791 section 5.3.4: no ETag when the stored bytes differ from the request body.
    if (!repaired) {
        plan.etag_path = path;
    }
    return plan;
}

Response Handler::mkcol(const RequestContext& context, bool calendar)
{
    return run_write(context, [&](const store::Snapshot& snapshot) {
        return plan_mkcol(context, snapshot, calendar);
    });
}

namespace {

struct MkcolBody {
    const XmlElement* prop = nullptr; // the DAV:prop of DAV:set, when given
    bool has_body = false;
};

// Reads the body of MKCOL (RFC 5689 DAV:mkcol) or MKCALENDAR (C:mkcalendar). A plain MKCOL
// with any other body gets 415, as RFC 4918 section 9.3 requires.
std::optional<Response> read_mkcol_body(const Request& request, const XmlElement* root,
                                        bool calendar, MkcolBody& body)
{
    if (request.body().empty()) {
        return std::nullopt;
    }
    const bool expected = root != nullptr && (calendar ? root->is(caldav_ns, "mkcalendar")
                                                       : root->is(dav_ns, "mkcol"));
    if (!expected) {
        return make_response(request, http::status::unsupported_media_type,
                             calendar ? "MKCALENDAR body must be a C:mkcalendar element\n"
                                      : "MKCOL body must be empty or a DAV:mkcol element\n");
    }
    body.has_body = true;
    if (const auto* set = root->child(dav_ns, "set")) {
        body.prop = set->child(dav_ns, "prop");
    }
    return std::nullopt;
}

NodeKind kind_from_resourcetype(const XmlElement* prop, NodeKind fallback)
{
    const auto* type = prop != nullptr ? prop->child(dav_ns, "resourcetype") : nullptr;
    if (type == nullptr) {
        return fallback;
    }
    if (type->child(caldav_ns, "calendar") != nullptr) {
        return NodeKind::calendar;
    }
    if (type->child(carddav_ns, "addressbook") != nullptr) {
        return NodeKind::addressbook;
    }
    return NodeKind::collection;
}

NodeKind kind_for_area(Area area)
{
    return area == Area::calendars  ? NodeKind::calendar
           : area == Area::contacts ? NodeKind::addressbook
                                    : NodeKind::collection;
}

} // namespace

Result<WritePlan> Handler::plan_mkcol(const RequestContext& context,
                                      const store::Snapshot& snapshot, bool calendar)
{
    WritePlan plan;
    std::optional<XmlElement> root;
    if (!context.request.body().empty()) {
        auto parsed = parse_xml(context.request.body(), XmlLimits{.max_size = settings_.max_xml_size});
        if (parsed) {
            root = std::move(*parsed);
        }
    }
    MkcolBody body;
    if (auto failed = read_mkcol_body(context.request, root ? &*root : nullptr, calendar, body)) {
        plan.immediate = std::move(*failed);
        return plan;
    }
    if (!may_write(context.user, snapshot, context.path) || context.path.segments.empty()) {
        plan.immediate = forbidden(context.request, context.path);
        return plan;
    }
    auto node = resolve_node(snapshot, context.path);
    auto parent = parent_node(snapshot, context.path);
    if (!node || !parent) {
        return tl::unexpected(!node ? node.error() : parent.error());
    }
    if (node->exists()) {
        plan.immediate = make_response(context.request, http::status::method_not_allowed,
                                       fmt::format("{} exists already\n", node->href()));
        return plan;
    }
    const bool parent_ok = parent->kind == NodeKind::home ||
                           (context.path.area == Area::files && parent->kind == NodeKind::collection);
    if (!parent_ok) {
        plan.immediate = make_response(context.request, http::status::conflict,
                                       fmt::format("the parent collection {} does not exist\n",
                                                   parent->href()));
        return plan;
    }
    if (auto full = check_room_for_member(context.request, snapshot, *parent,
                                          settings_.max_collection_size)) {
        return std::move(*full);
    }

    const NodeKind wanted = calendar ? NodeKind::calendar
                                     : kind_from_resourcetype(body.prop, NodeKind::collection);
    const bool plain_in_dav_home = !body.has_body && !calendar;
    const NodeKind kind = plain_in_dav_home ? kind_for_area(context.path.area) : wanted;
    if (kind != kind_for_area(context.path.area) ||
        (plain_in_dav_home && context.path.area != Area::files)) {
        const XmlName precondition = calendar ? XmlName{std::string(caldav_ns),
                                                        "calendar-collection-location-ok"}
                                              : XmlName{"DAV:", "valid-resourcetype"};
        plan.immediate = make_xml_response(context.request, http::status::forbidden,
                                           error_body(precondition));
        return plan;
    }

    Node created = *node;
    created.kind = kind;
    icalendar::CollectionProperties properties;
    properties.type = kind == NodeKind::calendar      ? "calendar"
                      : kind == NodeKind::addressbook ? "addressbook"
                                                      : "collection";
    std::vector<PropertyResult> results;
    bool failed = false;
    for (const auto* property : body.prop != nullptr ? body.prop->elements()
                                                     : std::vector<const XmlElement*>{}) {
        std::string error;
        const unsigned status = apply_property(properties, kind, *property, false, true, error);
        failed = failed || status != 200;
        results.push_back({property->name, {}, status, error});
    }
    if (failed) {
        for (auto& result : results) {
            result.status = result.status == 200 ? 424 : result.status;
        }
        Multistatus multistatus;
        multistatus.add_properties(created.href(), results);
        plan.immediate = make_xml_response(context.request, http::status::forbidden,
                                           multistatus.finish());
        return plan;
    }
    plan.changes.push_back({fmt::format("{}/{}", context.path.repository_path(),
                                        collection_file_name),
                            write_properties(properties), store::mode_file});
    plan.message = fmt::format("{} {}", calendar ? "MKCALENDAR" : "MKCOL", created.href());
    if (!properties.displayname.empty()) {
        plan.message += fmt::format(": {}", properties.displayname);
    }
    plan.response = make_response(context.request, http::status::created);
    return plan;
}

} // namespace robur::caldav
