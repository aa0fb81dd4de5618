#pragma once

#include <compare>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace robur::caldav {

inline constexpr std::string_view dav_ns = "DAV:";
inline constexpr std::string_view caldav_ns = "urn:ietf:params:xml:ns:caldav";
inline constexpr std::string_view carddav_ns = "urn:ietf:params:xml:ns:carddav";
inline constexpr std::string_view calendarserver_ns = "http://calendarserver.org/ns/";
inline constexpr std::string_view apple_ical_ns = "http://apple.com/ns/ical/";

// An element or attribute name: namespace URI (empty for none) and local name.
struct XmlName {
    std::string ns;
    std::string local;

    auto operator<=>(const XmlName&) const = default;
};

struct XmlAttribute {
    XmlName name;
    std::string value;
};

// One node of a parsed request body: an element, or a text node when `is_text` is set (then
// only `text` is used). Comments and processing instructions are dropped.
struct XmlElement {
    XmlName name;
    std::vector<XmlAttribute> attributes;
    std::vector<XmlElement> children;
    std::string text;
    bool is_text = false;

    // Returns the first child element with this name, or nullptr.
    [[nodiscard]] const XmlElement* child(std::string_view ns, std::string_view local) const;

    // Returns the child elements, without text nodes.
    [[nodiscard]] std::vector<const XmlElement*> elements() const;

    // Returns the concatenated text of the direct text children.
    [[nodiscard]] std::string text_content() const;

    [[nodiscard]] bool is(std::string_view ns, std::string_view local) const
    {
        return !is_text && name.ns == ns && name.local == local;
    }
};

// Bounds for request bodies; sizes in bytes.
struct XmlLimits {
    std::size_t max_size = 1024 * 1024;
    std::size_t max_depth = 64;
    std::size_t max_elements = 100000;
};

// Parses an XML request body with libxml2 in a safe mode: no network access, no DTD loading,
// no entity substitution, and a document with a DOCTYPE is rejected outright, so neither
// external entities nor entity expansion can happen. Namespaces are resolved into each name.
// Errors: invalid_argument with libxml2's message and line for malformed XML, a DOCTYPE, or
// a body over the limits.
[[nodiscard]] Result<XmlElement> parse_xml(std::string_view body, const XmlLimits& limits = {});

// Escapes &, <, > and " for text and attribute values.
[[nodiscard]] std::string escape_xml(std::string_view text);

// Appends `text` escaped as escape_xml() does to `out`.
void append_escaped_xml(std::string& out, std::string_view text);

// Writes an element and its content as XML text. Every element whose namespace differs from
// its parent's carries its own default namespace declaration, so the output is self-contained
// wherever it is placed.
[[nodiscard]] std::string serialize_xml(const XmlElement& element,
                                        std::string_view parent_ns = "\x01");

} // namespace robur::caldav
