// REPORT: calendar-multiget (RFC 4791 section 7.9), calendar-query (section 7.8),
// free-busy-query (section 7.10), addressbook-multiget (RFC 6352 section 8.7),
// addressbook-query (section 8.6) and sync-collection (RFC 6578). Each report is one
// function; the others get 403 DAV:supported-report.

#include <chrono>

#include <fmt/format.h>

#include "core/log.hpp"
#include "formats/icalendar/parser.hpp"
#include "formats/vcard/content_line.hpp"
#include "servers/caldav/addressbook_query.hpp"
#include "servers/caldav/calendar_query.hpp"
#include "servers/caldav/calendar_zone.hpp"
#include "servers/caldav/handler.hpp"
#include "servers/caldav/member_list.hpp"
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

// The options of a CALDAV:calendar-data element that change the returned bytes.
struct CalendarDataRequest {
    std::optional<TimeRange> expand; // CALDAV:expand: instances in this range, in UTC
    std::optional<TimeRange> limit;  // CALDAV:limit-recurrence-set
    std::optional<ComponentSelection> selection; // CALDAV:comp: partial retrieval
    FloatingZone floating; // the zone floating times are expanded in
};

// Parses the range of CALDAV:expand or CALDAV:limit-recurrence-set, which RFC 4791 section
// 9.6 requires to have both start and end.
tl::expected<TimeRange, FilterError> parse_data_range(const XmlElement& element)
{
    auto range = parse_time_range(element);
    if (!range) {
        return tl::unexpected(FilterError{{std::string(caldav_ns), "valid-calendar-data"},
                                          range.error().message});
    }
    if (!range->start || !range->end) {
        return tl::unexpected(FilterError{{std::string(caldav_ns), "valid-calendar-data"},
                                          fmt::format("{} needs both start and end",
                                                      element.name.local)});
    }
    return range;
}

// Reads the expand, limit-recurrence-set and comp children of the calendar-data element in
// DAV:prop.
tl::expected<CalendarDataRequest, FilterError> parse_calendar_data_request(const XmlElement& body)
{
    CalendarDataRequest request;
    const auto* prop = body.child(dav_ns, "prop");
    const auto* data = prop != nullptr ? prop->child(caldav_ns, "calendar-data") : nullptr;
    if (data == nullptr) {
        return request;
    }
    // NOTE: limit-freebusy-set is ignored, so a stored VFREEBUSY keeps all its periods.
    for (const auto* child : data->elements()) {
        if (child->is(caldav_ns, "expand") || child->is(caldav_ns, "limit-recurrence-set")) {
            auto range = parse_data_range(*child);
            if (!range) {
                return tl::unexpected(range.error());
            }
            if (child->is(caldav_ns, "expand")) {
                request.expand = *range;
            } else {
                request.limit = *range;
            }
        } else if (child->is(caldav_ns, "comp")) {
            request.selection = parse_component_selection(*child);
        }
    }
    return request;
}

// Returns the calendar-data to send for stored bytes: the bytes themselves, or the expanded
// instances when the request contains CALDAV:expand.
std::string calendar_data_text(std::string content, const CalendarDataRequest& request,
                               std::string_view path)
{
    if (!request.expand && !request.limit && !request.selection) {
        return content;
    }
    auto parsed = icalendar::parse_calendar_text(content, path, icalendar::Limits{});
    if (parsed.calendars.size() != 1) {
        return content;
    }

    auto calendar = std::move(parsed.calendars.front());
    if (request.expand) {
        auto expanded = expand_component(calendar, *request.expand, request.floating);
        if (!expanded) {
            return content;
        }
        calendar = std::move(*expanded);
    } else if (request.limit) {
        calendar = limit_recurrence_set(calendar, *request.limit, request.floating);
    }
    if (request.selection) {
        calendar = select_parts(calendar, *request.selection);
    }
    return icalendar::write_component(calendar);
}

