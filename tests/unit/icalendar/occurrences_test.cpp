#include "formats/icalendar/occurrences.hpp"

#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libical/ical.h>

#include "formats/icalendar/parser.hpp"

namespace robur::icalendar {
namespace {

// Central European rules as Outlook writes them, with DST from the last Sunday of March.
constexpr std::string_view berlin_zone =
    "BEGIN:VTIMEZONE\nTZID:Berlin Test\nBEGIN:STANDARD\nDTSTART:16010101T030000\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\n"
    "BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\n"
    "TZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nEND:DAYLIGHT\nEND:VTIMEZONE\n";

std::string resource(std::string_view event_properties, std::string_view extra = "")
{
    return fmt::format("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n{}BEGIN:VEVENT\nUID:r\n"
                       "DTSTAMP:20240101T000000Z\n{}END:VEVENT\n{}END:VCALENDAR\n",
                       berlin_zone, event_properties, extra);
}

Component parse(const std::string& text)
{
    auto parsed = parse_calendar_text(text, "t.ics", Limits{});
    EXPECT_FALSE(has_errors(parsed.diagnostics));
    return parsed.calendars.at(0);
}

std::int64_t epoch(const char* utc)
{
    return static_cast<std::int64_t>(
        icaltime_as_timet_with_zone(icaltime_from_string(utc), icaltimezone_get_utc_timezone()));
}

std::vector<std::int64_t> starts_of(const Expansion& expansion)
{
    std::vector<std::int64_t> starts;
    for (const auto& occurrence : expansion.occurrences) {
        starts.push_back(occurrence.start);
    }
    return starts;
}

void collect_span(icalcomponent* /*component*/, struct icaltime_span* span, void* data)
{
    static_cast<std::vector<std::int64_t>*>(data)->push_back(static_cast<std::int64_t>(span->start));
}

// The instance starts libical's own icalcomponent_foreach_recurrence finds in the range.
std::vector<std::int64_t> libical_starts(const std::string& text, const char* from, const char* to)
{
    std::unique_ptr<icalcomponent, decltype(&icalcomponent_free)> calendar(
        icalparser_parse_string(text.c_str()), &icalcomponent_free);
    auto* event = icalcomponent_get_first_component(calendar.get(), ICAL_VEVENT_COMPONENT);
    std::vector<std::int64_t> starts;
    icalcomponent_foreach_recurrence(event, icaltime_from_string(from), icaltime_from_string(to),
                                     collect_span, &starts);
    std::ranges::sort(starts);
    return starts;
}

void expect_same_as_libical(const std::string& text, const char* from, const char* to)
{
    auto ours = occurrences(parse(text), epoch(from), epoch(to), ExpansionOptions{});
    ASSERT_TRUE(ours.has_value()) << ours.error().to_string();
    auto theirs = libical_starts(text, from, to);
    EXPECT_FALSE(theirs.empty());
    EXPECT_EQ(starts_of(*ours), theirs);
}

TEST(Occurrences, DailyMatchesLibical)
{
    expect_same_as_libical(resource("DTSTART:20240101T090000Z\nDTEND:20240101T100000Z\n"
                                    "RRULE:FREQ=DAILY;COUNT=10\n"),
                           "20240103T000000Z", "20240108T000000Z");
}

TEST(Occurrences, WeeklyBydayAcrossDstMatchesLibical)
{
    auto text = resource("DTSTART;TZID=Berlin Test:20240304T090000\nDTEND;TZID=Berlin Test:20240304T100000\n"
                         "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR\n");
    expect_same_as_libical(text, "20240320T000000Z", "20240410T000000Z");

    // 09:00 local is 08:00Z before the change on 31 March and 07:00Z after it.
    auto ours = occurrences(parse(text), epoch("20240329T000000Z"), epoch("20240402T000000Z"), {});
    ASSERT_TRUE(ours.has_value());
    EXPECT_EQ(starts_of(*ours), (std::vector<std::int64_t>{epoch("20240329T080000Z"), epoch("20240401T070000Z")}));
}

TEST(Occurrences, MonthlyBysetposMatchesLibical)
{
    expect_same_as_libical(resource("DTSTART;TZID=Berlin Test:20240131T170000\nDURATION:PT30M\n"
                                    "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1\n"),
                           "20240201T000000Z", "20241231T000000Z");
}

TEST(Occurrences, YearlyAllDayMatchesLibical)
{
    auto text = resource("DTSTART;VALUE=DATE:20200229\nDTEND;VALUE=DATE:20200301\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1\n");
    expect_same_as_libical(text, "20210101T000000Z", "20260101T000000Z");
    auto ours = occurrences(parse(text), epoch("20230101T000000Z"), epoch("20240101T000000Z"), {});
    ASSERT_EQ(ours->occurrences.size(), 1U);
    EXPECT_EQ(ours->occurrences[0].recurrence_id, "20230228");
    EXPECT_EQ(ours->occurrences[0].end - ours->occurrences[0].start, 86400);
}

TEST(Occurrences, ExdateMatchesLibical)
{
    expect_same_as_libical(resource("DTSTART;TZID=Berlin Test:20240101T090000\nDURATION:PT1H\n"
                                    "RRULE:FREQ=DAILY;COUNT=7\nEXDATE;TZID=Berlin Test:20240103T090000\n"),
                           "20231231T000000Z", "20240110T000000Z");
}

TEST(Occurrences, FloatingExdateUsesSeriesZone)
{
    auto text = resource("DTSTART;TZID=W. Europe Standard Time:20260123T110000\nDURATION:PT1H\n"
                         "RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20260731T090000Z\nEXDATE:20260403T110000\n");
    auto ours = occurrences(parse(text), epoch("20260327T000000Z"), epoch("20260418T000000Z"), {});
    ASSERT_TRUE(ours.has_value()) << ours.error().to_string();
    EXPECT_EQ(starts_of(*ours), (std::vector<std::int64_t>{epoch("20260327T100000Z"), epoch("20260410T090000Z"),
                                                           epoch("20260417T090000Z")}));
}

TEST(Occurrences, AddsRdates)
{
    auto text = resource("DTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=2\n"
                         "RDATE:20240110T090000Z,20240112T090000Z\n");
    auto ours = occurrences(parse(text), epoch("20240101T000000Z"), epoch("20240201T000000Z"), {});
    ASSERT_TRUE(ours.has_value());
    EXPECT_EQ(starts_of(*ours), (std::vector<std::int64_t>{epoch("20240101T090000Z"), epoch("20240102T090000Z"),
                                                           epoch("20240110T090000Z"), epoch("20240112T090000Z")}));
    EXPECT_EQ(ours->occurrences[2].recurrence_id, "20240110T090000Z");
}

TEST(Occurrences, OverrideReplacesInstance)
{
    auto override_event = "BEGIN:VEVENT\nUID:r\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;TZID=Berlin Test:20240102T090000\n"
                          "DTSTART;TZID=Berlin Test:20240102T150000\nDURATION:PT2H\nSUMMARY:moved\nEND:VEVENT\n";
    auto text = resource("DTSTART;TZID=Berlin Test:20240101T090000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\n",
                         override_event);
    auto ours = occurrences(parse(text), epoch("20240101T000000Z"), epoch("20240105T000000Z"), {});
    ASSERT_TRUE(ours.has_value()) << ours.error().to_string();
    ASSERT_EQ(ours->occurrences.size(), 3U);
    EXPECT_EQ(ours->occurrences[1].start, epoch("20240102T140000Z"));
    EXPECT_EQ(ours->occurrences[1].end, epoch("20240102T160000Z"));
    EXPECT_TRUE(ours->occurrences[1].is_override);
    EXPECT_EQ(ours->occurrences[1].component, 2U);
    EXPECT_EQ(ours->occurrences[0].recurrence_id, "20240101T090000");
}

// libical's iterator does not apply RANGE=THISANDFUTURE, so the expected instances are worked
// out by hand from RFC 5545 section 3.8.4.4: the override's instance and every later one move
// by the override's DTSTART minus its RECURRENCE-ID and take the override's duration.
TEST(Occurrences, ThisAndFutureMovesLaterInstances)
{
    auto override_event = "BEGIN:VEVENT\nUID:r\nDTSTAMP:20240101T000000Z\n"
                          "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Berlin Test:20240103T090000\n"
                          "DTSTART;TZID=Berlin Test:20240103T113000\nDURATION:PT2H\nEND:VEVENT\n"
                          "BEGIN:VEVENT\nUID:r\nDTSTAMP:20240101T000000Z\n"
                          "RECURRENCE-ID;TZID=Berlin Test:20240105T090000\n"
                          "DTSTART;TZID=Berlin Test:20240105T080000\nDURATION:PT15M\nEND:VEVENT\n";
    auto text = resource("DTSTART;TZID=Berlin Test:20240101T090000\nDURATION:PT1H\n"
                         "RRULE:FREQ=DAILY;COUNT=6\n",
                         override_event);
    auto ours = occurrences(parse(text), epoch("20240101T000000Z"), epoch("20240110T000000Z"), {});
    ASSERT_TRUE(ours.has_value()) << ours.error().to_string();
    // Berlin is UTC+1 in January: 09:00 local is 08:00Z, and 11:30 local is 10:30Z.
    EXPECT_EQ(starts_of(*ours),
              (std::vector<std::int64_t>{epoch("20240101T080000Z"), epoch("20240102T080000Z"),
                                         epoch("20240103T103000Z"), epoch("20240104T103000Z"),
                                         epoch("20240105T070000Z"), epoch("20240106T103000Z")}));
    const auto& moved = ours->occurrences[3];
    EXPECT_EQ(moved.end, epoch("20240104T123000Z"));
    EXPECT_EQ(moved.component, 2U);
    EXPECT_TRUE(moved.is_override);
    EXPECT_EQ(moved.recurrence_id, "20240104T090000");
    EXPECT_EQ(moved.recurrence_start, epoch("20240104T080000Z"));
    // A plain override after the THISANDFUTURE one still replaces its own instance.
    EXPECT_EQ(ours->occurrences[4].component, 3U);
    EXPECT_EQ(ours->occurrences[5].component, 2U);
    EXPECT_EQ(ours->occurrences[0].component, 1U);
    EXPECT_FALSE(ours->occurrences[1].is_override);
}

TEST(Occurrences, ThisAndFutureReachesAcrossRangeBounds)
{
    // The override moves its instances twelve hours earlier, so the instance of 6 January
    // 09:00Z lies on 5 January 21:00Z, inside a range that ends before its original start.
    auto override_event = "BEGIN:VEVENT\nUID:r\nDTSTAMP:20240101T000000Z\n"
                          "RECURRENCE-ID;RANGE=THISANDFUTURE:20240103T090000Z\n"
                          "DTSTART:20240102T210000Z\nDURATION:PT1H\nEND:VEVENT\n";
    auto text = resource("DTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=10\n",
                         override_event);
    auto ours = occurrences(parse(text), epoch("20240105T200000Z"), epoch("20240106T000000Z"), {});
    ASSERT_TRUE(ours.has_value()) << ours.error().to_string();
    EXPECT_EQ(starts_of(*ours), (std::vector<std::int64_t>{epoch("20240105T210000Z")}));
}

TEST(Occurrences, FloatingTimesUseFloatingZone)
{
    auto text = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:f\n"
                "DTSTAMP:20240101T000000Z\nDTSTART:20240701T090000\nDURATION:PT1H\nEND:VEVENT\n"
                "BEGIN:VEVENT\nUID:d\nDTSTAMP:20240101T000000Z\nDTSTART;VALUE=DATE:20240701\n"
                "END:VEVENT\nEND:VCALENDAR\n";
    auto calendar = parse(text);
    calendar.components.erase(calendar.components.begin() + 1);
    ExpansionOptions options;
    options.floating_timezone = parse(resource("DTSTART:20240101T000000Z\n")).components.at(0);
    auto ours =
        occurrences(calendar, epoch("20240101T000000Z"), epoch("20250101T000000Z"), options);
    ASSERT_TRUE(ours.has_value()) << ours.error().to_string();
    // 09:00 in summer Berlin (UTC+2) is 07:00Z.
    EXPECT_EQ(starts_of(*ours), (std::vector<std::int64_t>{epoch("20240701T070000Z")}));

    auto all_day = parse(text);
    all_day.components.erase(all_day.components.begin());
    auto day = occurrences(all_day, epoch("20240101T000000Z"), epoch("20250101T000000Z"), options);
    ASSERT_TRUE(day.has_value()) << day.error().to_string();
    ASSERT_EQ(day->occurrences.size(), 1U);
    EXPECT_EQ(day->occurrences[0].start, epoch("20240630T220000Z"));
    EXPECT_EQ(day->occurrences[0].start_date, "20240701");
    EXPECT_EQ(day->occurrences[0].end_date, "20240702");

    ExpansionOptions broken;
    broken.floating_timezone = Component{"VTIMEZONE", {}, {}, 0};
    EXPECT_FALSE(occurrences(all_day, 0, 1, broken).has_value());
}

TEST(Occurrences, FindsSeriesStartedBeforeRange)
{
    auto text = resource("DTSTART:20240220T090000Z\nDTEND:20240220T093000Z\nRRULE:FREQ=WEEKLY;COUNT=10\n");
    auto ours = occurrences(parse(text), epoch("20240301T000000Z"), epoch("20240401T000000Z"), {});
    ASSERT_TRUE(ours.has_value());
    EXPECT_EQ(ours->occurrences.size(), 4U); // 5, 12, 19 and 26 March
}

TEST(Occurrences, BoundsUntilYear7000)
{
    auto text = resource("DTSTART:20000101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;UNTIL=70001231T000000Z\n");
    auto ours = occurrences(parse(text), epoch("20300101T000000Z"), epoch("20300111T000000Z"), {});
    ASSERT_TRUE(ours.has_value());
    EXPECT_EQ(ours->occurrences.size(), 10U);
    EXPECT_EQ(ours->occurrences[0].start, epoch("20300101T090000Z"));
    EXPECT_FALSE(ours->truncated);

    ExpansionOptions small;
    small.max_instances = 5;
    auto capped = occurrences(parse(text), epoch("20300101T000000Z"), epoch("20310101T000000Z"), small);
    EXPECT_EQ(capped->occurrences.size(), 5U);
    EXPECT_TRUE(capped->truncated);
}

TEST(Occurrences, StopsAfterIterationLimit)
{
    auto text = resource("DTSTART:20000101T090000Z\nRRULE:FREQ=MINUTELY;COUNT=100000000\n");
    ExpansionOptions options;
    options.max_iterations = 1000;
    auto ours = occurrences(parse(text), epoch("20300101T000000Z"), epoch("20300102T000000Z"), options);
    ASSERT_TRUE(ours.has_value());
    EXPECT_TRUE(ours->truncated);
    EXPECT_TRUE(ours->occurrences.empty());
}

TEST(Occurrences, PlacesCustomAndTzidOnlyZones)
{
    auto custom = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VTIMEZONE\nTZID:Custom-Plus-Eleven\n"
                  "BEGIN:STANDARD\nTZOFFSETTO:+1100\nTZOFFSETFROM:+1100\nDTSTART:20200329T010000\nEND:STANDARD\n"
                  "END:VTIMEZONE\nBEGIN:VEVENT\nUID:c\nDTSTAMP:20220201T111213Z\n"
                  "DTSTART;TZID=Custom-Plus-Eleven:20220201T100000\nEND:VEVENT\nEND:VCALENDAR\n";
    auto placed = occurrences(parse(custom), epoch("20220101T000000Z"), epoch("20220301T000000Z"), {});
    ASSERT_TRUE(placed.has_value()) << placed.error().to_string();
    ASSERT_EQ(placed->occurrences.size(), 1U);
    EXPECT_EQ(placed->occurrences[0].start, epoch("20220131T230000Z"));

    auto tzid_only = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VTIMEZONE\nTZID:Africa/Johannesburg\n"
                     "END:VTIMEZONE\nBEGIN:VEVENT\nUID:j\nDTSTAMP:20220415T111224Z\n"
                     "DTSTART;TZID=Africa/Johannesburg:20220417T131500\nEND:VEVENT\nEND:VCALENDAR\n";
    auto johannesburg = occurrences(parse(tzid_only), epoch("20220401T000000Z"), epoch("20220501T000000Z"), {});
    ASSERT_TRUE(johannesburg.has_value()) << johannesburg.error().to_string();
    ASSERT_EQ(johannesburg->occurrences.size(), 1U);
    EXPECT_EQ(johannesburg->occurrences[0].start, epoch("20220417T111500Z"));
}

} // namespace
} // namespace robur::icalendar
