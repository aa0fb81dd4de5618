#include "formats/icalendar/component.hpp"

#include <algorithm>

namespace robur::icalendar {
namespace {

constexpr std::size_t max_folded_octets = 75;

bool needs_quotes(std::string_view value)
{
    return value.find_first_of(":;,") != std::string_view::npos;
}

// Appends a content line folded at 75 octets (RFC 5545 section 3.1), never inside a UTF-8
// sequence: a continuation byte stays with the byte that starts its sequence.
void append_folded(std::string& out, std::string_view line)
{
    std::size_t limit = max_folded_octets;
    while (line.size() > limit) {
        std::size_t cut = limit;
        while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0U) == 0x80U) {
            --cut;
        }
        out.append(line.substr(0, cut));
        out.append("\r\n ");
        line.remove_prefix(cut);
        limit = max_folded_octets - 1; // the leading space counts
    }
    out.append(line);
    out.append("\r\n");
}

} // namespace

std::optional<std::string> Property::parameter(std::string_view wanted) const
{
    for (const auto& parameter : parameters) {
        if (parameter.name == wanted && !parameter.values.empty()) {
            return parameter.values.front();
        }
    }
    return std::nullopt;
}

void Property::set_parameter(std::string_view wanted, std::string parameter_value)
{
    for (auto& parameter : parameters) {
        if (parameter.name == wanted) {
            parameter.values = {std::move(parameter_value)};
            return;
        }
    }
    parameters.push_back(Parameter{std::string(wanted), {std::move(parameter_value)}});
}

void Property::remove_parameter(std::string_view wanted)
{
    std::erase_if(parameters, [&](const Parameter& parameter) { return parameter.name == wanted; });
}

const Property* Component::find(std::string_view wanted) const
{
    auto found = std::ranges::find(properties, wanted, &Property::name);
    return found == properties.end() ? nullptr : &*found;
}

Property* Component::find(std::string_view wanted)
{
    auto found = std::ranges::find(properties, wanted, &Property::name);
    return found == properties.end() ? nullptr : &*found;
}

std::vector<const Property*> Component::find_all(std::string_view wanted) const
{
    std::vector<const Property*> found;
    for (const auto& property : properties) {
        if (property.name == wanted) {
            found.push_back(&property);
        }
    }
    return found;
}

void Component::remove_all(std::string_view wanted)
{
    std::erase_if(properties, [&](const Property& property) { return property.name == wanted; });
}

std::string write_content_line(const Property& property)
{
    std::string line = property.name;
    for (const auto& parameter : property.parameters) {
        line += ';';
        line += parameter.name;
        line += '=';
        for (std::size_t i = 0; i < parameter.values.size(); ++i) {
            if (i > 0) {
                line += ',';
            }
            const auto& value = parameter.values[i];
            if (needs_quotes(value)) {
                line += '"' + value + '"';
            } else {
                line += value;
            }
        }
    }
    line += ':';
    line += property.value;
    return line;
}

std::string write_component(const Component& component)
{
    std::string out;
    append_folded(out, "BEGIN:" + component.name);
    for (const auto& property : component.properties) {
        append_folded(out, write_content_line(property));
    }
    for (const auto& child : component.components) {
        out += write_component(child);
    }
    append_folded(out, "END:" + component.name);
    return out;
}

std::string unescape_text(std::string_view value)
{
    std::string text;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '\\' || i + 1 == value.size()) {
            text += value[i];
            continue;
        }
        char escaped = value[++i];
        text += (escaped == 'n' || escaped == 'N') ? '\n' : escaped;
    }
    return text;
}

std::string escape_text(std::string_view text)
{
    std::string value;
    for (char c : text) {
        if (c == '\n') {
            value += "\\n";
            continue;
        }
        if (c == '\\' || c == ';' || c == ',') {
            value += '\\';
        }
        value += c;
    }
    return value;
}

} // namespace robur::icalendar
