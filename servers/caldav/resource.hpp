#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "formats/icalendar/collection_file.hpp"
#include "servers/caldav/dav_path.hpp"
#include "store/snapshot.hpp"

namespace robur::caldav {

// The name of the file that marks a collection folder and stores its properties.
inline constexpr std::string_view collection_file_name = ".collection";

// The folder, inside a collection folder, that contains the dead properties of plain WebDAV
// resources: <collection>/.properties/<resource name>.
inline constexpr std::string_view properties_folder_name = ".properties";

// The kind of a request target in the commit being served.
enum class NodeKind {
    missing,
    root,            // "/"
    principal,       // "/<user>/"
    home,            // "/<user>/calendars/", "/<user>/contacts/", "/<user>/files/"
    calendar,        // a calendar collection
    addressbook,     // an address book collection
    collection,      // a plain WebDAV collection under files/
    calendar_object, // a calendar object resource (.ics)
    address_object,  // an address object resource (.vcf)
    file,            // a plain WebDAV resource under files/
};

struct Node {
    NodeKind kind = NodeKind::missing;
    DavPath path;
    std::optional<store::ObjectId> blob;  // of a resource
    std::optional<store::ObjectId> tree;  // of a collection folder, when it exists in Git
    icalendar::CollectionProperties properties; // of a collection, from its .collection

    [[nodiscard]] bool exists() const { return kind != NodeKind::missing; }
    [[nodiscard]] bool is_collection() const;
    [[nodiscard]] std::string href() const { return path.href(is_collection()); }
    // The strong ETag of a resource: its blob id in double quotes; empty for a collection.
    [[nodiscard]] std::string etag() const;
};

// Resolves a path against a snapshot. A principal and its homes exist when
// users/<owner>.conf does. Errors: parse_error for a malformed .collection file.
[[nodiscard]] Result<Node> resolve_node(const store::Snapshot& snapshot, const DavPath& path);

// Lists the members of a collection node (Depth: 1). Errors from reading the snapshot.
[[nodiscard]] Result<std::vector<Node>> list_members(const store::Snapshot& snapshot,
                                                     const Node& collection);

// Returns the repository path of a collection's property file, or of a plain resource's
// dead property file.
[[nodiscard]] std::string property_file_path(const Node& node);

// Reads the property file of a node; default properties when it has none.
[[nodiscard]] Result<icalendar::CollectionProperties> read_properties(
    const store::Snapshot& snapshot, const Node& node);

// Writes the property file text for a node: .collection files of calendars and address books
// in the shared format, others in the same syntax with type "collection" or no type.
[[nodiscard]] std::string write_properties(const icalendar::CollectionProperties& properties);

// Parses any property file, whatever its type. Errors: parse_error with path:line.
[[nodiscard]] Result<icalendar::CollectionProperties> parse_property_file(std::string_view text,
                                                                        std::string_view path);

} // namespace robur::caldav
