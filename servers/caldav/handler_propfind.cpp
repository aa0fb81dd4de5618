// PROPFIND and PROPPATCH (RFC 4918 sections 9.1 and 9.2).

#include <fmt/format.h>

#include "servers/caldav/handler.hpp"
#include "servers/caldav/member_list.hpp"
#include "servers/caldav/multistatus.hpp"
#include "servers/caldav/properties.hpp"
#include "servers/caldav/request_util.hpp"

namespace robur::caldav {

namespace {

enum class PropfindKind { allprop, propname, prop };

struct PropfindRequest {
    PropfindKind kind = PropfindKind::allprop;
    std::vector<XmlName> names; // for prop, and the include of allprop
};

Result<PropfindRequest> parse_propfind(std::string_view body, std::size_t max_size)
{
    PropfindRequest parsed;
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return parsed;
    }
    auto root = parse_xml(body, XmlLimits{.max_size = max_size});
    if (!root) {
        return tl::unexpected(root.error());
    }
    if (!root->is(dav_ns, "propfind")) {
        return make_error(Errc::invalid_argument, "PROPFIND body must be a DAV:propfind element");
    }
    for (const auto* child : root->elements()) {
        if (child->is(dav_ns, "propname")) {
            parsed.kind = PropfindKind::propname;
            return parsed;
        }
        if (child->is(dav_ns, "allprop")) {
            parsed.kind = PropfindKind::allprop;
        } else if (child->is(dav_ns, "prop") || child->is(dav_ns, "include")) {
            if (child->is(dav_ns, "prop")) {
                parsed.kind = PropfindKind::prop;
            }
            for (const auto* property : child->elements()) {
                parsed.names.push_back(property->name);
            }
        }
    }
    if (parsed.kind == PropfindKind::prop && parsed.names.empty() &&
        root->child(dav_ns, "prop") == nullptr) {
        return make_error(Errc::invalid_argument,
                          "DAV:propfind needs one of DAV:prop, DAV:allprop or DAV:propname");
    }
    return parsed;
}

std::vector<icalendar::DeadProperty> dead_properties(const store::Snapshot& snapshot,
                                                     const Node& node)
{
    if (node.is_collection()) {
        return node.properties.dead;
    }
    if (node.kind != NodeKind::file) {
        return {};
    }
    auto properties = read_properties(snapshot, node);
    return properties ? properties->dead : std::vector<icalendar::DeadProperty>{};
}

std::vector<PropertyResult> properties_of(const PropertyContext& context, const Node& node,
                                          const PropfindRequest& request)
{
    std::vector<PropertyResult> results;
    const auto dead = dead_properties(context.snapshot, node);
    if (request.kind == PropfindKind::propname) {
        for (auto& name : live_property_names(node)) {
            results.push_back({std::move(name), {}, 200, {}});
        }
        for (const auto& property : dead) {
            results.push_back({{property.ns, property.name}, {}, 200, {}});
        }
        return results;
    }

    // DAV:prop, which clients send for every member of a Depth: 1 listing, copies no names.
    std::vector<XmlName> allprop_names;
    if (request.kind == PropfindKind::allprop) {
        allprop_names = live_property_names(node);
        for (const auto& property : dead) {
            allprop_names.push_back({property.ns, property.name});
        }
        allprop_names.insert(allprop_names.end(), request.names.begin(), request.names.end());
    }
    const auto& names = request.kind == PropfindKind::allprop ? allprop_names : request.names;
    for (const auto& name : names) {
        if (auto value = live_property(context, node, name)) {
            results.push_back({name, std::move(*value), 200, {}});
            continue;
        }
        const auto found = std::find_if(dead.begin(), dead.end(), [&](const auto& property) {
            return property.ns == name.ns && property.name == name.local;
        });
        if (found != dead.end()) {
            results.push_back({name, found->value, 200, {}});
        } else {
            results.push_back({name, {}, 404, {}});
        }
    }
    return results;
}

} // namespace

