// The zone that floating times are read in for calendar-query, free-busy-query and expand
// (RFC 4791 sections 9.8 and 9.9, RFC 7809): from the request, else from the
// calendar collection, else UTC.

#include <fmt/format.h>

#include "servers/caldav/calendar_zone.hpp"

#include "formats/icalendar/parser.hpp"

namespace robur::caldav {
namespace {

const XmlName valid_calendar_data{std::string(caldav_ns), "valid-calendar-data"};
const XmlName valid_timezone{std::string(caldav_ns), "valid-timezone"};

// Returns true when occurrences() can place a floating time in the zone.
bool is_usable(const FloatingZone& zone)
{
    const icalendar::Component empty{"VCALENDAR", {}, {}, 0};
    const icalendar::Property probe{"DTSTART", {}, "20260101T000000", 0};
    return property_epoch(empty, probe, probe.value, zone).has_value();
}

// Reads a VCALENDAR with one VTIMEZONE: the content of CALDAV:timezone and of the
// calendar-timezone property.
tl::expected<FloatingZone, std::string> parse_timezone_text(std::string_view text)
{
    auto parsed = icalendar::parse_calendar_text(text, "timezone", icalendar::Limits{});
    for (const auto& diagnostic : parsed.diagnostics) {
        if (diagnostic.severity == Severity::error) {
            return tl::unexpected(
                fmt::format("the time zone is not valid iCalendar: {}", diagnostic.to_string()));
        }
    }
    if (parsed.calendars.size() != 1) {
        return tl::unexpected(std::string("the time zone is not one iCalendar object"));
    }
    FloatingZone zone;
    for (const auto& component : parsed.calendars.front().components) {
        if (component.name != "VTIMEZONE") {
            continue;
        }
        if (zone.timezone) {
            return tl::unexpected(std::string("the time zone object has more than one VTIMEZONE"));
        }
        zone.timezone = component;
    }
    if (!zone.timezone || zone.timezone->find("TZID") == nullptr) {
        return tl::unexpected(std::string("the time zone object has no VTIMEZONE with a TZID"));
    }
    if (!is_usable(zone)) {
        return tl::unexpected(fmt::format("the VTIMEZONE {} does not define a time zone",
                                          zone.timezone->find("TZID")->value));
    }
    return zone;
}

// A VTIMEZONE with only a TZID, which occurrences() resolves through the tz database.
std::optional<FloatingZone> zone_for_id(std::string_view tzid)
{
    FloatingZone zone;
    zone.timezone = icalendar::Component{"VTIMEZONE", {}, {}, 0};
    zone.timezone->properties.push_back({"TZID", {}, std::string(tzid), 0});
    if (tzid.empty() || !is_usable(zone)) {
        return std::nullopt;
    }
    return zone;
}

// Returns the text of a dead property as the client sent it, with XML escapes decoded.
std::optional<std::string> dead_property_text(const icalendar::CollectionProperties& collection,
                                              std::string_view local)
{
    for (const auto& property : collection.dead) {
        if (property.ns != caldav_ns || property.name != local) {
            continue;
        }
        auto parsed = parse_xml("<value>" + property.value + "</value>");
        if (parsed) {
            return parsed->text_content();
        }
    }
    return std::nullopt;
}

} // namespace

tl::expected<void, std::string> check_calendar_timezone(std::string_view text)
{
    auto zone = parse_timezone_text(text);
    if (!zone) {
        return tl::unexpected(std::move(zone.error()));
    }
    return {};
}

FloatingZone collection_floating_zone(const icalendar::CollectionProperties& collection)
{
    if (auto text = dead_property_text(collection, "calendar-timezone")) {
        if (auto zone = parse_timezone_text(*text)) {
            return *zone;
        }
    }
    if (auto tzid = dead_property_text(collection, "calendar-timezone-id")) {
        if (auto zone = zone_for_id(*tzid)) {
            return *zone;
        }
    }
    return {};
}

tl::expected<FloatingZone, FilterError> read_floating_zone(
    const XmlElement& body, const icalendar::CollectionProperties& collection)
{
    if (const auto* timezone = body.child(caldav_ns, "timezone")) {
        auto zone = parse_timezone_text(timezone->text_content());
        if (!zone) {
            return tl::unexpected(FilterError{valid_calendar_data,
                                              fmt::format("CALDAV:timezone: {}", zone.error())});
        }
        return *zone;
    }
    if (const auto* timezone_id = body.child(caldav_ns, "timezone-id")) {
        const auto tzid = timezone_id->text_content();
        auto zone = zone_for_id(tzid);
        if (!zone) {
            return tl::unexpected(FilterError{
                valid_timezone, fmt::format("CALDAV:timezone-id '{}' is not a known time zone",
                                            tzid)});
        }
        return *zone;
    }
    return collection_floating_zone(collection);
}

tl::expected<FloatingZone, FilterError> report_floating_zone(const store::Snapshot& snapshot,
                                                            const Node& node,
                                                            const XmlElement* body)
{
    icalendar::CollectionProperties collection = node.properties;
    if (node.kind != NodeKind::calendar) {
        auto parent = resolve_node(snapshot, node.path.parent());
        collection = parent ? parent->properties : icalendar::CollectionProperties{};
    }
    if (body == nullptr) {
        return collection_floating_zone(collection);
    }
    return read_floating_zone(*body, collection);
}

} // namespace robur::caldav
