#include "servers/caldav/xml.hpp"

#include <memory>

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

namespace robur::caldav {

namespace {

struct DocumentDeleter {
    void operator()(xmlDoc* document) const { xmlFreeDoc(document); }
};
struct ContextDeleter {
    void operator()(xmlParserCtxt* context) const { xmlFreeParserCtxt(context); }
};

std::string to_string(const xmlChar* text)
{
    return text == nullptr ? std::string{} : std::string(reinterpret_cast<const char*>(text));
}

XmlName name_of(const xmlNode* node)
{
    return {node->ns != nullptr ? to_string(node->ns->href) : std::string{},
            to_string(node->name)};
}

struct Converter {
    const XmlLimits& limits;
    std::size_t elements = 0;

    Result<XmlElement> convert(const xmlNode* node, std::size_t depth)
    {
        if (depth > limits.max_depth) {
            return make_error(Errc::invalid_argument,
                              fmt::format("XML body nests deeper than {} elements",
                                          limits.max_depth));
        }
        if (++elements > limits.max_elements) {
            return make_error(Errc::invalid_argument,
                              fmt::format("XML body has more than {} elements",
                                          limits.max_elements));
        }
        XmlElement element;
        element.name = name_of(node);
        for (const xmlAttr* attribute = node->properties; attribute != nullptr;
             attribute = attribute->next) {
            xmlChar* value = xmlNodeGetContent(reinterpret_cast<const xmlNode*>(attribute));
            element.attributes.push_back(
                {{attribute->ns != nullptr ? to_string(attribute->ns->href) : std::string{},
                  to_string(attribute->name)},
                 to_string(value)});
            xmlFree(value);
        }
        for (const xmlNode* child = node->children; child != nullptr; child = child->next) {
            if (child->type == XML_ELEMENT_NODE) {
                auto converted = convert(child, depth + 1);
                if (!converted) {
                    return converted;
                }
                element.children.push_back(std::move(*converted));
            } else if (child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) {
                XmlElement text;
                text.is_text = true;
                text.text = to_string(child->content);
                element.children.push_back(std::move(text));
            } else if (child->type == XML_ENTITY_REF_NODE) {
                return make_error(Errc::invalid_argument, "XML body references an entity");
            }
        }
        return element;
    }
};

} // namespace

const XmlElement* XmlElement::child(std::string_view ns, std::string_view local) const
{
    for (const auto& element : children) {
        if (element.is(ns, local)) {
            return &element;
        }
    }
    return nullptr;
}

std::vector<const XmlElement*> XmlElement::elements() const
{
    std::vector<const XmlElement*> list;
    for (const auto& element : children) {
        if (!element.is_text) {
            list.push_back(&element);
        }
    }
    return list;
}

std::string XmlElement::text_content() const
{
    std::string content;
    for (const auto& element : children) {
        if (element.is_text) {
            content += element.text;
        }
    }
    return content;
}

Result<XmlElement> parse_xml(std::string_view body, const XmlLimits& limits)
{
    if (body.size() > limits.max_size) {
        return make_error(Errc::invalid_argument,
                          fmt::format("XML body of {} bytes exceeds the limit of {} bytes",
                                      body.size(), limits.max_size));
    }
    std::unique_ptr<xmlParserCtxt, ContextDeleter> context(xmlNewParserCtxt());
    if (!context) {
        return make_error(Errc::internal, "libxml2 failed to allocate a parser");
    }
    // XML_PARSE_NOENT, XML_PARSE_DTDLOAD and XML_PARSE_DTDATTR stay off: entities are never
    // substituted and no external subset is read.
    constexpr int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    std::unique_ptr<xmlDoc, DocumentDeleter> document(
        xmlCtxtReadMemory(context.get(), body.data(), static_cast<int>(body.size()), nullptr,
                          nullptr, options));
    if (!document) {
        const xmlError* error = xmlCtxtGetLastError(context.get());
        std::string message = error != nullptr && error->message != nullptr
                                  ? std::string(error->message)
                                  : std::string("malformed document");
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
            message.pop_back();
        }
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid XML body at line {}: {}",
                                      error != nullptr ? error->line : 0, message));
    }
    // libxml2 recovers from namespace errors, such as an undeclared prefix or an empty
    // xmlns:prefix="" (Namespaces in XML 1.0 section 3); they make the body invalid here.
    if (context->nsWellFormed == 0) {
        const xmlError* error = xmlCtxtGetLastError(context.get());
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid XML namespace in the body at line {}",
                                      error != nullptr ? error->line : 0));
    }
    if (document->intSubset != nullptr || document->extSubset != nullptr) {
        return make_error(Errc::invalid_argument,
                          "XML body has a DOCTYPE, which this server does not accept");
    }
    const xmlNode* root = xmlDocGetRootElement(document.get());
    if (root == nullptr) {
        return make_error(Errc::invalid_argument, "XML body has no root element");
    }
    Converter converter{limits};
    return converter.convert(root, 1);
}

void append_escaped_xml(std::string& out, std::string_view text)
{
    // Copies the runs without special characters in one piece; most hrefs and values have none.
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::string_view entity;
        switch (text[i]) {
        case '&':
            entity = "&amp;";
            break;
        case '<':
            entity = "&lt;";
            break;
        case '>':
            entity = "&gt;";
            break;
        case '"':
            entity = "&quot;";
            break;
        case '\r':
            entity = "&#13;";
            break;
        default:
            continue;
        }
        out.append(text.substr(run, i - run));
        out.append(entity);
        run = i + 1;
    }
    out.append(text.substr(run));
}

std::string escape_xml(std::string_view text)
{
    std::string escaped;
    escaped.reserve(text.size());
    append_escaped_xml(escaped, text);
    return escaped;
}

std::string serialize_xml(const XmlElement& element, std::string_view parent_ns)
{
    if (element.is_text) {
        return escape_xml(element.text);
    }
    std::string text = "<" + element.name.local;
    if (element.name.ns != parent_ns) {
        text += fmt::format(" xmlns=\"{}\"", escape_xml(element.name.ns));
    }
    std::size_t prefix_number = 0;
    for (const auto& attribute : element.attributes) {
        if (attribute.name.ns.empty()) {
            text += fmt::format(" {}=\"{}\"", attribute.name.local, escape_xml(attribute.value));
            continue;
        }
        if (attribute.name.ns == "http://www.w3.org/XML/1998/namespace") {
            text += fmt::format(" xml:{}=\"{}\"", attribute.name.local,
                                escape_xml(attribute.value));
            continue;
        }
        const auto prefix = fmt::format("a{}", prefix_number++);
        text += fmt::format(" xmlns:{0}=\"{1}\" {0}:{2}=\"{3}\"", prefix,
                            escape_xml(attribute.name.ns), attribute.name.local,
                            escape_xml(attribute.value));
    }
    if (element.children.empty()) {
        return text + "/>";
    }
    text += ">";
    for (const auto& child : element.children) {
        text += serialize_xml(child, element.name.ns);
    }
    return text + "</" + element.name.local + ">";
}

} // namespace robur::caldav
