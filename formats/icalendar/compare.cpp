#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "formats/icalendar/split.hpp"
#include "formats/icalendar/value_types.hpp"
#include "formats/icalendar/values.hpp"

namespace robur::icalendar {
namespace {

std::string upper(std::string text)
{
    for (auto& c : text) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return text;
}

// A value in a form where equal values written differently compare equal: TEXT without
// escapes, RECUR parts in name order.
std::string normalised_value(const Property& property)
{
    if (property.name == "RRULE") {
        if (auto parts = parse_recur_parts(property.value)) {
            std::vector<std::string> items;
            for (const auto& [name, value] : *parts) {
                items.push_back(fmt::format("{}={}", name, value));
            }
            return fmt::format("{}", fmt::join(items, ";"));
        }
    }
    if (value_type(property) == "text") {
        return unescape_text(property.value);
    }
    return property.value;
}

// A content line with parameters sorted and parameter names and VALUE types in upper case,
// so that equal properties written differently compare equal.
std::string normalised_line(const Property& property)
{
    std::vector<std::string> parameters;
    for (const auto& parameter : property.parameters) {
        auto values = parameter.values;
        if (parameter.name == "VALUE" || parameter.name == "ENCODING") {
            std::ranges::transform(values, values.begin(), upper);
        }
        parameters.push_back(fmt::format("{}={}", parameter.name, fmt::join(values, ",")));
    }
    std::ranges::sort(parameters);
    return fmt::format("{};{}:{}", property.name, fmt::join(parameters, ";"), normalised_value(property));
}

// The text of a component with its lines and nested components in a fixed order.
std::string canonical_text(const Component& component)
{
    std::vector<std::string> lines;
    for (const auto& property : component.properties) {
        lines.push_back(normalised_line(property));
    }
    for (const auto& child : component.components) {
        lines.push_back(canonical_text(child));
    }
    std::ranges::sort(lines);
    return fmt::format("BEGIN:{}\n{}\nEND:{}", component.name, fmt::join(lines, "\n"), component.name);
}

std::string identity(const Component& component)
{
    if (component.name == "VTIMEZONE") {
        const auto* tzid = component.find("TZID");
        return fmt::format("VTIMEZONE '{}'", tzid != nullptr ? tzid->value : "");
    }
    const auto* uid = component.find("UID");
    const auto* recurrence_id = component.find("RECURRENCE-ID");
    auto text = fmt::format("{} UID '{}'", component.name, uid != nullptr ? uid->value : "");
    if (recurrence_id != nullptr) {
        text += fmt::format(" RECURRENCE-ID {}", recurrence_id->value);
    }
    return text;
}

std::multimap<std::string, std::string> index(const std::vector<Component>& calendars)
{
    std::multimap<std::string, std::string> components;
    std::map<std::string, std::string> timezones;
    for (const auto& calendar : calendars) {
        for (const auto& child : calendar.components) {
            if (child.name == "VTIMEZONE") {
                // A VTIMEZONE repeated across resources is one definition.
                timezones.emplace(identity(child), canonical_text(child));
                continue;
            }
            components.emplace(identity(child), canonical_text(child));
        }
    }
    components.insert(timezones.begin(), timezones.end());
    return components;
}

} // namespace

std::vector<std::string> compare_calendars(const std::vector<Component>& first,
                                           const std::vector<Component>& second)
{
    auto left = index(first);
    auto right = index(second);
    std::vector<std::string> differences;
    for (auto it = left.begin(); it != left.end(); it = left.upper_bound(it->first)) {
        auto [left_begin, left_end] = left.equal_range(it->first);
        auto [right_begin, right_end] = right.equal_range(it->first);
        if (right_begin == right_end) {
            differences.push_back(fmt::format("{}: only in the first calendar", it->first));
            continue;
        }
        std::vector<std::string> a;
        std::vector<std::string> b;
        std::ranges::transform(left_begin, left_end, std::back_inserter(a), [](const auto& e) { return e.second; });
        std::ranges::transform(right_begin, right_end, std::back_inserter(b), [](const auto& e) { return e.second; });
        std::ranges::sort(a);
        std::ranges::sort(b);
        if (a != b) {
            differences.push_back(fmt::format("{}: properties differ", it->first));
        }
    }
    for (auto it = right.begin(); it != right.end(); it = right.upper_bound(it->first)) {
        if (!left.contains(it->first)) {
            differences.push_back(fmt::format("{}: only in the second calendar", it->first));
        }
    }
    return differences;
}

} // namespace robur::icalendar
