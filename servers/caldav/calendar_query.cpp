// CALDAV:filter of calendar-query (RFC 4791 sections 9.7 and 9.9): parsing the XML into
// filter structs and testing one calendar object resource against them.

#include "servers/caldav/calendar_query.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "formats/icalendar/values.hpp"
#include "servers/caldav/calendar_time.hpp"
#include "servers/caldav/calendar_time_range.hpp"

namespace robur::caldav {
namespace {

const XmlName valid_filter{std::string(caldav_ns), "valid-filter"};
const XmlName supported_collation{std::string(caldav_ns), "supported-collation"};

tl::unexpected<FilterError> invalid(std::string message)
{
    return tl::unexpected(FilterError{valid_filter, std::move(message)});
}

std::optional<std::string> attribute(const XmlElement& element, std::string_view name)
{
    for (const auto& item : element.attributes) {
        if (item.name.local == name && item.name.ns.empty()) {
            return item.value;
        }
    }
    return std::nullopt;
}

std::string upper_case(std::string text)
{
    std::ranges::transform(text, text.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    });
    return text;
}

std::string lower_case(std::string_view text)
{
    std::string lowered(text);
    std::ranges::transform(lowered, lowered.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return lowered;
}

tl::expected<std::int64_t, FilterError> parse_utc(std::string_view text, std::string_view attribute_name)
{
    auto epoch = utc_epoch(text);
    if (!epoch) {
        return invalid(fmt::format("time-range {} '{}' is not a UTC date-time such as "
                                   "20260105T000000Z",
                                   attribute_name, text));
    }
    return *epoch;
}

// Parses a CALDAV:text-match. The collations are i;ascii-casemap, the default, and i;octet.
// Any other collation is rejected with supported-collation.
tl::expected<TextMatch, FilterError> parse_text_match(const XmlElement& element)
{
    TextMatch match{element.text_content(), false, false};
    const auto collation = attribute(element, "collation").value_or("i;ascii-casemap");
    if (collation == "i;octet") {
        match.octet = true;
    } else if (collation != "i;ascii-casemap") {
        return tl::unexpected(FilterError{supported_collation,
                                          fmt::format("collation '{}' is not supported; use "
                                                      "i;ascii-casemap or i;octet",
                                                      collation)});
    }
    const auto negate = attribute(element, "negate-condition").value_or("no");
    if (negate != "yes" && negate != "no") {
        return invalid(fmt::format("negate-condition '{}' is neither yes nor no", negate));
    }
    match.negate = negate == "yes";
    return match;
}

tl::expected<std::string, FilterError> filter_name(const XmlElement& element)
{
    auto name = attribute(element, "name");
    if (!name || name->empty()) {
        return invalid(fmt::format("{} without a name attribute", element.name.local));
    }
    return upper_case(*name);
}

tl::expected<ParamFilter, FilterError> parse_param_filter(const XmlElement& element)
{
    auto name = filter_name(element);
    if (!name) {
        return tl::unexpected(name.error());
    }
    ParamFilter filter{*name, false, std::nullopt};
    for (const auto* child : element.elements()) {
        if (child->is(caldav_ns, "is-not-defined")) {
            filter.is_not_defined = true;
        } else if (child->is(caldav_ns, "text-match")) {
            auto match = parse_text_match(*child);
            if (!match) {
                return tl::unexpected(match.error());
            }
            filter.text_match = std::move(*match);
        }
    }
    return filter;
}

tl::expected<PropFilter, FilterError> parse_prop_filter(const XmlElement& element)
{
    auto name = filter_name(element);
    if (!name) {
        return tl::unexpected(name.error());
    }
    PropFilter filter{*name, false, std::nullopt, std::nullopt, {}};
    for (const auto* child : element.elements()) {
        if (child->is(caldav_ns, "is-not-defined")) {
            filter.is_not_defined = true;
        } else if (child->is(caldav_ns, "time-range")) {
            auto range = parse_time_range(*child);
            if (!range) {
                return tl::unexpected(range.error());
            }
            filter.time_range = *range;
        } else if (child->is(caldav_ns, "text-match")) {
            auto match = parse_text_match(*child);
            if (!match) {
                return tl::unexpected(match.error());
            }
            filter.text_match = std::move(*match);
        } else if (child->is(caldav_ns, "param-filter")) {
            auto param = parse_param_filter(*child);
            if (!param) {
                return tl::unexpected(param.error());
            }
            filter.param_filters.push_back(std::move(*param));
        }
    }
    return filter;
}

tl::expected<CompFilter, FilterError> parse_comp_filter(const XmlElement& element)
{
    auto name = filter_name(element);
    if (!name) {
        return tl::unexpected(name.error());
    }
    CompFilter filter{*name, false, std::nullopt, {}, {}};
    for (const auto* child : element.elements()) {
        if (child->is(caldav_ns, "is-not-defined")) {
            filter.is_not_defined = true;
        } else if (child->is(caldav_ns, "time-range")) {
            auto range = parse_time_range(*child);
            if (!range) {
                return tl::unexpected(range.error());
            }
            filter.time_range = *range;
        } else if (child->is(caldav_ns, "prop-filter")) {
            auto prop = parse_prop_filter(*child);
            if (!prop) {
                return tl::unexpected(prop.error());
            }
            filter.prop_filters.push_back(std::move(*prop));
        } else if (child->is(caldav_ns, "comp-filter")) {
            auto comp = parse_comp_filter(*child);
            if (!comp) {
                return tl::unexpected(comp.error());
            }
            filter.comp_filters.push_back(std::move(*comp));
        }
    }
    return filter;
}

} // namespace

tl::expected<TimeRange, FilterError> parse_time_range(const XmlElement& element)
{
    TimeRange range;
    if (auto start = attribute(element, "start")) {
        auto epoch = parse_utc(*start, "start");
        if (!epoch) {
            return tl::unexpected(epoch.error());
        }
        range.start = *epoch;
    }
    if (auto end = attribute(element, "end")) {
        auto epoch = parse_utc(*end, "end");
        if (!epoch) {
            return tl::unexpected(epoch.error());
        }
        range.end = *epoch;
    }
    if (!range.start && !range.end) {
        return invalid("time-range has neither start nor end");
    }
    if (range.start && range.end && *range.end <= *range.start) {
        return invalid("time-range end is not after its start");
    }
    return range;
}

tl::expected<CompFilter, FilterError> parse_filter(const XmlElement& filter)
{
    std::vector<const XmlElement*> tops;
    for (const auto* child : filter.elements()) {
        if (child->is(caldav_ns, "comp-filter")) {
            tops.push_back(child);
        }
    }
    if (tops.size() != 1) {
        return invalid(fmt::format("filter has {} top-level comp-filters; it needs exactly one",
                                   tops.size()));
    }
    auto top = parse_comp_filter(*tops.front());
    if (top && top->name != "VCALENDAR") {
        return invalid(fmt::format("the top-level comp-filter names '{}', not VCALENDAR",
                                   top->name));
    }
    return top;
}

namespace {

bool text_matches(const TextMatch& match, std::string_view value)
{
    bool found = match.octet ? value.find(match.text) != std::string_view::npos
                             : lower_case(value).find(lower_case(match.text)) != std::string::npos;
    return found != match.negate;
}

bool param_matches(const ParamFilter& filter, const icalendar::Property& property)
{
    const auto parameter = std::ranges::find(property.parameters, filter.name,
                                             &icalendar::Parameter::name);
    if (filter.is_not_defined) {
        return parameter == property.parameters.end();
    }
    if (parameter == property.parameters.end()) {
        return false;
    }
    if (!filter.text_match) {
        return true;
    }
    return std::ranges::any_of(parameter->values, [&](const std::string& value) {
        return text_matches(*filter.text_match, value);
    });
}

// The resource a filter is tested against, and the zone its floating times are read in.
struct Target {
    const icalendar::Component& calendar;
    const FloatingZone& floating;
};

bool prop_matches(const PropFilter& filter, const Target& target,
                  const icalendar::Component& component)
{
    const auto properties = component.find_all(filter.name);
    if (filter.is_not_defined) {
        return properties.empty();
    }
    return std::ranges::any_of(properties, [&](const icalendar::Property* property) {
        if (filter.time_range && !property_in_range(target.calendar, *property,
                                                    *filter.time_range, target.floating)) {
            return false;
        }
        if (filter.text_match &&
            !text_matches(*filter.text_match, icalendar::unescape_text(property->value))) {
            return false;
        }
        return std::ranges::all_of(filter.param_filters, [&](const ParamFilter& param) {
            return param_matches(param, *property);
        });
    });
}

bool comp_matches(const CompFilter& filter, const Target& target,
                  const icalendar::Component& parent, std::optional<std::size_t> parent_index);

// Tests one component against a comp-filter. `index` is its position among its parent's
// subcomponents. `parent_index` is empty for the children of the VCALENDAR. Inside a VEVENT,
// VTODO or VJOURNAL it is that component's position in the VCALENDAR.
bool component_matches(const CompFilter& filter, const Target& target,
                       const icalendar::Component& component, std::size_t index,
                       std::optional<std::size_t> parent_index)
{
    if (filter.time_range &&
        !component_in_time_range(target.calendar, component, index, parent_index,
                                 *filter.time_range, target.floating)) {
        return false;
    }
    for (const auto& prop : filter.prop_filters) {
        if (!prop_matches(prop, target, component)) {
            return false;
        }
    }
    const auto own_index = parent_index ? parent_index : std::optional<std::size_t>(index);
    for (const auto& child : filter.comp_filters) {
        if (!comp_matches(child, target, component, own_index)) {
            return false;
        }
    }
    return true;
}

// Tests a comp-filter against the subcomponents of `parent`: true when one of them matches,
// or, with is-not-defined, when none has the name.
bool comp_matches(const CompFilter& filter, const Target& target,
                  const icalendar::Component& parent, std::optional<std::size_t> parent_index)
{
    bool found = false;
    for (std::size_t i = 0; i < parent.components.size(); ++i) {
        const auto& component = parent.components[i];
        if (component.name != filter.name) {
            continue;
        }
        found = true;
        if (!filter.is_not_defined &&
            component_matches(filter, target, component, i, parent_index)) {
            return true;
        }
    }
    return filter.is_not_defined && !found;
}

} // namespace

bool matches_filter(const CompFilter& filter, const icalendar::Component& calendar,
                    const FloatingZone& floating)
{
    if (calendar.name != filter.name || filter.is_not_defined) {
        return false;
    }
    const Target target{calendar, floating};
    for (const auto& prop : filter.prop_filters) {
        if (!prop_matches(prop, target, calendar)) {
            return false;
        }
    }
    return std::ranges::all_of(filter.comp_filters, [&](const CompFilter& child) {
        return comp_matches(child, target, calendar, std::nullopt);
    });
}

} // namespace robur::caldav
