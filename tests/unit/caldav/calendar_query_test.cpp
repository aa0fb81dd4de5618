#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/icalendar/parser.hpp"
#include "servers/caldav/calendar_query.hpp"
#include "servers/caldav/calendar_time.hpp"

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

tl::expected<CompFilter, FilterError> try_filter(std::string_view inner)
{
    auto xml = parse_xml(fmt::format(
        R"(<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav">{}</C:filter>)", inner));
    EXPECT_TRUE(xml) << xml.error().message;
    return parse_filter(*xml);
}

std::string events_in(std::string_view start, std::string_view end)
{
    return fmt::format(R"(<C:comp-filter name="VEVENT"><C:time-range start="{}" end="{}"/></C:comp-filter>)",
                       start, end);
}

// Weekly on Monday 09:00 Berlin time, 10 instances from 5 January 2026; 19 January excluded;
// 26 January moved to Tuesday 27 January 14:00.
constexpr std::string_view weekly = "BEGIN:VCALENDAR\r\n"
                                    "VERSION:2.0\r\n"
                                    "PRODID:-//test//EN\r\n"
                                    "BEGIN:VEVENT\r\n"
                                    "UID:weekly@example.com\r\n"
                                    "DTSTAMP:20260101T000000Z\r\n"
                                    "DTSTART;TZID=Europe/Berlin:20260105T090000\r\n"
                                    "DTEND;TZID=Europe/Berlin:20260105T100000\r\n"
                                    "RRULE:FREQ=WEEKLY;COUNT=10\r\n"
                                    "EXDATE;TZID=Europe/Berlin:20260119T090000\r\n"
                                    "SUMMARY:Team Meeting\r\n"
                                    "CATEGORIES:Work\r\n"
                                    "END:VEVENT\r\n"
                                    "BEGIN:VEVENT\r\n"
                                    "UID:weekly@example.com\r\n"
                                    "DTSTAMP:20260101T000000Z\r\n"
                                    "RECURRENCE-ID;TZID=Europe/Berlin:20260126T090000\r\n"
                                    "DTSTART;TZID=Europe/Berlin:20260127T140000\r\n"
                                    "DTEND;TZID=Europe/Berlin:20260127T150000\r\n"
                                    "SUMMARY:Team Meeting (moved)\r\n"
                                    "END:VEVENT\r\n"
                                    "END:VCALENDAR\r\n";

TEST(TimeRangeOverlap, EventWithEnd)
{
    const InstanceTimes event{"VEVENT", at("20260105T090000Z"), at("20260105T100000Z"), false,
                              false, std::nullopt, std::nullopt};
    EXPECT_TRUE(instance_overlaps(event, range("20260105T095959Z", "20260105T120000Z")));
    EXPECT_FALSE(instance_overlaps(event, range("20260105T100000Z", "20260105T120000Z")));
    EXPECT_FALSE(instance_overlaps(event, range("20260105T080000Z", "20260105T090000Z")));
    EXPECT_TRUE(instance_overlaps(event, TimeRange{std::nullopt, at("20260105T090001Z")}));
}

TEST(TimeRangeOverlap, EventWithoutEnd)
{
    const InstanceTimes instant{"VEVENT", at("20260105T090000Z"), std::nullopt, false, false,
                                std::nullopt, std::nullopt};
    EXPECT_TRUE(instance_overlaps(instant, range("20260105T090000Z", "20260105T090001Z")));
    EXPECT_FALSE(instance_overlaps(instant, range("20260105T080000Z", "20260105T090000Z")));

    const InstanceTimes all_day{"VEVENT", at("20260105T000000Z"), std::nullopt, false, true,
                                std::nullopt, std::nullopt};
    EXPECT_TRUE(instance_overlaps(all_day, range("20260105T235959Z", "20260106T120000Z")));
    EXPECT_FALSE(instance_overlaps(all_day, range("20260106T000000Z", "20260106T120000Z")));
}

TEST(TimeRangeOverlap, TodoRows)
{
    const auto start = at("20260105T090000Z");
    const auto due = at("20260105T170000Z");
    const InstanceTimes with_due{"VTODO", start, due, true, false, std::nullopt, std::nullopt};
    EXPECT_FALSE(instance_overlaps(with_due, range("20260105T170000Z", "20260106T000000Z")));
    EXPECT_TRUE(instance_overlaps(with_due, range("20260105T160000Z", "20260106T000000Z")));

    const InstanceTimes due_only{"VTODO", std::nullopt, due, true, false, std::nullopt,
                                 std::nullopt};
    EXPECT_TRUE(instance_overlaps(due_only, range("20260105T120000Z", "20260105T170000Z")));
    EXPECT_FALSE(instance_overlaps(due_only, range("20260105T170000Z", "20260105T180000Z")));

    const InstanceTimes start_only{"VTODO", start, std::nullopt, false, false, std::nullopt,
                                   std::nullopt};
    EXPECT_TRUE(instance_overlaps(start_only, range("20260105T090000Z", "20260105T090001Z")));
    EXPECT_FALSE(instance_overlaps(start_only, range("20260105T090001Z", "20260105T100000Z")));

    const InstanceTimes completed{"VTODO", std::nullopt, std::nullopt, false, false, due,
                                  std::nullopt};
    EXPECT_TRUE(instance_overlaps(completed, range("20260105T160000Z", "20260105T170000Z")));
    EXPECT_FALSE(instance_overlaps(completed, range("20260105T180000Z", "20260105T190000Z")));

    const InstanceTimes created{"VTODO", std::nullopt, std::nullopt, false, false, std::nullopt,
                                start};
    EXPECT_TRUE(instance_overlaps(created, range("20260106T000000Z", "20260107T000000Z")));
    EXPECT_FALSE(instance_overlaps(created, range("20260104T000000Z", "20260105T090000Z")));

    const InstanceTimes bare{"VTODO", std::nullopt, std::nullopt, false, false, std::nullopt,
                             std::nullopt};
    EXPECT_TRUE(instance_overlaps(bare, range("19900101T000000Z", "19900102T000000Z")));
}

TEST(TimeRangeOverlap, Journal)
{
    const InstanceTimes timed{"VJOURNAL", at("20260105T090000Z"), std::nullopt, false, false,
                              std::nullopt, std::nullopt};
    EXPECT_TRUE(instance_overlaps(timed, range("20260105T090000Z", "20260105T090001Z")));
    EXPECT_FALSE(instance_overlaps(timed, range("20260105T080000Z", "20260105T090000Z")));

    const InstanceTimes day{"VJOURNAL", at("20260105T000000Z"), std::nullopt, false, true,
                            std::nullopt, std::nullopt};
    EXPECT_TRUE(instance_overlaps(day, range("20260105T120000Z", "20260105T130000Z")));

    const InstanceTimes undated{"VJOURNAL", std::nullopt, std::nullopt, false, false,
                                std::nullopt, std::nullopt};
    EXPECT_FALSE(instance_overlaps(undated, range("20260105T000000Z", "20260106T000000Z")));
}

TEST(CalendarFilter, RecurringEventMatchesAnyInstance)
{
    const auto resource = calendar(weekly);
    // 12 January 09:00 Berlin is 08:00 UTC.
    EXPECT_TRUE(matches_filter(filter(events_in("20260112T075959Z", "20260112T080001Z")),
                               resource));
    // Wednesday 14 January has no instance.
    EXPECT_FALSE(matches_filter(filter(events_in("20260114T000000Z", "20260115T000000Z")),
                                resource));
    // 19 January is excluded by EXDATE.
    EXPECT_FALSE(matches_filter(filter(events_in("20260119T000000Z", "20260120T000000Z")),
                                resource));
    // 26 January moved to the 27th.
    EXPECT_FALSE(matches_filter(filter(events_in("20260126T000000Z", "20260127T000000Z")),
                                resource));
    EXPECT_TRUE(matches_filter(filter(events_in("20260127T000000Z", "20260128T000000Z")),
                               resource));
    // COUNT=10 ends with 9 March.
    EXPECT_FALSE(matches_filter(filter(events_in("20260310T000000Z", "20270101T000000Z")),
                                resource));
}

TEST(CalendarFilter, TextMatchCollations)
{
    const auto resource = calendar(weekly);
    const auto summary = [](std::string_view attributes, std::string_view text) {
        return fmt::format(R"(<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match {}>{}</C:text-match></C:prop-filter></C:comp-filter>)",
                           attributes, text);
    };
    EXPECT_TRUE(matches_filter(filter(summary("", "team meeting")), resource));
    EXPECT_FALSE(matches_filter(filter(summary(R"(collation="i;octet")", "team meeting")),
                                resource));
    EXPECT_TRUE(matches_filter(filter(summary(R"(collation="i;octet")", "Team")), resource));
    EXPECT_FALSE(matches_filter(filter(summary(R"(negate-condition="yes")", "meeting")),
                                resource));
    EXPECT_TRUE(matches_filter(filter(summary(R"(negate-condition="yes")", "party")), resource));
}

TEST(CalendarFilter, IsNotDefinedAndParamFilter)
{
    const auto resource = calendar(weekly);
    EXPECT_TRUE(matches_filter(
        filter(R"(<C:comp-filter name="VTODO"><C:is-not-defined/></C:comp-filter>)"), resource));
    EXPECT_FALSE(matches_filter(
        filter(R"(<C:comp-filter name="VEVENT"><C:is-not-defined/></C:comp-filter>)"), resource));
    EXPECT_TRUE(matches_filter(
        filter(R"(<C:comp-filter name="VEVENT"><C:prop-filter name="LOCATION"><C:is-not-defined/></C:prop-filter></C:comp-filter>)"),
        resource));
    EXPECT_TRUE(matches_filter(
        filter(R"(<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:param-filter name="TZID"><C:text-match>berlin</C:text-match></C:param-filter></C:prop-filter></C:comp-filter>)"),
        resource));
    EXPECT_FALSE(matches_filter(
        filter(R"(<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:param-filter name="VALUE"/></C:prop-filter></C:comp-filter>)"),
        resource));
}

TEST(CalendarFilter, PropertyTimeRangeUsesZone)
{
    const auto resource = calendar(weekly);
    const auto dtstart = [](std::string_view start, std::string_view end) {
        return fmt::format(R"(<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:time-range start="{}" end="{}"/></C:prop-filter></C:comp-filter>)",
                           start, end);
    };
    EXPECT_TRUE(matches_filter(filter(dtstart("20260105T080000Z", "20260105T080001Z")),
                               resource));
    EXPECT_FALSE(matches_filter(filter(dtstart("20260105T090000Z", "20260105T100000Z")),
                                resource));
}

TEST(CalendarFilter, RejectsInvalidFilters)
{
    auto collation = try_filter(R"(<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;unicode-casemap">x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>)");
    ASSERT_FALSE(collation);
    EXPECT_EQ(collation.error().precondition.local, "supported-collation");

    auto local_time = try_filter(R"(<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260105T000000"/></C:comp-filter></C:comp-filter>)");
    ASSERT_FALSE(local_time);
    EXPECT_EQ(local_time.error().precondition.local, "valid-filter");
    EXPECT_NE(local_time.error().message.find("20260105T000000"), std::string::npos);

    auto reversed = try_filter(R"(<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260105T000000Z" end="20260101T000000Z"/></C:comp-filter></C:comp-filter>)");
    EXPECT_FALSE(reversed);

    auto wrong_top = try_filter(R"(<C:comp-filter name="VEVENT"/>)");
    EXPECT_FALSE(wrong_top);

    auto empty = try_filter("");
    EXPECT_FALSE(empty);
}

TEST(CalendarFilter, AlarmTriggerTimeRange)
{
    const auto resource = calendar("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                                   "BEGIN:VEVENT\r\nUID:alarm@example.com\r\n"
                                   "DTSTAMP:20260101T000000Z\r\n"
                                   "DTSTART:20260105T080000Z\r\nDTEND:20260105T090000Z\r\n"
                                   "RRULE:FREQ=DAILY;COUNT=3\r\n"
                                   "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n"
                                   "TRIGGER:-PT15M\r\nEND:VALARM\r\n"
                                   "END:VEVENT\r\nEND:VCALENDAR\r\n");
    const auto alarms_in = [](std::string_view start, std::string_view end) {
        return fmt::format(R"(<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:time-range start="{}" end="{}"/></C:comp-filter></C:comp-filter>)",
                           start, end);
    };
    // The second instance starts 6 January 08:00, so its alarm triggers at 07:45.
    EXPECT_TRUE(matches_filter(filter(alarms_in("20260106T074000Z", "20260106T075000Z")),
                               resource));
    EXPECT_FALSE(matches_filter(filter(alarms_in("20260106T075000Z", "20260106T090000Z")),
                                resource));
    EXPECT_FALSE(matches_filter(filter(alarms_in("20260108T074000Z", "20260108T075000Z")),
                                resource));
}

TEST(CalendarExpand, InstancesInUtcWithRecurrenceId)
{
    const auto resource = calendar(weekly);
    auto text = expand_calendar(resource, range("20260110T000000Z", "20260201T000000Z"));
    ASSERT_TRUE(text);
    const auto expanded = calendar(*text);
    ASSERT_EQ(expanded.components.size(), 2U) << *text;
    EXPECT_EQ(expanded.components[0].find("DTSTART")->value, "20260112T080000Z");
    EXPECT_EQ(expanded.components[0].find("RECURRENCE-ID")->value, "20260112T080000Z");
    EXPECT_EQ(expanded.components[0].find("RRULE"), nullptr);
    EXPECT_EQ(expanded.components[0].find("EXDATE"), nullptr);
    EXPECT_FALSE(expanded.components[0].find("DTSTART")->parameter("TZID"));
    EXPECT_EQ(expanded.components[1].find("DTSTART")->value, "20260127T130000Z");
    EXPECT_EQ(expanded.components[1].find("DTEND")->value, "20260127T140000Z");
    EXPECT_EQ(expanded.components[1].find("RECURRENCE-ID")->value, "20260126T080000Z");
}

TEST(CalendarExpand, AllDayStaysDate)
{
    const auto resource = calendar("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                                   "BEGIN:VEVENT\r\nUID:day@example.com\r\n"
                                   "DTSTAMP:20260101T000000Z\r\n"
                                   "DTSTART;VALUE=DATE:20260110\r\nDTEND;VALUE=DATE:20260111\r\n"
                                   "RRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    auto text = expand_calendar(resource, range("20260111T000000Z", "20260120T000000Z"));
    ASSERT_TRUE(text);
    const auto expanded = calendar(*text);
    ASSERT_EQ(expanded.components.size(), 2U) << *text;
    EXPECT_EQ(expanded.components[0].find("DTSTART")->value, "20260111");
    EXPECT_EQ(expanded.components[0].find("DTEND")->value, "20260112");
    EXPECT_EQ(expanded.components[0].find("RECURRENCE-ID")->value, "20260111");
}

TEST(CalendarData, LimitRecurrenceSetKeepsMaster)
{
    const auto resource = calendar(weekly);
    const auto early = limit_recurrence_set(resource, range("20260101T000000Z",
                                                            "20260120T000000Z"));
    ASSERT_EQ(early.components.size(), 1U);
    EXPECT_EQ(early.components[0].find("RECURRENCE-ID"), nullptr);

    const auto late = limit_recurrence_set(resource, range("20260127T000000Z",
                                                           "20260128T000000Z"));
    ASSERT_EQ(late.components.size(), 2U);
    EXPECT_NE(late.components[1].find("RECURRENCE-ID"), nullptr);
}

TEST(CalendarData, PartialRetrievalSelectsParts)
{
    const auto resource = calendar(weekly);
    auto xml = parse_xml(
        R"(<C:comp xmlns:C="urn:ietf:params:xml:ns:caldav" name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="UID"/><C:prop name="summary"/></C:comp></C:comp>)");
    ASSERT_TRUE(xml) << xml.error().message;
    const auto selected = select_parts(resource, parse_component_selection(*xml));
    ASSERT_EQ(selected.properties.size(), 1U);
    EXPECT_EQ(selected.properties[0].name, "VERSION");
    ASSERT_EQ(selected.components.size(), 2U);
    ASSERT_EQ(selected.components[0].properties.size(), 2U);
    EXPECT_EQ(selected.components[0].properties[0].name, "UID");
    EXPECT_EQ(selected.components[0].properties[1].name, "SUMMARY");
}

TEST(FreeBusy, SkipsTransparentAndMarksTentative)
{
    const auto resource = calendar(weekly);
    std::vector<BusyPeriod> periods;
    add_busy_periods(resource, range("20260105T000000Z", "20260113T000000Z"), periods);
    ASSERT_EQ(periods.size(), 2U);
    EXPECT_EQ(periods[0].start, at("20260105T080000Z"));
    EXPECT_FALSE(periods[0].tentative);

    const auto special = calendar("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                                  "BEGIN:VEVENT\r\nUID:t@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
                                  "DTSTART:20260105T120000Z\r\nDTEND:20260105T130000Z\r\n"
                                  "STATUS:TENTATIVE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    const auto free = calendar("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                               "BEGIN:VEVENT\r\nUID:f@example.com\r\nDTSTAMP:20260101T000000Z\r\n"
                               "DTSTART:20260105T140000Z\r\nDTEND:20260105T150000Z\r\n"
                               "TRANSP:TRANSPARENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    std::vector<BusyPeriod> day;
    const auto monday = range("20260105T000000Z", "20260106T000000Z");
    add_busy_periods(special, monday, day);
    add_busy_periods(free, monday, day);
    ASSERT_EQ(day.size(), 1U);
    EXPECT_TRUE(day[0].tentative);

    const auto text = write_free_busy(day, monday, at("20260101T000000Z"));
    EXPECT_NE(text.find("FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260105T120000Z/20260105T130000Z"),
              std::string::npos)
        << text;
}

} // namespace
} // namespace robur::caldav
