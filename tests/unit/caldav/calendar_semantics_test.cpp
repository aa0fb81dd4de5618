// Floating times, RANGE=THISANDFUTURE, and the VFREEBUSY and VAVAILABILITY time-range rules of
// calendar-query and expansion.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/icalendar/parser.hpp"
#include "servers/caldav/calendar_query.hpp"
#include "servers/caldav/calendar_time.hpp"
#include "servers/caldav/calendar_zone.hpp"

namespace robur::caldav {
namespace {

std::int64_t at(std::string_view utc)
{
    auto epoch = utc_epoch(utc);
    EXPECT_TRUE(epoch) << utc;
    return epoch.value_or(0);
}

TimeRange range(std::string_view start, std::string_view end)
{
    return TimeRange{at(start), at(end)};
}

icalendar::Component calendar(std::string_view text)
{
    auto parsed = icalendar::parse_calendar_text(text, "test.ics", icalendar::Limits{});
    EXPECT_EQ(parsed.calendars.size(), 1U);
    return parsed.calendars.empty() ? icalendar::Component{} : parsed.calendars.front();
}

std::string wrap(std::string_view components)
{
    return fmt::format("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{}END:VCALENDAR\r\n",
                       components);
}

CompFilter filter(std::string_view inner)
{
    auto xml = parse_xml(fmt::format(
        R"(<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">{}</C:comp-filter></C:filter>)",
        inner));
    EXPECT_TRUE(xml) << xml.error().message;
    auto parsed = parse_filter(*xml);
    EXPECT_TRUE(parsed) << parsed.error().message;
    return parsed.value_or(CompFilter{});
}

std::string in_range(std::string_view component, std::string_view start, std::string_view end)
{
    return fmt::format(
        R"(<C:comp-filter name="{}"><C:time-range start="{}" end="{}"/></C:comp-filter>)",
        component, start, end);
}

// Central European rules without a tz database name, as a client sends them in CALDAV:timezone.
constexpr std::string_view berlin_vtimezone =
    "BEGIN:VTIMEZONE\r\nTZID:Berlin Test\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

FloatingZone berlin()
{
    FloatingZone zone;
    zone.timezone = calendar(wrap(berlin_vtimezone)).components.at(0);
    return zone;
}

const std::string floating_event = wrap("BEGIN:VEVENT\r\nUID:f@example.com\r\n"
                                        "DTSTAMP:20260101T000000Z\r\n"
                                        "DTSTART:20260301T090000\r\nDTEND:20260301T100000\r\n"
                                        "END:VEVENT\r\n");

const std::string all_day_event = wrap("BEGIN:VEVENT\r\nUID:d@example.com\r\n"
                                       "DTSTAMP:20260101T000000Z\r\n"
                                       "DTSTART;VALUE=DATE:20260301\r\n"
                                       "DTEND;VALUE=DATE:20260302\r\nEND:VEVENT\r\n");

TEST(FloatingTime, TimeRangeUsesTheZone)
{
    const auto resource = calendar(floating_event);
    // 09:00 in Berlin on 1 March (UTC+1) is 08:00Z.
    const auto early = filter(in_range("VEVENT", "20260301T080000Z", "20260301T083000Z"));
    EXPECT_TRUE(matches_filter(early, resource, berlin()));
    EXPECT_FALSE(matches_filter(early, resource));

    const auto late = filter(in_range("VEVENT", "20260301T093000Z", "20260301T100000Z"));
    EXPECT_FALSE(matches_filter(late, resource, berlin()));
    EXPECT_TRUE(matches_filter(late, resource));
}

TEST(FloatingTime, AllDayEventStartsAtLocalMidnight)
{
    const auto resource = calendar(all_day_event);
    // The day begins at 2026-02-28T23:00Z in Berlin.
    const auto evening = filter(in_range("VEVENT", "20260228T230000Z", "20260228T233000Z"));
    EXPECT_TRUE(matches_filter(evening, resource, berlin()));
    EXPECT_FALSE(matches_filter(evening, resource));

    const auto last_hour = filter(in_range("VEVENT", "20260301T233000Z", "20260302T000000Z"));
    EXPECT_FALSE(matches_filter(last_hour, resource, berlin()));
    EXPECT_TRUE(matches_filter(last_hour, resource));
}

TEST(FloatingTime, ExpandKeepsLocalDay)
{
    const auto resource = calendar(all_day_event);
    auto expanded = expand_component(resource, range("20260228T000000Z", "20260303T000000Z"),
                                     berlin());
    ASSERT_TRUE(expanded);
    ASSERT_EQ(expanded->components.size(), 1U);
    EXPECT_EQ(expanded->components[0].find("DTSTART")->value, "20260301");
    EXPECT_EQ(expanded->components[0].find("DTEND")->value, "20260302");

    const auto timed = calendar(floating_event);
    auto expanded_timed = expand_component(timed, range("20260301T000000Z", "20260302T000000Z"),
                                           berlin());
    ASSERT_TRUE(expanded_timed);
    ASSERT_EQ(expanded_timed->components.size(), 1U);
    EXPECT_EQ(expanded_timed->components[0].find("DTSTART")->value, "20260301T080000Z");
}

TEST(FloatingTime, FreeBusyUsesTheZone)
{
    std::vector<BusyPeriod> periods;
    add_busy_periods(calendar(floating_event), range("20260301T000000Z", "20260302T000000Z"),
                     periods, berlin());
    ASSERT_EQ(periods.size(), 1U);
    EXPECT_EQ(periods[0].start, at("20260301T080000Z"));
    EXPECT_EQ(periods[0].end, at("20260301T090000Z"));
}

TEST(FloatingTime, PropertyTimeRangeUsesTheZone)
{
    const auto resource = calendar(floating_event);
    const auto prop = filter(
        R"(<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:time-range start="20260301T075900Z" end="20260301T080100Z"/></C:prop-filter></C:comp-filter>)");
    EXPECT_TRUE(matches_filter(prop, resource, berlin()));
    EXPECT_FALSE(matches_filter(prop, resource));
}

XmlElement query_body(std::string_view inner)
{
    auto xml = parse_xml(fmt::format(
        R"(<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav">{}</C:calendar-query>)",
        inner));
    EXPECT_TRUE(xml) << xml.error().message;
    return xml.value_or(XmlElement{});
}