Response Handler::propfind(const RequestContext& context)
{
    const auto depth = depth_header(context.request).value_or(Depth::infinity);
    if (depth == Depth::invalid) {
        return make_response(context.request, http::status::bad_request,
                             "Depth must be 0, 1 or infinity\n");
    }
    if (depth == Depth::infinity) {
        return make_xml_response(context.request, http::status::forbidden,
                                 error_body({"DAV:", "propfind-finite-depth"}));
    }
    auto request = parse_propfind(context.request.body(), settings_.max_xml_size);
    if (!request) {
        return make_response(context.request, http::status::bad_request,
                             request.error().message + "\n");
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

    std::vector<Node> nodes = {*node};
    if (depth == Depth::one && node->is_collection()) {
        auto members = list_collection_members(*snapshot, *node);
        if (!members) {
            return error_response(context.request, members.error());
        }
        if (node->kind == NodeKind::root) {
            DavPath principal;
            principal.owner = context.user.name;
            if (auto own = resolve_node(*snapshot, principal)) {
                members->push_back(std::move(*own));
            }
        }
        nodes.insert(nodes.end(), members->begin(), members->end());
    }
    const PropertyContext property_context{*snapshot, context.user, settings_, &resources_};
    Multistatus multistatus;
    for (const auto& member : nodes) {
        multistatus.add_properties(member.href(), properties_of(property_context, member, *request));
    }
    return make_xml_response(context.request, http::status::multi_status, multistatus.finish());
}

Response Handler::proppatch(const RequestContext& context)
{
    auto body = parse_xml(context.request.body(), XmlLimits{.max_size = settings_.max_xml_size});
    if (!body || !body->is(dav_ns, "propertyupdate")) {
        return make_response(context.request, http::status::bad_request,
                             body ? std::string("PROPPATCH body must be a DAV:propertyupdate "
                                                "element\n")
                                  : body.error().message + "\n");
    }
    return run_write(context, [&](const store::Snapshot& snapshot) {
        return plan_proppatch(context, snapshot, *body);
    });
}

Result<WritePlan> Handler::plan_proppatch(const RequestContext& context,
                                          const store::Snapshot& snapshot,
                                          const XmlElement& body)
{
    WritePlan plan;
    auto node = resolve_node(snapshot, context.path);
    if (!node) {
        return tl::unexpected(node.error());
    }
    if (!node->exists()) {
        plan.immediate = make_response(context.request, http::status::not_found);
        return plan;
    }
    if (!may_write(context.user, snapshot, context.path)) {
        plan.immediate = forbidden(context.request, context.path);
        return plan;
    }
    if (auto failed = check_preconditions(context.request, *node)) {
        plan.immediate = std::move(*failed);
        return plan;
    }
    auto properties = read_properties(snapshot, *node);
    if (!properties) {
        return tl::unexpected(properties.error());
    }
    // Only collections and plain resources keep properties; a calendar or address object
    // resource is exactly the bytes the client stored.
    const bool writable = node->kind == NodeKind::calendar ||
                          node->kind == NodeKind::addressbook ||
                          node->kind == NodeKind::collection || node->kind == NodeKind::file;

    std::vector<PropertyResult> results;
    bool failed = false;
    for (const auto* instruction : body.elements()) {
        const bool remove = instruction->is(dav_ns, "remove");
        if (!remove && !instruction->is(dav_ns, "set")) {
            continue;
        }
        const auto* prop = instruction->child(dav_ns, "prop");
        for (const auto* property : prop != nullptr ? prop->elements()
                                                    : std::vector<const XmlElement*>{}) {
            std::string error;
            const unsigned status =
                writable ? apply_property(*properties, node->kind, *property, remove, false, error)
                         : 403;
            failed = failed || status != 200;
            results.push_back({property->name, {}, status, error});
        }
    }
    // RFC 4918 section 9.2: the instructions apply all or none.
    if (failed) {
        for (auto& result : results) {
            result.status = result.status == 200 ? 424 : result.status;
        }
    }
    Multistatus multistatus;
    multistatus.add_properties(node->href(), results);
    auto response = make_xml_response(context.request, http::status::multi_status,
                                      multistatus.finish());
    if (failed) {
        plan.immediate = std::move(response);
        return plan;
    }
    const auto path = property_file_path(*node);
    const bool empty = properties->dead.empty() && !node->is_collection();
    if (empty && !snapshot.blob_id(path)) {
        plan.immediate = std::move(response);
        return plan;
    }
    plan.changes.push_back(
        {path, empty ? std::nullopt : std::optional<std::string>(write_properties(*properties)),
         store::mode_file});
    plan.message = fmt::format("PROPPATCH {}", node->href());
    plan.response = std::move(response);
    return plan;
}

} // namespace robur::caldav
