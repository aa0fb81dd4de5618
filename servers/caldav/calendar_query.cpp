// CALDAV:filter of calendar-query (RFC 4791 sections 9.7 and 9.9): parsing the XML into
// filter structs and testing one calendar object resource against them.

#include "servers/caldav/calendar_query.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "formats/icalendar/occurrences.hpp"
#include "formats/icalendar/values.hpp"
#include "servers/caldav/calendar_time.hpp"

namespace robur::caldav {
namespace {

constexpr std::int64_t seconds_per_day = 86400;
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

bool instance_overlaps(const InstanceTimes& instance, const TimeRange& range)
{
    const auto from = range.start.value_or(std::numeric_limits<std::int64_t>::min());
    const auto to = range.end.value_or(std::numeric_limits<std::int64_t>::max());

    if (instance.component == "VEVENT" || instance.component == "VJOURNAL") {
        if (!instance.start) {
            return false;
        }
        const auto start = *instance.start;
        auto end = instance.end;
        if (!end && instance.is_date) {
            end = start + seconds_per_day;
        }
        if (instance.component == "VJOURNAL" && !instance.is_date) {
            end.reset();
        }
        if (end && *end > start) {
            return from < *end && to > start;
        }
        return from <= start && to > start;
    }
    if (instance.component != "VTODO") {
        return true;
    }

    // The VTODO rows of the table in RFC 4791 section 9.9, in its order.
    if (instance.start && instance.end && !instance.end_is_due) {
        const auto start = *instance.start;
        const auto end = *instance.end;
        return from <= end && (to > start || to >= end);
    }
    if (instance.start && instance.end) {
        const auto start = *instance.start;
        const auto due = *instance.end;
        return (from < due || from <= start) && (to > start || to >= due);
    }
    if (instance.start) {
        return from <= *instance.start && to > *instance.start;
    }
    if (instance.end) {
        return from < *instance.end && to >= *instance.end;
    }
    if (instance.completed && instance.created) {
        return (from <= *instance.created || from <= *instance.completed) &&
               (to >= *instance.created || to >= *instance.completed);
    }
    if (instance.completed) {
        return from <= *instance.completed && to >= *instance.completed;
    }
    if (instance.created) {
        return to > *instance.created;
    }
    return true;
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

// A property's value overlaps a time-range when it lies in [start, end); a DATE covers its day.
bool property_in_range(const icalendar::Component& calendar, const icalendar::Property& property,
                       const TimeRange& range)
{
    auto moment = property_epoch(calendar, property, property.value, "");
    if (!moment) {
        return false;
    }
    InstanceTimes instant{"VEVENT", *moment, std::nullopt, false, property.value.size() == 8,
                          std::nullopt, std::nullopt};
    return instance_overlaps(instant, range);
}

bool prop_matches(const PropFilter& filter, const icalendar::Component& calendar,
                  const icalendar::Component& component)
{
    const auto properties = component.find_all(filter.name);
    if (filter.is_not_defined) {
        return properties.empty();
    }
    return std::ranges::any_of(properties, [&](const icalendar::Property* property) {
        if (filter.time_range && !property_in_range(calendar, *property, *filter.time_range)) {
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

bool is_instance_component(std::string_view name)
{
    return name == "VEVENT" || name == "VTODO" || name == "VJOURNAL";
}

InstanceTimes instance_times(const icalendar::Component& calendar,
                             const icalendar::Component& component,
                             const icalendar::Occurrence& occurrence)
{
    InstanceTimes times{component.name, std::nullopt, std::nullopt, false, false,
                        std::nullopt, std::nullopt};
    const auto* start = component.find("DTSTART");
    if (start != nullptr) {
        times.start = occurrence.start;
        times.is_date = start->value.size() == 8;
    }
    if (component.name != "VTODO") {
        if (component.find("DTEND") != nullptr || component.find("DURATION") != nullptr ||
            occurrence.end != occurrence.start) {
            times.end = occurrence.end;
        }
        return times;
    }
    if (component.find("DUE") != nullptr) {
        times.end = start != nullptr ? occurrence.end : occurrence.start;
        times.end_is_due = true;
    } else if (start != nullptr && component.find("DURATION") != nullptr) {
        times.end = occurrence.end;
    }
    if (const auto* completed = component.find("COMPLETED")) {
        times.completed = property_epoch(calendar, *completed, completed->value, "");
    }
    if (const auto* created = component.find("CREATED")) {
        times.created = property_epoch(calendar, *created, created->value, "");
    }
    return times;
}

// Tests whether a VEVENT, VTODO or VJOURNAL (a master or an override) has an instance in the
// range. The expansion runs one second wider on both sides, because the table of section 9.9
// includes some end points that the plain overlap test of occurrences() leaves out.
bool component_in_range(const icalendar::Component& calendar, std::size_t index,
                        const TimeRange& range)
{
    const auto& component = calendar.components[index];
    if (component.name == "VTODO" && component.find("DTSTART") == nullptr &&
        component.find("DUE") == nullptr) {
        return instance_overlaps(instance_times(calendar, component, {}), range);
    }
    constexpr std::int64_t bound = std::int64_t{1} << 40;
    const auto from = range.start.value_or(-bound) - 1;
    const auto to = range.end.value_or(bound) + 1;
    auto expansion = icalendar::occurrences(calendar, from, to, {});
    if (!expansion) {
        return false;
    }
    return std::ranges::any_of(expansion->occurrences, [&](const icalendar::Occurrence& item) {
        return item.component == index &&
               instance_overlaps(instance_times(calendar, component, item), range);
    });
}

bool in_range(std::int64_t moment, const TimeRange& range)
{
    return (!range.start || *range.start <= moment) && (!range.end || moment < *range.end);
}

// Tests whether an alarm triggers in the range (RFC 4791 section 9.9): its TRIGGER, absolute or
// relative to the start or end of each instance of its parent, and every REPEAT after it.
bool alarm_in_range(const icalendar::Component& calendar, std::size_t parent_index,
                    const icalendar::Component& alarm, const TimeRange& range)
{
    const auto* trigger = alarm.find("TRIGGER");
    if (trigger == nullptr) {
        return false;
    }
    const auto* repeat_property = alarm.find("REPEAT");
    const auto* interval_property = alarm.find("DURATION");
    const long repeat = repeat_property != nullptr ? std::strtol(repeat_property->value.c_str(),
                                                                 nullptr, 10)
                                                   : 0;
    const auto interval = interval_property != nullptr
                              ? icalendar::parse_duration(interval_property->value).value_or(0)
                              : 0;
    const auto repeats = std::clamp<std::int64_t>(repeat, 0, 1000);
    const auto any_repeat_in_range = [&](std::int64_t first) {
        for (std::int64_t k = 0; k <= repeats; ++k) {
            if (in_range(first + k * interval, range)) {
                return true;
            }
        }
        return false;
    };

    if (auto absolute = utc_epoch(trigger->value)) {
        return any_repeat_in_range(*absolute);
    }
    auto offset = icalendar::parse_duration(trigger->value);
    if (!offset) {
        return false;
    }
    const bool from_end = trigger->parameter("RELATED").value_or("START") == "END";
    constexpr std::int64_t bound = std::int64_t{1} << 40;
    const auto span = std::abs(*offset) + repeats * std::abs(interval) + 1;
    auto expansion = icalendar::occurrences(calendar, range.start.value_or(-bound) - span,
                                            range.end.value_or(bound) + span, {});
    if (!expansion) {
        return false;
    }
    return std::ranges::any_of(expansion->occurrences, [&](const icalendar::Occurrence& item) {
        return item.component == parent_index &&
               any_repeat_in_range((from_end ? item.end : item.start) + *offset);
    });
}

bool comp_matches(const CompFilter& filter, const icalendar::Component& calendar,
                  const icalendar::Component& parent, std::optional<std::size_t> parent_index);

// Tests one component against a comp-filter. `index` is its position among its parent's
// subcomponents. `parent_index` is empty for the children of the VCALENDAR. Inside a VEVENT,
// VTODO or VJOURNAL it is that component's position in the VCALENDAR.
bool component_matches(const CompFilter& filter, const icalendar::Component& calendar,
                       const icalendar::Component& component, std::size_t index,
                       std::optional<std::size_t> parent_index)
{
    // TODO: a time-range on VFREEBUSY or VAVAILABILITY is not evaluated, so such a filter
    // matches every component of that type.
    if (filter.time_range) {
        if (!parent_index && is_instance_component(component.name) &&
            !component_in_range(calendar, index, *filter.time_range)) {
            return false;
        }
        if (parent_index && component.name == "VALARM" &&
            !alarm_in_range(calendar, *parent_index, component, *filter.time_range)) {
            return false;
        }
    }
    for (const auto& prop : filter.prop_filters) {
        if (!prop_matches(prop, calendar, component)) {
            return false;
        }
    }
    const auto own_index = parent_index ? parent_index : std::optional<std::size_t>(index);
    for (const auto& child : filter.comp_filters) {
        if (!comp_matches(child, calendar, component, own_index)) {
            return false;
        }
    }
    return true;
}

// Tests a comp-filter against the subcomponents of `parent`: true when one of them matches,
// or, with is-not-defined, when none has the name.
bool comp_matches(const CompFilter& filter, const icalendar::Component& calendar,
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
            component_matches(filter, calendar, component, i, parent_index)) {
            return true;
        }
    }
    return filter.is_not_defined && !found;
}

} // namespace

bool matches_filter(const CompFilter& filter, const icalendar::Component& calendar)
{
    if (calendar.name != filter.name || filter.is_not_defined) {
        return false;
    }
    for (const auto& prop : filter.prop_filters) {
        if (!prop_matches(prop, calendar, calendar)) {
            return false;
        }
    }
    return std::ranges::all_of(filter.comp_filters, [&](const CompFilter& child) {
        return comp_matches(child, calendar, calendar, std::nullopt);
    });
}

} // namespace robur::caldav
