#include "servers/caldav/properties.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "servers/caldav/calendar_zone.hpp"
#include "servers/caldav/multistatus.hpp"
#include "servers/caldav/request_util.hpp"

namespace robur::caldav {

namespace {

constexpr std::string_view sync_token_prefix = "http://robur.dev/ns/sync/";

const XmlName resourcetype{"DAV:", "resourcetype"};
const XmlName displayname{"DAV:", "displayname"};
const XmlName calendar_description{std::string(caldav_ns), "calendar-description"};
const XmlName addressbook_description{std::string(carddav_ns), "addressbook-description"};
const XmlName calendar_color{std::string(apple_ical_ns), "calendar-color"};
const XmlName component_set{std::string(caldav_ns), "supported-calendar-component-set"};
const XmlName calendar_timezone{std::string(caldav_ns), "calendar-timezone"};
const XmlName valid_calendar_data{std::string(caldav_ns), "valid-calendar-data"};

std::string href(std::string_view path)
{
    return element_xml({"DAV:", "href"}, escape_xml(path));
}

std::string resourcetype_content(NodeKind kind)
{
    // Built per case, because a resource, the most common member of a Depth: 1 listing, has
    // an empty resourcetype.
    switch (kind) {
    case NodeKind::principal:
        return element_xml({"DAV:", "collection"}) + element_xml({"DAV:", "principal"});
    case NodeKind::calendar:
        return element_xml({"DAV:", "collection"}) +
               element_xml({std::string(caldav_ns), "calendar"});
    case NodeKind::addressbook:
        return element_xml({"DAV:", "collection"}) +
               element_xml({std::string(carddav_ns), "addressbook"});
    case NodeKind::root:
    case NodeKind::home:
    case NodeKind::collection:
        return element_xml({"DAV:", "collection"});
    default:
        return {};
    }
}

std::string privileges(bool write)
{
    std::string content;
    std::vector<std::string_view> names = {"read", "read-current-user-privilege-set"};
    if (write) {
        names.insert(names.end(), {"write", "write-properties", "write-content", "bind",
                                   "unbind"});
    }
    for (const auto name : names) {
        content += element_xml({"DAV:", "privilege"}, element_xml({"DAV:", std::string(name)}));
    }
    return content;
}

std::string supported_reports(NodeKind kind)
{
    std::vector<XmlName> reports = {{"DAV:", "sync-collection"}};
    if (kind == NodeKind::calendar) {
        reports.push_back({std::string(caldav_ns), "calendar-multiget"});
        reports.push_back({std::string(caldav_ns), "calendar-query"});
    } else if (kind == NodeKind::addressbook) {
        reports.push_back({std::string(carddav_ns), "addressbook-multiget"});
        reports.push_back({std::string(carddav_ns), "addressbook-query"});
    }
    std::string content;
    for (const auto& report : reports) {
        content += element_xml({"DAV:", "supported-report"},
                               element_xml({"DAV:", "report"}, element_xml(report)));
    }
    return content;
}

std::optional<UserRecord> owner_record(const PropertyContext& context, const Node& node)
{
    if (node.path.owner == context.user.name) {
        return context.user;
    }
    auto text = context.snapshot.read(user_file_path(node.path.owner));
    if (!text) {
        return std::nullopt;
    }
    auto record = parse_user_file(*text, node.path.owner);
    return record ? std::optional<UserRecord>(*record) : std::nullopt;
}

DavPath principal_path(const std::string& user)
{
    DavPath path;
    path.owner = user;
    return path;
}

DavPath home_path(const std::string& user, Area area)
{
    DavPath path = principal_path(user);
    path.area = area;
    return path;
}

std::optional<std::string> content_length(const PropertyContext& context, const Node& node)
{
    const auto path = node.path.repository_path();
    if (context.resources != nullptr && node.blob) {
        auto facts = context.resources->facts(context.snapshot, path, *node.blob, false);
        return facts ? std::optional<std::string>(std::to_string((*facts)->size)) : std::nullopt;
    }
    auto content = context.snapshot.read(path);
    return content ? std::optional<std::string>(std::to_string(content->size())) : std::nullopt;
}

std::optional<std::string> principal_property(const PropertyContext& context, const Node& node,
                                              const std::string& local)
{
    if (local == "principal-URL") {
        return href(node.href());
    }
    if (local == "displayname") {
        const auto owner = owner_record(context, node);
        return escape_xml(owner && !owner->displayname.empty() ? owner->displayname
                                                               : node.path.owner);
    }
    return std::nullopt;
}

std::optional<std::string> dav_property(const PropertyContext& context, const Node& node,
                                        const std::string& local)
{
    if (local == "resourcetype") {
        return resourcetype_content(node.kind);
    }
    if (local == "current-user-principal") {
        return href(principal_path(context.user.name).href(true));
    }
    if (local == "owner" && !node.path.owner.empty()) {
        return href(principal_path(node.path.owner).href(true));
    }
    if (local == "principal-collection-set") {
        return href("/");
    }
    if (local == "current-user-privilege-set") {
        const bool write = node.path.owner == context.user.name && !node.path.segments.empty();
        return privileges(write || (node.path.owner == context.user.name &&
                                    node.kind == NodeKind::home));
    }
    if (node.kind == NodeKind::principal) {
        return principal_property(context, node, local);
    }
    if (local == "displayname" && node.is_collection() && !node.properties.displayname.empty()) {
        return escape_xml(node.properties.displayname);
    }
    if (local == "supported-report-set" && node.is_collection()) {
        return supported_reports(node.kind);
    }
    if (local == "sync-token" &&
        (node.kind == NodeKind::calendar || node.kind == NodeKind::addressbook)) {
        return escape_xml(sync_token_for(context.snapshot.commit_id()));
    }
    if (node.is_collection()) {
        return std::nullopt;
    }
    if (local == "getetag") {
        return escape_xml(node.etag());
    }
    if (local == "getcontenttype") {
        return escape_xml(content_type_for(node));
    }
    if (local == "getcontentlength") {
        return content_length(context, node);
    }
    return std::nullopt;
}

std::optional<std::string> calendar_property(const PropertyContext& context, const Node& node,
                                             const std::string& local)
{
    if (node.kind == NodeKind::principal) {
        if (local == "calendar-home-set") {
            return href(home_path(node.path.owner, Area::calendars).href(true));
        }
        if (local == "calendar-user-address-set") {
            const auto owner = owner_record(context, node);
            std::string content = href(node.href());
            if (owner && !owner->email.empty()) {
                content = href("mailto:" + owner->email) + content;
            }
            return content;
        }
        return std::nullopt;
    }
    if (node.kind != NodeKind::calendar) {
        return std::nullopt;
    }
    if (local == "calendar-description" && !node.properties.description.empty()) {
        return escape_xml(node.properties.description);
    }
    if (local == "supported-calendar-component-set") {
        std::string content;
        const std::vector<std::string> all = {"VEVENT", "VTODO", "VJOURNAL"};
        for (const auto& component : node.properties.components.empty()
                                         ? all
                                         : node.properties.components) {
            content += fmt::format("<C:comp name=\"{}\"/>", escape_xml(component));
        }
        return content;
    }
    if (local == "supported-calendar-data") {
        return std::string("<C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>");
    }
    if (local == "max-resource-size") {
        return std::to_string(context.settings.max_resource_size);
    }
    return std::nullopt;
}

std::optional<std::string> carddav_property(const PropertyContext& context, const Node& node,
                                            const std::string& local)
{
    if (node.kind == NodeKind::principal && local == "addressbook-home-set") {
        return href(home_path(node.path.owner, Area::contacts).href(true));
    }
    if (node.kind != NodeKind::addressbook) {
        return std::nullopt;
    }
    if (local == "addressbook-description" && !node.properties.description.empty()) {
        return escape_xml(node.properties.description);
    }
    if (local == "supported-address-data") {
        return std::string("<CR:address-data-type content-type=\"text/vcard\" version=\"3.0\"/>"
                           "<CR:address-data-type content-type=\"text/vcard\" version=\"4.0\"/>");
    }
    if (local == "max-resource-size") {
        return std::to_string(context.settings.max_resource_size);
    }
    return std::nullopt;
}

bool is_protected(const XmlName& name, NodeKind kind, bool creating)
{
    if (creating && (name == resourcetype || name == component_set)) {
        return false;
    }
    if (name.ns == dav_ns) {
        static const std::array<std::string_view, 14> names = {
            "resourcetype", "getetag", "getcontentlength", "getcontenttype",
            "getlastmodified", "creationdate", "lockdiscovery", "supportedlock",
            "sync-token", "current-user-principal", "current-user-privilege-set", "owner",
            "supported-report-set", "principal-URL"};
        return std::find(names.begin(), names.end(), name.local) != names.end();
    }
    if (name.ns == caldav_ns) {
        // TODO: calendar-timezone-id (RFC 7809) is read from .collection but protected here.
        // Accepting it needs the known-zone check that a report's CALDAV:timezone-id gets.
        return name.local != "calendar-description" && name.local != "calendar-timezone" &&
               kind == NodeKind::calendar;
    }
    if (name.ns == carddav_ns) {
        return name.local != "addressbook-description" && kind == NodeKind::addressbook;
    }
    return name == XmlName{std::string(calendarserver_ns), "getctag"};
}

std::string inner_xml(const XmlElement& element)
{
    std::string content;
    for (const auto& child : element.children) {
        content += serialize_xml(child);
    }
    return content;
}

std::vector<std::string> components_of(const XmlElement& property)
{
    std::vector<std::string> components;
    for (const auto* comp : property.elements()) {
        for (const auto& attribute : comp->attributes) {
            if (comp->is(caldav_ns, "comp") && attribute.name.local == "name") {
                components.push_back(attribute.value);
            }
        }
    }
    return components;
}

// Sets or clears a property that maps to a field of the .collection file; false when the
// property is stored as a dead property instead.
bool apply_mapped(icalendar::CollectionProperties& properties, NodeKind kind,
                  const XmlElement& property, bool remove)
{
    const bool collection = kind == NodeKind::calendar || kind == NodeKind::addressbook ||
                            kind == NodeKind::collection;
    std::string* field = nullptr;
    if (property.name == displayname && collection) {
        field = &properties.displayname;
    } else if ((property.name == calendar_description && kind == NodeKind::calendar) ||
               (property.name == addressbook_description && kind == NodeKind::addressbook)) {
        field = &properties.description;
    } else if (property.name == calendar_color && kind == NodeKind::calendar) {
        field = &properties.color;
    }
    if (field == nullptr) {
        return false;
    }
    *field = remove ? std::string{} : property.text_content();
    return true;
}

} // namespace

std::string sync_token_for(const store::ObjectId& commit)
{
    return fmt::format("{}{}", sync_token_prefix, commit.to_string());
}

std::optional<store::ObjectId> commit_from_sync_token(std::string_view token)
{
    if (!token.starts_with(sync_token_prefix)) {
        return std::nullopt;
    }
    return store::ObjectId::from_hex(token.substr(sync_token_prefix.size()));
}

std::optional<std::string> live_property(const PropertyContext& context, const Node& node,
                                         const XmlName& name)
{
    if (name.ns == dav_ns) {
        return dav_property(context, node, name.local);
    }
    if (name.ns == caldav_ns) {
        return calendar_property(context, node, name.local);
    }
    if (name.ns == carddav_ns) {
        return carddav_property(context, node, name.local);
    }
    if (name.ns == calendarserver_ns && name.local == "getctag" && node.tree &&
        (node.kind == NodeKind::calendar || node.kind == NodeKind::addressbook)) {
        // The tree id of the collection folder changes exactly when a member or a
        // property changes.
        return escape_xml(fmt::format("\"{}\"", node.tree->to_string()));
    }
    if (name == calendar_color && node.kind == NodeKind::calendar &&
        !node.properties.color.empty()) {
        return escape_xml(node.properties.color);
    }
    return std::nullopt;
}

std::vector<XmlName> live_property_names(const Node& node)
{
    std::vector<XmlName> names = {resourcetype, {"DAV:", "current-user-principal"},
                                  {"DAV:", "current-user-privilege-set"}};
    if (node.kind == NodeKind::principal) {
        names.insert(names.end(), {displayname,
                                   {"DAV:", "principal-URL"},
                                   {std::string(caldav_ns), "calendar-home-set"},
                                   {std::string(caldav_ns), "calendar-user-address-set"},
                                   {std::string(carddav_ns), "addressbook-home-set"}});
    } else if (!node.is_collection()) {
        names.insert(names.end(), {{"DAV:", "getetag"},
                                   {"DAV:", "getcontenttype"},
                                   {"DAV:", "getcontentlength"}});
    }
    if (node.is_collection() && !node.properties.displayname.empty()) {
        names.push_back(displayname);
    }
    if (node.kind == NodeKind::calendar) {
        names.insert(names.end(), {{"DAV:", "sync-token"},
                                   {std::string(calendarserver_ns), "getctag"},
                                   component_set,
                                   {std::string(caldav_ns), "supported-calendar-data"}});
        if (!node.properties.description.empty()) {
            names.push_back(calendar_description);
        }
        if (!node.properties.color.empty()) {
            names.push_back(calendar_color);
        }
    } else if (node.kind == NodeKind::addressbook) {
        names.insert(names.end(), {{"DAV:", "sync-token"},
                                   {std::string(calendarserver_ns), "getctag"},
                                   {std::string(carddav_ns), "supported-address-data"}});
        if (!node.properties.description.empty()) {
            names.push_back(addressbook_description);
        }
    }
    return names;
}

unsigned apply_property(icalendar::CollectionProperties& properties, NodeKind kind,
                        const XmlElement& property, bool remove, bool creating,
                        std::string& error)
{
    if (is_protected(property.name, kind, creating)) {
        error = element_xml({"DAV:", "cannot-modify-protected-property"});
        return 403;
    }
    if (creating && (property.name == resourcetype)) {
        return 200;
    }
    if (creating && property.name == component_set) {
        properties.components = components_of(property);
        return 200;
    }
    // RFC 4791 sections 5.2.2 and 5.3.1.1: a calendar-timezone that is not an iCalendar
    // object with exactly one VTIMEZONE fails with CALDAV:valid-calendar-data. 409 is the
    // status RFC 4918 section 9.2.1 gives a value whose semantics do not fit the property.
    if (!remove && property.name == calendar_timezone && kind == NodeKind::calendar) {
        if (auto checked = check_calendar_timezone(property.text_content()); !checked) {
            error = element_xml(valid_calendar_data, escape_xml(checked.error()));
            return 409;
        }
    }
    if (apply_mapped(properties, kind, property, remove)) {
        return 200;
    }
    auto& dead = properties.dead;
    std::erase_if(dead, [&](const icalendar::DeadProperty& existing) {
        return existing.ns == property.name.ns && existing.name == property.name.local;
    });
    if (!remove) {
        dead.push_back({property.name.ns, property.name.local, inner_xml(property)});
    }
    return 200;
}

} // namespace robur::caldav