// Returns the CALDAV:calendar-data of a calendar object resource escaped for XML, or nullopt
// when it cannot be read. Stored bytes returned whole come from the resource cache.
std::optional<std::string> calendar_data_xml(const PropertyContext& context, const Node& node,
                                             const CalendarDataRequest& request)
{
    const auto path = node.path.repository_path();
    const bool whole = !request.expand && !request.limit && !request.selection;
    if (whole && context.resources != nullptr && node.blob) {
        auto escaped = context.resources->escaped_content(context.snapshot, path, *node.blob);
        return escaped ? std::optional<std::string>(**escaped) : std::nullopt;
    }
    auto content = context.snapshot.read(path);
    if (!content) {
        return std::nullopt;
    }
    return escape_xml(calendar_data_text(std::move(*content), request, path));
}

// Builds the CARDDAV:address-data of an address object resource, or nullopt when it cannot
// be read. A failed version conversion gives 415 with CARDDAV:supported-address-data-conversion,
// as the example of RFC 6352 section 8.7.2 shows.
std::optional<PropertyResult> address_data_property(const PropertyContext& context,
                                                    const Node& node,
                                                    const AddressDataRequest& request)
{
    const auto path = node.path.repository_path();
    auto content = context.snapshot.read(path);
    if (!content) {
        return std::nullopt;
    }
    auto text = address_data_text(std::move(*content), request, path);
    if (!text) {
        log::get("caldav")->debug("address-data conversion failed path={} error=\"{}\"", path,
                                  text.error());
        return PropertyResult{address_data, {}, 415,
                              element_xml({std::string(carddav_ns),
                                           "supported-address-data-conversion"})};
    }
    return PropertyResult{address_data, escape_xml(*text), 200, {}};
}

