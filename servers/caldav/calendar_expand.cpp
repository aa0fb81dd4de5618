// The calendar-data options of RFC 4791 section 9.6 (expand, limit-recurrence-set, partial
// retrieval) and the busy periods of free-busy-query (section 7.10). Expansion comes from
// occurrences() in formats/icalendar.

#include <algorithm>
#include <cctype>
#include <tuple>

#include "formats/icalendar/occurrences.hpp"
#include "servers/caldav/calendar_query.hpp"
#include "servers/caldav/calendar_time.hpp"

namespace robur::caldav {
namespace {

constexpr std::int64_t open_bound = std::int64_t{1} << 40;

bool equal_ignoring_case(std::string_view left, std::string_view right)
{
    return std::ranges::equal(left, right, [](unsigned char a, unsigned char b) {
        return std::tolower(a) == std::tolower(b);
    });
}

bool is_date_value(const icalendar::Property& property)
{
    return property.value.size() == 8;
}

// Rewrites a DATE-TIME property to UTC, or a DATE property to `date`, the day the instance has
// in the floating zone.
void set_time(icalendar::Component& component, std::string_view name, std::int64_t epoch,
              const std::string& date)
{
    auto* property = component.find(name);
    if (property == nullptr) {
        return;
    }
    property->remove_parameter("TZID");
    property->value = is_date_value(*property) && !date.empty() ? date : utc_text(epoch);
}

// Sets the RECURRENCE-ID of an expanded instance: the DATE the master's instance had, or the
// UTC time it started at before an override moved it. RANGE is dropped, because each
// expanded instance stands for itself.
void set_recurrence_id(icalendar::Component& instance, const icalendar::Occurrence& occurrence)
{
    instance.remove_all("RECURRENCE-ID");
    icalendar::Property recurrence_id{"RECURRENCE-ID", {}, {}, 0};
    if (occurrence.recurrence_id.size() == 8) {
        recurrence_id.set_parameter("VALUE", "DATE");
        recurrence_id.value = occurrence.recurrence_id;
    } else {
        recurrence_id.value = utc_text(occurrence.recurrence_start);
    }
    instance.properties.push_back(std::move(recurrence_id));
}

icalendar::Component expanded_instance(const icalendar::Component& calendar,
                                       const icalendar::Occurrence& occurrence)
{
    auto instance = calendar.components[occurrence.component];
    instance.remove_all("RRULE");
    instance.remove_all("RDATE");
    instance.remove_all("EXDATE");
    instance.remove_all("EXRULE");

    const bool has_start = instance.find("DTSTART") != nullptr;
    set_time(instance, "DTSTART", occurrence.start, occurrence.start_date);
    set_time(instance, "DTEND", occurrence.end, occurrence.end_date);
    set_time(instance, "DUE", has_start ? occurrence.end : occurrence.start,
             has_start ? occurrence.end_date : occurrence.start_date);
    if (!occurrence.recurrence_id.empty()) {
        set_recurrence_id(instance, occurrence);
    }
    return instance;
}

icalendar::Property time_property(std::string name, std::int64_t epoch)
{
    return icalendar::Property{std::move(name), {}, utc_text(epoch), 0};
}

} // namespace

std::optional<icalendar::Component> expand_component(const icalendar::Component& calendar,
                                                     const TimeRange& range,
                                                     const FloatingZone& floating)
{
    auto expansion = icalendar::occurrences(calendar, range.start.value_or(-open_bound),
                                            range.end.value_or(open_bound),
                                            floating.expansion_options());
    if (!expansion) {
        return std::nullopt;
    }
    icalendar::Component expanded{calendar.name, calendar.properties, {}, 0};
    for (const auto& occurrence : expansion->occurrences) {
        expanded.components.push_back(expanded_instance(calendar, occurrence));
    }
    return expanded;
}

std::optional<std::string> expand_calendar(const icalendar::Component& calendar,
                                           const TimeRange& range, const FloatingZone& floating)
{
    auto expanded = expand_component(calendar, range, floating);
    if (!expanded) {
        return std::nullopt;
    }
    return icalendar::write_component(*expanded);
}

icalendar::Component limit_recurrence_set(const icalendar::Component& calendar,
                                          const TimeRange& range, const FloatingZone& floating)
{
    auto expansion = icalendar::occurrences(calendar, range.start.value_or(-open_bound),
                                            range.end.value_or(open_bound),
                                            floating.expansion_options());
    if (!expansion) {
        return calendar;
    }
    std::vector<bool> in_range(calendar.components.size(), false);
    for (const auto& occurrence : expansion->occurrences) {
        in_range[occurrence.component] = true;
    }
    icalendar::Component limited{calendar.name, calendar.properties, {}, 0};
    for (std::size_t i = 0; i < calendar.components.size(); ++i) {
        const auto& component = calendar.components[i];
        if (in_range[i] || component.find("RECURRENCE-ID") == nullptr) {
            limited.components.push_back(component);
        }
    }
    return limited;
}

ComponentSelection parse_component_selection(const XmlElement& comp)
{
    ComponentSelection selection;
    for (const auto& attribute : comp.attributes) {
        if (attribute.name.local == "name") {
            selection.name = attribute.value;
        }
    }
    for (const auto* child : comp.elements()) {
        if (child->is(caldav_ns, "allprop")) {
            selection.all_properties = true;
        } else if (child->is(caldav_ns, "allcomp")) {
            selection.all_components = true;
        } else if (child->is(caldav_ns, "comp")) {
            selection.components.push_back(parse_component_selection(*child));
        } else if (child->is(caldav_ns, "prop")) {
            for (const auto& attribute : child->attributes) {
                if (attribute.name.local == "name") {
                    selection.properties.push_back(attribute.value);
                }
            }
        }
    }
    return selection;
}

icalendar::Component select_parts(const icalendar::Component& component,
                                  const ComponentSelection& selection)
{
    icalendar::Component selected{component.name, {}, {}, component.line};
    for (const auto& property : component.properties) {
        if (selection.all_properties ||
            std::ranges::any_of(selection.properties, [&](const std::string& name) {
                return equal_ignoring_case(name, property.name);
            })) {
            selected.properties.push_back(property);
        }
    }
    for (const auto& child : component.components) {
        if (selection.all_components) {
            selected.components.push_back(child);
            continue;
        }
        const auto match = std::ranges::find_if(
            selection.components, [&](const ComponentSelection& candidate) {
                return equal_ignoring_case(candidate.name, child.name);
            });
        if (match != selection.components.end()) {
            selected.components.push_back(select_parts(child, *match));
        }
    }
    return selected;
}

void add_busy_periods(const icalendar::Component& calendar, const TimeRange& range,
                      std::vector<BusyPeriod>& periods, const FloatingZone& floating)
{
    const auto from = range.start.value_or(-open_bound);
    const auto to = range.end.value_or(open_bound);
    auto expansion = icalendar::occurrences(calendar, from, to, floating.expansion_options());
    if (!expansion) {
        return;
    }
    for (const auto& occurrence : expansion->occurrences) {
        const auto& component = calendar.components[occurrence.component];
        const auto* transparency = component.find("TRANSP");
        const auto* status = component.find("STATUS");
        const auto status_value = status != nullptr ? status->value : std::string();
        // An instant blocks no time, and transparent or cancelled events leave it free.
        if (component.name != "VEVENT" || occurrence.end <= occurrence.start ||
            (transparency != nullptr && transparency->value == "TRANSPARENT") ||
            status_value == "CANCELLED") {
            continue;
        }
        periods.push_back(BusyPeriod{std::max(occurrence.start, from),
                                     std::min(occurrence.end, to), status_value == "TENTATIVE"});
    }
}

std::string write_free_busy(std::vector<BusyPeriod> periods, const TimeRange& range,
                            std::int64_t now)
{
    std::ranges::sort(periods, [](const BusyPeriod& left, const BusyPeriod& right) {
        return std::tie(left.tentative, left.start) < std::tie(right.tentative, right.start);
    });
    std::vector<BusyPeriod> merged;
    for (const auto& period : periods) {
        if (!merged.empty() && merged.back().tentative == period.tentative &&
            period.start <= merged.back().end) {
            merged.back().end = std::max(merged.back().end, period.end);
        } else {
            merged.push_back(period);
        }
    }
    std::ranges::sort(merged, {}, &BusyPeriod::start);

    icalendar::Component free_busy{"VFREEBUSY", {}, {}, 0};
    free_busy.properties.push_back(time_property("DTSTAMP", now));
    free_busy.properties.push_back(time_property("DTSTART", range.start.value_or(now)));
    if (range.end) {
        free_busy.properties.push_back(time_property("DTEND", *range.end));
    }
    for (const auto& period : merged) {
        icalendar::Property line{"FREEBUSY", {}, utc_text(period.start) + "/" +
                                                     utc_text(period.end), 0};
        line.set_parameter("FBTYPE", period.tentative ? "BUSY-TENTATIVE" : "BUSY");
        free_busy.properties.push_back(std::move(line));
    }

    icalendar::Component calendar{"VCALENDAR", {}, {}, 0};
    calendar.properties.push_back({"VERSION", {}, "2.0", 0});
    calendar.properties.push_back({"PRODID", {}, "-//robur//CalDAV free-busy//EN", 0});
    calendar.components.push_back(std::move(free_busy));
    return icalendar::write_component(calendar);
}

} // namespace robur::caldav
