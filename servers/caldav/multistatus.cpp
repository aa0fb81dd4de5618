#include "servers/caldav/multistatus.hpp"

#include <map>

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

std::string element_xml(const XmlName& name, std::string_view content)
{
    const auto prefix = prefix_for(name.ns);
    std::string open;
    std::string close;
    if (prefix.empty()) {
        open = fmt::format("{} xmlns=\"{}\"", name.local, escape_xml(name.ns));
        close = name.local;
    } else {
        open = fmt::format("{}:{}", prefix, name.local);
        close = open;
    }
    if (content.empty()) {
        return fmt::format("<{}/>", open);
    }
    return fmt::format("<{}>{}</{}>", open, content, close);
}

std::string status_line(unsigned status)
{
    const auto reason = boost::beast::http::obsolete_reason(
        static_cast<boost::beast::http::status>(status));
    return fmt::format("HTTP/1.1 {} {}", status, std::string_view(reason.data(), reason.size()));
}

std::string error_body(const XmlName& precondition, std::string_view content)
{
    return fmt::format("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error {}>{}</D:error>\n",
                       root_namespaces, element_xml(precondition, content));
}

void Multistatus::add_properties(std::string_view href,
                                 const std::vector<PropertyResult>& properties)
{
    std::map<unsigned, std::vector<const PropertyResult*>> by_status;
    for (const auto& property : properties) {
        by_status[property.status].push_back(&property);
    }
    body_ += fmt::format("<D:response><D:href>{}</D:href>", escape_xml(href));
    for (const auto& [status, group] : by_status) {
        body_ += "<D:propstat><D:prop>";
        std::string error;
        for (const auto* property : group) {
            body_ += element_xml(property->name, property->content);
            error += property->error;
        }
        body_ += fmt::format("</D:prop><D:status>{}</D:status>", status_line(status));
        if (!error.empty()) {
            body_ += fmt::format("<D:error>{}</D:error>", error);
        }
        body_ += "</D:propstat>";
    }
    body_ += "</D:response>";
}

void Multistatus::add_status(std::string_view href, unsigned status, std::string_view error)
{
    body_ += fmt::format("<D:response><D:href>{}</D:href><D:status>{}</D:status>",
                         escape_xml(href), status_line(status));
    if (!error.empty()) {
        body_ += fmt::format("<D:error>{}</D:error>", error);
    }
    body_ += "</D:response>";
}

void Multistatus::add_raw(std::string_view xml)
{
    body_ += xml;
}

std::string Multistatus::finish() const
{
    return fmt::format("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus {}>{}"
                       "</D:multistatus>\n",
                       root_namespaces, body_);
}

} // namespace robur::caldav
