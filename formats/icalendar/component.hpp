#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace robur::icalendar {

// One parameter of a content line; values are unquoted, names upper-case.
struct Parameter {
    std::string name;
    std::vector<std::string> values;
    friend bool operator==(const Parameter&, const Parameter&) = default;
};

// One content line (RFC 5545 section 3.1) after unfolding. The value is kept as written, with
// its escapes; `line` is the physical line the content line started on.
struct Property {
    std::string name; // upper-case
    std::vector<Parameter> parameters;
    std::string value;
    std::uint32_t line = 0;

    // Returns the first value of a parameter, or nullopt when the parameter is absent.
    [[nodiscard]] std::optional<std::string> parameter(std::string_view name) const;
    void set_parameter(std::string_view name, std::string parameter_value);
    void remove_parameter(std::string_view name);
};

// A component between BEGIN and END, with its properties in file order.
struct Component {
    std::string name; // upper-case: VCALENDAR, VEVENT, VALARM, ...
    std::vector<Property> properties;
    std::vector<Component> components;
    std::uint32_t line = 0; // line of BEGIN

    [[nodiscard]] const Property* find(std::string_view name) const;
    [[nodiscard]] Property* find(std::string_view name);
    [[nodiscard]] std::vector<const Property*> find_all(std::string_view name) const;
    void remove_all(std::string_view name);
};

// Writes a component as iCalendar text: CRLF line ends, lines folded at 75 octets without
// splitting a UTF-8 sequence, parameter values quoted where they contain ':', ';' or ','.
[[nodiscard]] std::string write_component(const Component& component);

// Writes one content line, unfolded and without its line end.
[[nodiscard]] std::string write_content_line(const Property& property);

// Decodes a TEXT value (RFC 5545 section 3.3.11): \n, \N, \\, \; and \, escapes.
[[nodiscard]] std::string unescape_text(std::string_view value);

// Encodes text as a TEXT value.
[[nodiscard]] std::string escape_text(std::string_view text);

} // namespace robur::icalendar