TEST(FloatingZoneRequest, ReadsTimezoneElement)
{
    const auto body = query_body(fmt::format("<C:timezone>{}</C:timezone>",
                                             wrap(berlin_vtimezone)));
    auto zone = read_floating_zone(body, {});
    ASSERT_TRUE(zone) << zone.error().message;
    ASSERT_TRUE(zone->timezone);
    EXPECT_EQ(zone->timezone->find("TZID")->value, "Berlin Test");
}

TEST(FloatingZoneRequest, RejectsBrokenTimezone)
{
    const auto garbage =
        read_floating_zone(query_body("<C:timezone>not iCalendar</C:timezone>"), {});
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().precondition.local, "valid-calendar-data");

    const auto no_zone = read_floating_zone(
        query_body(fmt::format("<C:timezone>{}</C:timezone>", wrap(""))), {});
    ASSERT_FALSE(no_zone);
    EXPECT_EQ(no_zone.error().precondition.local, "valid-calendar-data");

    const auto unknown = read_floating_zone(
        query_body("<C:timezone-id>Mars/Olympus_Mons</C:timezone-id>"), {});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().precondition.local, "valid-timezone");
}

TEST(FloatingZoneRequest, TimezoneIdNamesDatabaseZone)
{
    auto zone = read_floating_zone(query_body("<C:timezone-id>Europe/Berlin</C:timezone-id>"), {});
    ASSERT_TRUE(zone) << zone.error().message;
    const auto resource = calendar(floating_event);
    EXPECT_TRUE(matches_filter(filter(in_range("VEVENT", "20260301T080000Z", "20260301T083000Z")),
                               resource, *zone));
}

TEST(FloatingZoneRequest, FallsBackToCollectionProperty)
{
    icalendar::CollectionProperties collection;
    // Stored as PROPPATCH stores a dead property: the XML content, escaped.
    collection.dead.push_back({std::string(caldav_ns), "calendar-timezone",
                               escape_xml(wrap(berlin_vtimezone))});
    auto zone = read_floating_zone(query_body(""), collection);
    ASSERT_TRUE(zone) << zone.error().message;
    ASSERT_TRUE(zone->timezone);
    EXPECT_EQ(zone->timezone->find("TZID")->value, "Berlin Test");

    auto request_wins = read_floating_zone(
        query_body("<C:timezone-id>America/New_York</C:timezone-id>"), collection);
    ASSERT_TRUE(request_wins);
    EXPECT_EQ(request_wins->timezone->find("TZID")->value, "America/New_York");

    EXPECT_FALSE(read_floating_zone(query_body(""), {})->timezone);
}

// Daily at 09:00Z from 1 January 2026 for five days. The override of 3 January moves that
// instance and every later one two hours later, with a two-hour length.
const std::string this_and_future = wrap(
    "BEGIN:VEVENT\r\nUID:taf@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20260101T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=5\r\n"
    "SUMMARY:Standup\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:taf@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
    "RECURRENCE-ID;RANGE=THISANDFUTURE:20260103T090000Z\r\n"
    "DTSTART:20260103T110000Z\r\nDURATION:PT2H\r\nSUMMARY:Late standup\r\nEND:VEVENT\r\n");

TEST(ThisAndFuture, TimeRangeFollowsShift)
{
    const auto resource = calendar(this_and_future);
    EXPECT_FALSE(matches_filter(filter(in_range("VEVENT", "20260104T090000Z", "20260104T100000Z")),
                                resource));
    EXPECT_TRUE(matches_filter(filter(in_range("VEVENT", "20260105T120000Z", "20260105T123000Z")),
                               resource));
    EXPECT_TRUE(matches_filter(filter(in_range("VEVENT", "20260102T090000Z", "20260102T093000Z")),
                               resource));
}