std::vector<PropertyResult> member_properties(const PropertyContext& context, const Node& node,
                                              const std::vector<XmlName>& names,
                                              const CalendarDataRequest& data_request = {},
                                              const AddressDataRequest& address_request = {})
{
    std::vector<PropertyResult> results;
    for (const auto& name : names) {
        if (name == address_data && node.kind == NodeKind::address_object) {
            if (auto property = address_data_property(context, node, address_request)) {
                results.push_back(std::move(*property));
                continue;
            }
        }
        if (name == calendar_data && node.kind == NodeKind::calendar_object) {
            if (auto text = calendar_data_xml(context, node, data_request)) {
                results.push_back({name, std::move(*text), 200, {}});
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

Response filter_error_response(const Request& request, const FilterError& error)
{
    log::get("caldav")->debug("report rejected target={} precondition={} error=\"{}\"",
                              as_std(request.target()), error.precondition.local, error.message);
    return make_xml_response(request, http::status::forbidden,
                             error_body(error.precondition, escape_xml(error.message)));
}

// Builds the 403 (or, without a precondition, 400) response to a rejected addressbook-query
// or address-data request.
Response query_error_response(const Request& request, const QueryError& error)
{
    log::get("caldav")->debug("report rejected target={} precondition={} error=\"{}\"",
                              as_std(request.target()),
                              error.precondition ? error.precondition->local : "none",
                              error.message);
    if (!error.precondition) {
        return make_response(request, http::status::bad_request, error.message + "\n");
    }
    return make_xml_response(request, http::status::forbidden,
                             error_body(*error.precondition, error.content));
}

// Returns the address object resources among `members` that match the filter, in order. A
// resource that no longer parses as one vCard (stored before a rule was added) matches nothing.
std::vector<const Node*> matching_cards(const store::Snapshot& snapshot,
                                        const std::vector<Node>& members, const CardFilter& filter)
{
    std::vector<const Node*> matched;
    for (const auto& member : members) {
        if (member.kind != NodeKind::address_object) {
            continue;
        }
        const auto path = member.path.repository_path();
        auto content = snapshot.read(path);
        if (!content) {
            continue;
        }
        auto parsed = vcard::read_cards(*content, path, vcard::ReadLimits{});
        if (parsed.cards.size() == 1 && matches_card(filter, parsed.cards.front())) {
            matched.push_back(&member);
        }
    }
    return matched;
}

// Builds the response to a free-busy-query (RFC 4791 section 7.10) on a calendar collection:
// one VFREEBUSY with the busy time in its range.
Response report_free_busy(const RequestContext& context, const store::Snapshot& snapshot,
                          const Node& node, const XmlElement& body, ResourceCache& resources)
{
    if (node.kind != NodeKind::calendar) {
        return make_xml_response(context.request, http::status::forbidden,
                                 error_body({"DAV:", "supported-report"}));
    }
    const auto* range_element = body.child(caldav_ns, "time-range");
    auto range = range_element != nullptr
                     ? parse_time_range(*range_element)
                     : tl::expected<TimeRange, FilterError>(tl::unexpect, FilterError{});
    if (!range || !range->start || !range->end) {
        const auto message = range ? std::string("time-range needs both start and end")
                             : range_element == nullptr ? std::string("time-range is missing")
                                                        : range.error().message;
        log::get("caldav")->debug("free-busy-query rejected target={} error=\"{}\"",
                                  as_std(context.request.target()), message);
        return make_response(context.request, http::status::bad_request,
                             fmt::format("free-busy-query: {}\n", message));
    }
    auto floating = report_floating_zone(snapshot, node, &body);
    if (!floating) {
        return filter_error_response(context.request, floating.error());
    }
    auto members = list_collection_members(snapshot, node);
    if (!members) {
        return error_response(context.request, members.error());
    }

    std::vector<BusyPeriod> periods;
    for (const auto& member : *members) {
        const auto path = member.path.repository_path();
        if (member.kind != NodeKind::calendar_object || !member.blob) {
            continue;
        }
        auto facts = resources.facts(snapshot, path, *member.blob, true);
        if (!facts || !(*facts)->calendar || !may_overlap(*(*facts)->calendar, *range)) {
            continue;
        }
        auto calendar = resources.parsed_calendar(snapshot, path, **facts);
        if (calendar && *calendar) {
            add_busy_periods(**calendar, *range, periods, *floating);
        }
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return make_response(context.request, http::status::ok,
                         write_free_busy(std::move(periods), *range, now),
                         "text/calendar; charset=utf-8");
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
    if (body->is(caldav_ns, "free-busy-query")) {
        return report_free_busy(context, *snapshot, *node, *body, resources_);
    }
    if (body->is(carddav_ns, "addressbook-query")) {
        return report_addressbook_query(context, *snapshot, *node, *body);
    }
    return make_xml_response(context.request, http::status::forbidden,
                             error_body({"DAV:", "supported-report"}));
}

Response Handler::report_multiget(const RequestContext& context, const store::Snapshot& snapshot,
                                  const Node& node, const XmlElement& body)
{
    auto data_request = parse_calendar_data_request(body);
    if (!data_request) {
        return filter_error_response(context.request, data_request.error());
    }
    auto address_request = parse_address_data_request(body);
    if (!address_request) {
        return query_error_response(context.request, address_request.error());
    }
    data_request->floating = report_floating_zone(snapshot, node, nullptr).value_or(FloatingZone{});
    const auto names = requested_names(body);
    const PropertyContext property_context{snapshot, context.user, settings_, &resources_};
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
                                   member_properties(property_context, *member, names,
                                                     *data_request, *address_request));
    }
    return make_xml_response(context.request, http::status::multi_status, multistatus.finish());
}

Response Handler::report_calendar_query(const RequestContext& context,
                                        const store::Snapshot& snapshot, const Node& node,
                                        const XmlElement& body)
{
    if (node.kind != NodeKind::calendar && node.kind != NodeKind::calendar_object) {
        return make_xml_response(context.request, http::status::forbidden,
                                 error_body({"DAV:", "supported-report"}));
    }
    const auto* filter_element = body.child(caldav_ns, "filter");
    if (filter_element == nullptr) {
        return filter_error_response(context.request,
                                     {{std::string(caldav_ns), "valid-filter"},
                                      "calendar-query without a filter element"});
    }
    auto filter = parse_filter(*filter_element);
    if (!filter) {
        return filter_error_response(context.request, filter.error());
    }
    auto data_request = parse_calendar_data_request(body);
    if (!data_request) {
        return filter_error_response(context.request, data_request.error());
    }
    auto floating = report_floating_zone(snapshot, node, &body);
    if (!floating) {
        return filter_error_response(context.request, floating.error());
    }
    data_request->floating = std::move(*floating);
    std::vector<Node> members{node};
    if (node.kind == NodeKind::calendar) {
        auto listed = list_collection_members(snapshot, node);
        if (!listed) {
            return error_response(context.request, listed.error());
        }
        members = std::move(*listed);
    }

    const auto names = requested_names(body);
    const PropertyContext property_context{snapshot, context.user, settings_, &resources_};
    Multistatus multistatus;
    for (const auto& member : members) {
        if (member.kind != NodeKind::calendar_object || !member.blob) {
            continue;
        }
        auto matched = resources_.matches(snapshot, member.path.repository_path(), *member.blob,
                                          *filter, data_request->floating);
        if (!matched || !*matched) {
            continue;
        }
        multistatus.add_properties(
            member.href(), member_properties(property_context, member, names, *data_request));
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
    const PropertyContext property_context{snapshot, context.user, settings_, &resources_};
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

// Runs an addressbook-query (RFC 6352 section 8.6) on an address book or on one address object
// resource. In an address book the filter selects among the members at Depth 1 or infinity,
// and nothing at Depth 0. A request without Depth is read as Depth 1.
Response Handler::report_addressbook_query(const RequestContext& context,
                                           const store::Snapshot& snapshot, const Node& node,
                                           const XmlElement& body)
{
    if (node.kind != NodeKind::addressbook && node.kind != NodeKind::address_object) {
        return make_xml_response(context.request, http::status::forbidden,
                                 error_body({"DAV:", "supported-report"}));
    }
    const auto depth = depth_header(context.request).value_or(Depth::one);
    if (depth == Depth::invalid) {
        return make_response(context.request, http::status::bad_request,
                             "Depth must be 0, 1 or infinity\n");
    }
    const auto* filter_element = body.child(carddav_ns, "filter");
    if (filter_element == nullptr) {
        return make_response(context.request, http::status::bad_request,
                             "addressbook-query without a CARDDAV:filter element\n");
    }
    auto filter = parse_card_filter(*filter_element);
    if (!filter) {
        return query_error_response(context.request, filter.error());
    }
    auto limit = parse_result_limit(body);
    if (!limit) {
        return query_error_response(context.request, limit.error());
    }
    auto address_request = parse_address_data_request(body);
    if (!address_request) {
        return query_error_response(context.request, address_request.error());
    }

    std::vector<Node> members{node};
    if (node.kind == NodeKind::addressbook) {
        // Depth 0 scopes the query to the address book itself, which is no address object.
        auto listed = depth == Depth::zero ? Result<std::vector<Node>>{}
                                           : list_members(snapshot, node);
        if (!listed) {
            return error_response(context.request, listed.error());
        }
        members = std::move(*listed);
    }
    auto matched = matching_cards(snapshot, members, *filter);

    // RFC 6352 section 8.6.1: a result set cut to the client's limit carries a 507 response
    // for the Request-URI with DAV:number-of-matches-within-limits.
    Multistatus multistatus;
    if (*limit && matched.size() > **limit) {
        matched.resize(**limit);
        multistatus.add_status(node.href(), 507,
                               element_xml({"DAV:", "number-of-matches-within-limits"}));
    }
    const auto names = requested_names(body);
    const PropertyContext property_context{snapshot, context.user, settings_, &resources_};
    for (const auto* member : matched) {
        multistatus.add_properties(member->href(),
                                   member_properties(property_context, *member, names, {},
                                                     *address_request));
    }
    return make_xml_response(context.request, http::status::multi_status, multistatus.finish());
}

} // namespace robur::caldav
