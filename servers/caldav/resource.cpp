#include "servers/caldav/resource.hpp"

#include <fmt/format.h>

#include "servers/caldav/user_file.hpp"
#include "store/config.hpp"

namespace robur::caldav {

namespace {

std::string folder_of(const std::string& path)
{
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

std::string name_of(const std::string& path)
{
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

NodeKind collection_kind(Area area)
{
    switch (area) {
    case Area::calendars:
        return NodeKind::calendar;
    case Area::contacts:
        return NodeKind::addressbook;
    default:
        return NodeKind::collection;
    }
}

NodeKind resource_kind(Area area)
{
    switch (area) {
    case Area::calendars:
        return NodeKind::calendar_object;
    case Area::contacts:
        return NodeKind::address_object;
    default:
        return NodeKind::file;
    }
}

std::optional<store::ObjectId> tree_id(const store::Snapshot& snapshot, const std::string& path)
{
    const auto folder = folder_of(path);
    auto entries = snapshot.list(folder);
    if (!entries) {
        return std::nullopt;
    }
    for (const auto& entry : *entries) {
        if (entry.path == path && entry.is_folder()) {
            return entry.id;
        }
    }
    return std::nullopt;
}

// Resolves a path below an area's home: a collection folder or a resource file.
Result<Node> resolve_in_area(const store::Snapshot& snapshot, Node node)
{
    const auto path = node.path.repository_path();
    if (auto blob = snapshot.blob_id(path)) {
        // In calendars/ and contacts/ only the second level contains resources.
        if (node.path.area != Area::files && node.path.segments.size() != 2) {
            return node;
        }
        node.kind = resource_kind(node.path.area);
        node.blob = *blob;
        return node;
    }
    auto tree = tree_id(snapshot, path);
    if (!tree || (node.path.area != Area::files && node.path.segments.size() != 1)) {
        return node;
    }
    node.kind = collection_kind(node.path.area);
    node.tree = *tree;
    auto properties = read_properties(snapshot, node);
    if (!properties) {
        return tl::unexpected(properties.error());
    }
    node.properties = std::move(*properties);
    return node;
}

} // namespace

bool Node::is_collection() const
{
    switch (kind) {
    case NodeKind::root:
    case NodeKind::principal:
    case NodeKind::home:
    case NodeKind::calendar:
    case NodeKind::addressbook:
    case NodeKind::collection:
        return true;
    default:
        return false;
    }
}

std::string Node::etag() const
{
    return blob ? fmt::format("\"{}\"", blob->to_string()) : std::string{};
}

Result<Node> resolve_node(const store::Snapshot& snapshot, const DavPath& path)
{
    Node node{.kind = NodeKind::missing, .path = path, .blob = {}, .tree = {}, .properties = {}};
    if (path.owner.empty()) {
        node.kind = NodeKind::root;
        return node;
    }
    if (!snapshot.blob_id(user_file_path(path.owner))) {
        return node;
    }
    if (path.area == Area::none) {
        node.kind = NodeKind::principal;
        return node;
    }
    if (path.segments.empty()) {
        node.kind = NodeKind::home;
        node.tree = tree_id(snapshot, path.repository_path());
        return node;
    }
    return resolve_in_area(snapshot, std::move(node));
}

Result<std::vector<Node>> list_members(const store::Snapshot& snapshot, const Node& collection)
{
    std::vector<Node> members;
    if (collection.kind == NodeKind::root) {
        return members;
    }
    if (collection.kind == NodeKind::principal) {
        for (const auto area : {Area::calendars, Area::contacts, Area::files}) {
            DavPath path = collection.path;
            path.area = area;
            auto member = resolve_node(snapshot, path);
            if (!member) {
                return tl::unexpected(member.error());
            }
            members.push_back(std::move(*member));
        }
        return members;
    }
    if (!collection.tree) {
        return members;
    }
    auto entries = snapshot.list(collection.path.repository_path());
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    for (const auto& entry : *entries) {
        const auto name = name_of(entry.path);
        if (name.starts_with('.')) {
            continue;
        }
        auto member = resolve_node(snapshot, collection.path.child(name));
        if (!member) {
            return tl::unexpected(member.error());
        }
        if (member->exists()) {
            members.push_back(std::move(*member));
        }
    }
    return members;
}

std::string property_file_path(const Node& node)
{
    const auto path = node.path.repository_path();
    if (node.is_collection()) {
        return fmt::format("{}/{}", path, collection_file_name);
    }
    return fmt::format("{}/{}/{}", folder_of(path), properties_folder_name, name_of(path));
}

Result<icalendar::CollectionProperties> read_properties(const store::Snapshot& snapshot,
                                                        const Node& node)
{
    icalendar::CollectionProperties defaults;
    if (node.kind == NodeKind::calendar) {
        defaults.type = "calendar";
    } else if (node.kind == NodeKind::addressbook) {
        defaults.type = "addressbook";
    } else if (node.kind == NodeKind::collection) {
        defaults.type = "collection";
    }
    const auto path = property_file_path(node);
    auto text = snapshot.read(path);
    if (!text) {
        if (text.error().code == Errc::not_found) {
            return defaults;
        }
        return tl::unexpected(text.error());
    }
    if (node.kind == NodeKind::calendar || node.kind == NodeKind::addressbook) {
        return icalendar::parse_collection_file(*text, path);
    }
    return parse_property_file(*text, path);
}

std::string write_properties(const icalendar::CollectionProperties& properties)
{
    if (properties.type == "calendar" || properties.type == "addressbook") {
        return icalendar::write_collection_file(properties);
    }
    std::string text;
    if (!properties.type.empty() || !properties.displayname.empty()) {
        text += "[collection]\n";
    }
    if (!properties.type.empty()) {
        text += fmt::format("\ttype = {}\n", quote_config_value(properties.type));
    }
    if (!properties.displayname.empty()) {
        text += fmt::format("\tdisplayname = {}\n", quote_config_value(properties.displayname));
    }
    for (const auto& property : properties.dead) {
        std::string subsection;
        for (const char c : property.ns + " " + property.name) {
            if (c == '"' || c == '\\') {
                subsection.push_back('\\');
            }
            subsection.push_back(c);
        }
        text += fmt::format("[property \"{}\"]\n\tvalue = {}\n", subsection,
                            quote_config_value(property.value));
    }
    return text;
}

Result<icalendar::CollectionProperties> parse_property_file(std::string_view text,
                                                           std::string_view path)
{
    auto config = store::Config::parse(text, std::string(path));
    if (!config) {
        return tl::unexpected(config.error());
    }
    icalendar::CollectionProperties properties;
    auto type = config->get_string("collection.type");
    auto displayname = config->get_string("collection.displayname");
    if (!type || !displayname) {
        return tl::unexpected(!type ? type.error() : displayname.error());
    }
    properties.type = type->value_or("");
    properties.displayname = displayname->value_or("");
    for (const auto& subsection : config->subsections("property")) {
        const auto space = subsection.find(' ');
        auto value = config->get_string("property." + subsection + ".value");
        if (space == std::string::npos || !value || !*value) {
            return make_error(Errc::parse_error,
                              fmt::format("{}: invalid property section \"{}\": expected "
                                          "\"<namespace URI> <local name>\" with a value",
                                          path, subsection));
        }
        properties.dead.push_back(
            {subsection.substr(0, space), subsection.substr(space + 1), **value});
    }
    return properties;
}

} // namespace robur::caldav