TEST(ThisAndFuture, ExpandKeepsOwnRecurrenceId)
{
    const auto resource = calendar(this_and_future);
    auto expanded = expand_component(resource, range("20260102T000000Z", "20260106T000000Z"));
    ASSERT_TRUE(expanded);
    ASSERT_EQ(expanded->components.size(), 4U);
    EXPECT_EQ(expanded->components[0].find("SUMMARY")->value, "Standup");
    for (std::size_t i = 1; i < 4; ++i) {
        const auto& instance = expanded->components[i];
        const auto day = fmt::format("2026010{}", i + 2);
        EXPECT_EQ(instance.find("SUMMARY")->value, "Late standup") << i;
        EXPECT_EQ(instance.find("DTSTART")->value, day + "T110000Z") << i;
        EXPECT_EQ(instance.find("RECURRENCE-ID")->value, day + "T090000Z") << i;
        EXPECT_FALSE(instance.find("RECURRENCE-ID")->parameter("RANGE")) << i;
    }
}

TEST(FreeBusyComponent, DtstartAndDtendDecide)
{
    const auto resource = calendar(wrap(
        "BEGIN:VFREEBUSY\r\nUID:fb@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20260105T000000Z\r\nDTEND:20260106T000000Z\r\n"
        "FREEBUSY:20260110T100000Z/PT1H\r\nEND:VFREEBUSY\r\n"));
    EXPECT_TRUE(matches_filter(
        filter(in_range("VFREEBUSY", "20260105T120000Z", "20260105T130000Z")), resource));
    // RFC 4791 section 9.9: start <= DTEND, so a range that starts at DTEND matches.
    EXPECT_TRUE(matches_filter(
        filter(in_range("VFREEBUSY", "20260106T000000Z", "20260106T010000Z")), resource));
    EXPECT_FALSE(matches_filter(
        filter(in_range("VFREEBUSY", "20260110T100000Z", "20260110T110000Z")), resource));
}

TEST(FreeBusyComponent, PeriodsDecideWithoutDtstart)
{
    const auto resource = calendar(wrap(
        "BEGIN:VFREEBUSY\r\nUID:fb@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
        "FREEBUSY;FBTYPE=FREE:20260110T100000Z/PT1H,20260111T100000Z/20260111T120000Z\r\n"
        "END:VFREEBUSY\r\n"));
    EXPECT_TRUE(matches_filter(
        filter(in_range("VFREEBUSY", "20260111T110000Z", "20260111T113000Z")), resource));
    EXPECT_TRUE(matches_filter(
        filter(in_range("VFREEBUSY", "20260110T103000Z", "20260110T113000Z")), resource));
    EXPECT_FALSE(matches_filter(
        filter(in_range("VFREEBUSY", "20260110T110000Z", "20260111T100000Z")), resource));

    const auto empty = calendar(wrap("BEGIN:VFREEBUSY\r\nUID:e@example.com\r\n"
                                     "DTSTAMP:20260101T000000Z\r\nEND:VFREEBUSY\r\n"));
    EXPECT_FALSE(matches_filter(
        filter(in_range("VFREEBUSY", "20000101T000000Z", "20300101T000000Z")), empty));
}

TEST(AvailabilityComponent, OpenBoundsAndDuration)
{
    const auto bounded = calendar(wrap(
        "BEGIN:VAVAILABILITY\r\nUID:a@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20260105T000000Z\r\nDURATION:P1D\r\nEND:VAVAILABILITY\r\n"));
    EXPECT_TRUE(matches_filter(
        filter(in_range("VAVAILABILITY", "20260105T230000Z", "20260106T010000Z")), bounded));
    EXPECT_FALSE(matches_filter(
        filter(in_range("VAVAILABILITY", "20260106T000000Z", "20260106T010000Z")), bounded));

    const auto open_end = calendar(wrap(
        "BEGIN:VAVAILABILITY\r\nUID:b@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20260105T000000Z\r\nEND:VAVAILABILITY\r\n"));
    EXPECT_TRUE(matches_filter(
        filter(in_range("VAVAILABILITY", "20990101T000000Z", "20990102T000000Z")), open_end));
    EXPECT_FALSE(matches_filter(
        filter(in_range("VAVAILABILITY", "20260101T000000Z", "20260105T000000Z")), open_end));

    const auto open_start = calendar(wrap(
        "BEGIN:VAVAILABILITY\r\nUID:c@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTEND:20260105T000000Z\r\nEND:VAVAILABILITY\r\n"));
    EXPECT_TRUE(matches_filter(
        filter(in_range("VAVAILABILITY", "19990101T000000Z", "19990102T000000Z")), open_start));
    EXPECT_FALSE(matches_filter(
        filter(in_range("VAVAILABILITY", "20260105T000000Z", "20260106T000000Z")), open_start));
}

} // namespace
} // namespace robur::caldav
