#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "servers/caldav/xml.hpp"

namespace robur::caldav {

// One property in a propstat: its name, its content as XML text (empty for an empty element),
// and the status of the propstat it goes into.
struct PropertyResult {
    XmlName name;
    std::string content;
    unsigned status = 200;
    std::string error; // optional DAV:error content, such as a precondition element
};

// Builds a 207 Multi-Status body (RFC 4918 section 13) with the prefixes D (DAV:), C (CalDAV),
// CR (CardDAV), CS (CalendarServer) and ICAL (Apple) declared on the root. Elements in other
// namespaces carry their own default namespace declaration.
class Multistatus {
public:
    Multistatus();

    // Adds a response with one propstat per distinct status.
    void add_properties(std::string_view href, const std::vector<PropertyResult>& properties);

    // Adds a response with a status and no properties.
    void add_status(std::string_view href, unsigned status, std::string_view error = {});

    // Appends raw XML to the root, such as a DAV:sync-token element.
    void add_raw(std::string_view xml);

    // Closes the root element and returns the body; call it once, last.
    [[nodiscard]] std::string finish();

private:
    std::string body_;
};

// Writes an element with the given XML content, using a declared prefix when the namespace has
// one: element_xml({"DAV:", "href"}, "/x") gives "<D:href>/x</D:href>".
[[nodiscard]] std::string element_xml(const XmlName& name, std::string_view content = {});

// Returns the HTTP status line text: "HTTP/1.1 404 Not Found".
[[nodiscard]] std::string status_line(unsigned status);

// Appends element_xml(name, content) and status_line(status) to `out`, without temporaries.
void append_element(std::string& out, const XmlName& name, std::string_view content = {});
void append_status_line(std::string& out, unsigned status);

// Builds a DAV:error body (RFC 4918 section 16) with one precondition element.
[[nodiscard]] std::string error_body(const XmlName& precondition, std::string_view content = {});

} // namespace robur::caldav
