#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace robur::icalendar {

// A WebDAV property set by PROPPATCH that the server stores without interpreting it.
struct DeadProperty {
    std::string ns;    // namespace URI, empty for a property without a namespace
    std::string name;  // local name
    std::string value; // the property's content as the client sent it
    friend bool operator==(const DeadProperty&, const DeadProperty&) = default;
};

// The properties of a calendar or address book collection, stored in its `.collection` file.
struct CollectionProperties {
    std::string type; // "calendar" or "addressbook"
    std::string displayname;
    std::string description;
    std::string color;                   // as the client sent it, "#3a87adff" for example
    std::vector<std::string> components; // supported component types, calendars only
    std::vector<DeadProperty> dead;
    friend bool operator==(const CollectionProperties&, const CollectionProperties&) = default;
};

// Parses a `.collection` file, written in Git's config syntax:
//   [collection] type, displayname, description, color, components (space-separated)
//   [property "<namespace URI> <local name>"] value
// `path` is the name used in messages. Unknown keys and sections are ignored so that newer
// files stay readable. Errors: parse_error with path:line for malformed syntax,
// validation_failed for a missing or unknown type.
[[nodiscard]] Result<CollectionProperties> parse_collection_file(std::string_view text,
                                                                 std::string_view path);

// Writes the text parse_collection_file reads back into equal properties. Values are quoted
// and escaped as Git's config syntax requires.
[[nodiscard]] std::string write_collection_file(const CollectionProperties& properties);

} // namespace robur::icalendar
