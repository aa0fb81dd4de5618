#include "formats/icalendar/jcal.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "formats/icalendar/jcal_values.hpp"
#include "formats/icalendar/value_types.hpp"

namespace robur::icalendar {
namespace {

using nlohmann::json;

// Deepest nesting of arrays and objects parse_jcal accepts. A calendar with components nested
// Limits::max_nesting (8) levels deep needs about 21. Copying and converting the document
// recurses once per level, so an unbounded depth would overflow the stack.
constexpr std::size_t max_jcal_depth = 64;

// Returns true when arrays and objects in the JSON `text` nest deeper than `limit`. Brackets
// inside strings do not count.
bool nests_deeper_than(std::string_view text, std::size_t limit)
{
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) {
                return true;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

std::string lower(std::string text)
{
    std::ranges::transform(text, text.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return text;
}

std::string upper(std::string text)
{
    std::ranges::transform(text, text.begin(), [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
    return text;
}

Result<json> property_to_jcal(const Property& property)
{
    json parameters = json::object();
    for (const auto& parameter : property.parameters) {
        if (parameter.name == "VALUE") {
            continue;
        }
        parameters[lower(parameter.name)] =
            parameter.values.size() == 1 ? json(parameter.values[0]) : json(parameter.values);
    }
    auto type = value_type(property);
    json out = json::array({lower(property.name), parameters, type});

    std::vector<std::string> values{property.value};
    if (is_multi_valued(property.name)) {
        values = split_escaped(property.value, ',');
    }
    for (const auto& value : values) {
        auto converted = detail::to_jcal_value(type, value, property.name);
        if (!converted) {
            return make_error(Errc::invalid_argument,
                              fmt::format("cannot convert {} value '{}' of type {} to jCal", property.name,
                                          value, type),
                              SourceLocation{"", property.line, 0});
        }
        out.push_back(*converted);
    }
    return out;
}

Result<json> component_to_jcal(const Component& component)
{
    json properties = json::array();
    for (const auto& property : component.properties) {
        auto converted = property_to_jcal(property);
        if (!converted) {
            return converted;
        }
        properties.push_back(std::move(*converted));
    }
    json components = json::array();
    for (const auto& child : component.components) {
        auto converted = component_to_jcal(child);
        if (!converted) {
            return converted;
        }
        components.push_back(std::move(*converted));
    }
    return json::array({lower(component.name), properties, components});
}

tl::unexpected<Error> structure_error(std::string_view path, const std::string& where, std::string_view what)
{
    return make_error(Errc::parse_error, fmt::format("invalid jCal at {}: {}", where, what),
                      SourceLocation{std::string(path), 0, 0});
}

Result<Property> property_from_jcal(const json& item, std::string_view path, const std::string& where)
{
    if (!item.is_array() || item.size() < 4 || !item[0].is_string() || !item[1].is_object() ||
        !item[2].is_string()) {
        return structure_error(path, where, "expected [name, {parameters}, type, value...]");
    }
    Property property{upper(item[0].get<std::string>()), {}, {}, 0};
    for (const auto& [name, value] : item[1].items()) {
        Parameter parameter{upper(name), {}};
        for (const auto& single : value.is_array() ? value : json::array({value})) {
            if (!single.is_string()) {
                return structure_error(path, where, fmt::format("parameter {} is not a string", name));
            }
            parameter.values.push_back(single.get<std::string>());
        }
        property.parameters.push_back(std::move(parameter));
    }
    auto type = item[2].get<std::string>();
    if (type != default_value_type(property.name) && type != "unknown") {
        property.parameters.push_back(Parameter{"VALUE", {upper(type)}});
    }

    std::vector<std::string> values;
    for (std::size_t i = 3; i < item.size(); ++i) {
        auto text = detail::from_jcal_value(type, item[i], property.name);
        if (!text) {
            return structure_error(path, fmt::format("{}[{}]", where, i),
                                   fmt::format("invalid {} value for {}", type, property.name));
        }
        values.push_back(std::move(*text));
    }
    property.value = fmt::format("{}", fmt::join(values, ","));
    return property;
}

Result<Component> component_from_jcal(const json& item, std::string_view path, const std::string& where)
{
    if (!item.is_array() || item.size() != 3 || !item[0].is_string() || !item[1].is_array() ||
        !item[2].is_array()) {
        return structure_error(path, where, "expected [name, [properties], [components]]");
    }
    Component component{upper(item[0].get<std::string>()), {}, {}, 0};
    for (std::size_t i = 0; i < item[1].size(); ++i) {
        auto property = property_from_jcal(item[1][i], path, fmt::format("{}[1][{}]", where, i));
        if (!property) {
            return tl::unexpected(property.error());
        }
        component.properties.push_back(std::move(*property));
    }
    for (std::size_t i = 0; i < item[2].size(); ++i) {
        auto child = component_from_jcal(item[2][i], path, fmt::format("{}[2][{}]", where, i));
        if (!child) {
            return child;
        }
        component.components.push_back(std::move(*child));
    }
    return component;
}

} // namespace

Result<std::string> write_jcal(const std::vector<Component>& calendars)
{
    json out = json::array();
    for (const auto& calendar : calendars) {
        auto converted = component_to_jcal(calendar);
        if (!converted) {
            return tl::unexpected(converted.error());
        }
        out.push_back(std::move(*converted));
    }
    const auto& document = out.size() == 1 ? out[0] : out;
    return document.dump(2) + "\n";
}

Result<std::vector<Component>> parse_jcal(std::string_view text, std::string_view path)
{
    if (nests_deeper_than(text, max_jcal_depth)) {
        return make_error(Errc::parse_error,
                          fmt::format("JSON nested deeper than {} levels", max_jcal_depth),
                          SourceLocation{std::string(path), 0, 0});
    }
    auto document = json::parse(text, nullptr, false);
    if (document.is_discarded()) {
        return make_error(Errc::parse_error, "invalid JSON", SourceLocation{std::string(path), 0, 0});
    }
    // One jCal object starts with its name; a list of them starts with an array.
    bool single = document.is_array() && !document.empty() && document[0].is_string();
    json list = single ? json::array({document}) : document;
    if (!list.is_array()) {
        return structure_error(path, "$", "expected a jCal array");
    }
    std::vector<Component> calendars;
    for (std::size_t i = 0; i < list.size(); ++i) {
        auto component = component_from_jcal(list[i], path, single ? "$" : fmt::format("$[{}]", i));
        if (!component) {
            return tl::unexpected(component.error());
        }
        if (component->name != "VCALENDAR") {
            return structure_error(path, single ? "$" : fmt::format("$[{}]", i), "expected a vcalendar component");
        }
        calendars.push_back(std::move(*component));
    }
    return calendars;
}

} // namespace robur::icalendar
