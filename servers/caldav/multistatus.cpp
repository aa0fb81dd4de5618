#include "servers/caldav/multistatus.hpp"

#include <algorithm>
#include <iterator>

#include <boost/beast/http/status.hpp>
#include <fmt/format.h>

namespace robur::caldav {

namespace {

constexpr std::string_view root_namespaces =
    "xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" "
    "xmlns:CR=\"urn:ietf:params:xml:ns:carddav\" xmlns:CS=\"http://calendarserver.org/ns/\" "
    "xmlns:ICAL=\"http://apple.com/ns/ical/\"";

std::string_view prefix_for(std::string_view ns)
{
    if (ns == dav_ns) {
        return "D";
    }
    if (ns == caldav_ns) {
        return "C";
    }
    if (ns == carddav_ns) {
        return "CR";
    }
    if (ns == calendarserver_ns) {
        return "CS";
    }
    if (ns == apple_ical_ns) {
        return "ICAL";
    }
    return {};
}

} // namespace

void append_element(std::string& out, const XmlName& name, std::string_view content)
{
    const auto prefix = prefix_for(name.ns);
    out += '<';
    if (prefix.empty()) {
        out += name.local;
        out += " xmlns=\"";
        append_escaped_xml(out, name.ns);
        out += '"';
    } else {
        out += prefix;
        out += ':';
        out += name.local;
    }
    if (content.empty()) {
        out += "/>";
        return;
    }
    out += '>';
    out += content;
    out += "</";
    if (!prefix.empty()) {
        out += prefix;
        out += ':';
    }
    out += name.local;
    out += '>';
}

std::string element_xml(const XmlName& name, std::string_view content)
{
    std::string xml;
    append_element(xml, name, content);
    return xml;
}

void append_status_line(std::string& out, unsigned status)
{
    const auto reason = boost::beast::http::obsolete_reason(
        static_cast<boost::beast::http::status>(status));
    fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}", status,
                   std::string_view(reason.data(), reason.size()));
}

std::string status_line(unsigned status)
{
    std::string line;
    append_status_line(line, status);
    return line;
}

std::string error_body(const XmlName& precondition, std::string_view content)
{
    return fmt::format("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error {}>{}</D:error>\n",
                       root_namespaces, element_xml(precondition, content));
}

Multistatus::Multistatus()
    : body_(fmt::format("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus {}>",
                        root_namespaces))
{
}

void Multistatus::add_properties(std::string_view href,
                                 const std::vector<PropertyResult>& properties)
{
    // One propstat per distinct status, in ascending order. A response has few properties, so
    // a sorted vector of statuses is cheaper than a map.
    std::vector<unsigned> statuses;
    for (const auto& property : properties) {
        if (std::find(statuses.begin(), statuses.end(), property.status) == statuses.end()) {
            statuses.push_back(property.status);
        }
    }
    std::sort(statuses.begin(), statuses.end());

    body_ += "<D:response><D:href>";
    append_escaped_xml(body_, href);
    body_ += "</D:href>";
    for (const auto status : statuses) {
        body_ += "<D:propstat><D:prop>";
        std::string error;
        for (const auto& property : properties) {
            if (property.status == status) {
                append_element(body_, property.name, property.content);
                error += property.error;
            }
        }
        body_ += "</D:prop><D:status>";
        append_status_line(body_, status);
        body_ += "</D:status>";
        if (!error.empty()) {
            body_ += "<D:error>";
            body_ += error;
            body_ += "</D:error>";
        }
        body_ += "</D:propstat>";
    }
    body_ += "</D:response>";
}

void Multistatus::add_status(std::string_view href, unsigned status, std::string_view error)
{
    body_ += "<D:response><D:href>";
    append_escaped_xml(body_, href);
    body_ += "</D:href><D:status>";
    append_status_line(body_, status);
    body_ += "</D:status>";
    if (!error.empty()) {
        body_ += "<D:error>";
        body_ += error;
        body_ += "</D:error>";
    }
    body_ += "</D:response>";
}

void Multistatus::add_raw(std::string_view xml)
{
    body_ += xml;
}

std::string Multistatus::finish()
{
    body_ += "</D:multistatus>\n";
    return std::move(body_);
}

} // namespace robur::caldav
