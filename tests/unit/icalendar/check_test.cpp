#include "formats/icalendar/check.hpp"
#include "formats/icalendar/split.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace robur::icalendar {
namespace {

// Wraps components in a VCALENDAR with VERSION and PRODID; the first component starts at line 4.
std::string calendar(std::string_view body, std::string_view head = "")
{
    return fmt::format("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{}{}END:VCALENDAR\n", head, body);
}

std::string event(std::string_view properties)
{
    return fmt::format("BEGIN:VEVENT\nUID:e1\nDTSTAMP:20240101T000000Z\n{}END:VEVENT\n", properties);
}

std::string all_messages(const std::vector<Diagnostic>& diagnostics)
{
    std::string text;
    for (const auto& diagnostic : diagnostics) {
        text += diagnostic.to_string() + "\n";
    }
    return text;
}

// Expects a rejection whose messages contain `part`, reported at `line`.
void expect_error(const std::string& text, std::string_view part, std::uint32_t line)
{
    auto checked = check_resource(text, "t.ics", Limits{});
    auto messages = all_messages(checked.diagnostics);
    EXPECT_FALSE(checked.resource.has_value()) << messages;
    auto found = std::ranges::find_if(checked.diagnostics, [&](const Diagnostic& d) {
        return d.severity == Severity::error && d.message.find(part) != std::string::npos;
    });
    ASSERT_NE(found, checked.diagnostics.end()) << "expected '" << part << "' in\n" << messages;
    EXPECT_EQ(found->where.line, line) << messages;
}

// Expects acceptance after a repair whose warning contains `part`; returns the repaired bytes.
std::string expect_repair(const std::string& text, std::string_view part)
{
    auto checked = check_resource(text, "t.ics", Limits{});
    auto messages = all_messages(checked.diagnostics);
    EXPECT_TRUE(checked.resource.has_value()) << messages;
    EXPECT_TRUE(checked.repaired.has_value()) << messages;
    EXPECT_NE(messages.find(part), std::string::npos) << "expected '" << part << "' in\n" << messages;
    if (!checked.repaired) {
        return {};
    }
    auto again = check_resource(*checked.repaired, "t.ics", Limits{});
    EXPECT_TRUE(again.resource.has_value()) << all_messages(again.diagnostics);
    EXPECT_FALSE(again.repaired.has_value()) << all_messages(again.diagnostics);
    return *checked.repaired;
}

TEST(CheckResource, AcceptsMinimalEvent)
{
    auto checked = check_resource(calendar(event("DTSTART:20240101T100000Z\nSUMMARY:Hi\\, there\n")), "t.ics", Limits{});
    ASSERT_TRUE(checked.resource.has_value()) << all_messages(checked.diagnostics);
    EXPECT_EQ(checked.resource->uid, "e1");
    EXPECT_EQ(checked.resource->component, "VEVENT");
    EXPECT_EQ(checked.resource->summary, "Hi, there");
    EXPECT_FALSE(checked.resource->recurring);
    EXPECT_FALSE(checked.repaired.has_value());
    EXPECT_TRUE(checked.diagnostics.empty()) << all_messages(checked.diagnostics);
}

TEST(CheckResource, RejectsMethod)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\n"), "METHOD:PUBLISH\n"), "METHOD:PUBLISH", 4);
}

TEST(CheckResource, RejectsMissingVersionAndWrongVersion)
{
    expect_error("BEGIN:VCALENDAR\nPRODID:x\n" + event("DTSTART:20240101T100000Z\n") + "END:VCALENDAR\n",
                 "VERSION", 1);
    expect_error("BEGIN:VCALENDAR\nVERSION:1.0\nPRODID:x\n" + event("DTSTART:20240101T100000Z\n") + "END:VCALENDAR\n",
                 "unsupported VERSION '1.0'", 2);
}

TEST(CheckResource, RejectsEventWithoutUidOrDtstart)
{
    expect_error(calendar("BEGIN:VEVENT\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nEND:VEVENT\n"),
                 "required property UID", 4);
    expect_error(calendar(event("")), "required property DTSTART", 4);
}

TEST(CheckResource, RejectsTwoUids)
{
    auto second = "BEGIN:VEVENT\nUID:e2\nDTSTAMP:20240101T000000Z\nDTSTART:20240102T100000Z\nEND:VEVENT\n";
    expect_error(calendar(event("DTSTART:20240101T100000Z\n") + second), "holds one UID", 9);
}

TEST(CheckResource, RejectsTwoComponentTypes)
{
    auto todo = "BEGIN:VTODO\nUID:e1\nDTSTAMP:20240101T000000Z\nEND:VTODO\n";
    expect_error(calendar(event("DTSTART:20240101T100000Z\n") + todo), "holds one component type", 9);
}

TEST(CheckResource, RejectsTwoMastersAndRepeatedOverride)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\n") + event("DTSTART:20240102T100000Z\n")),
                 "second VEVENT with UID 'e1'", 9);
    auto override_event = event("DTSTART:20240102T100000Z\nRECURRENCE-ID:20240102T100000Z\n");
    expect_error(calendar(override_event + override_event), "repeats the override", 14);
}

TEST(CheckResource, AcceptsMasterWithOverridesAndOrphanOverride)
{
    auto master = event("DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;COUNT=5\nSUMMARY:Series\n");
    auto override_event = event("DTSTART:20240102T120000Z\nRECURRENCE-ID:20240102T100000Z\n");
    auto checked = check_resource(calendar(master + override_event), "t.ics", Limits{});
    ASSERT_TRUE(checked.resource.has_value()) << all_messages(checked.diagnostics);
    EXPECT_TRUE(checked.resource->recurring);
    EXPECT_EQ(checked.resource->summary, "Series");

    auto orphan = check_resource(calendar(override_event), "t.ics", Limits{});
    EXPECT_TRUE(orphan.resource.has_value()) << all_messages(orphan.diagnostics);
}

TEST(CheckResource, RejectsDateEndWithDateTimeStart)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\nDTEND;VALUE=DATE:20240102\n")),
                 "same value type", 8);
}

TEST(CheckResource, RejectsEndBeforeStart)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\nDTEND:20240101T090000Z\n")), "is before DTSTART", 8);
}

TEST(CheckResource, RejectsEndAndDuration)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\nDTEND:20240101T110000Z\nDURATION:PT1H\n")),
                 "both DTEND and DURATION", 8);
}

TEST(CheckResource, RejectsOverflowingDuration)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\nDURATION:P99999999999D\n")), "invalid DURATION", 8);
}

TEST(CheckResource, RepairsFloatingStartWithZonedEnd)
{
    auto repaired = expect_repair(calendar(event("DTSTART:20250814T180000\nDTEND;TZID=Europe/Brussels:20250814T190000\n")),
                                  "DTEND is zoned but DTSTART");
    EXPECT_NE(repaired.find("DTEND:20250814T190000\r\n"), std::string::npos) << repaired;
}

TEST(CheckResource, RepairsZonedStartWithFloatingEnd)
{
    auto repaired = expect_repair(calendar(event("DTSTART;TZID=Europe/Paris:20250814T180000\nDTEND:20250814T190000\n")),
                                  "DTEND is floating but DTSTART");
    EXPECT_NE(repaired.find("DTEND;TZID=Europe/Paris:20250814T190000"), std::string::npos) << repaired;
}

TEST(CheckResource, RejectsCountWithUntil)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;COUNT=3;UNTIL=20240110T000000Z\n")),
                 "both UNTIL and COUNT", 8);
}

TEST(CheckResource, RejectsDateUntilWithDateTimeStart)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;UNTIL=20240110\n")),
                 "UNTIL is a DATE but DTSTART is a DATE-TIME", 8);
}

TEST(CheckResource, RepairsDateTimeUntilWithDateStart)
{
    auto repaired = expect_repair(calendar(event("DTSTART;VALUE=DATE:20240101\nRRULE:FREQ=DAILY;UNTIL=20240110T000000Z\n")),
                                  "kept its date");
    EXPECT_NE(repaired.find("RRULE:FREQ=DAILY;UNTIL=20240110\r\n"), std::string::npos) << repaired;
}

TEST(CheckResource, RejectsInvalidRecurrenceRules)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\nRRULE:FREQ=SOMETIMES\n")), "FREQ is missing", 8);
    expect_error(calendar(event("DTSTART:20240101T100000Z\nRRULE:COUNT=3\n")), "FREQ is missing", 8);
    expect_error(calendar(event("DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;COUNT=0\n")), "positive integer", 8);
    expect_error(calendar(event("DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;BYDAY=XX\n")), "invalid RRULE", 8);
}

TEST(CheckResource, RepairsBlanksInRecurrenceRule)
{
    auto repaired = expect_repair(calendar(event("DTSTART:20240101T100000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO, TU\n")),
                                  "RRULE contains blanks");
    EXPECT_NE(repaired.find("BYDAY=MO,TU"), std::string::npos);
}

TEST(CheckResource, RepairsDateWithoutValueParameter)
{
    auto repaired = expect_repair(calendar(event("DTSTART:20240101\n")), "VALUE=DATE");
    EXPECT_NE(repaired.find("DTSTART;VALUE=DATE:20240101"), std::string::npos);
}

TEST(CheckResource, RepairsFloatingDtstamp)
{
    auto text = calendar("BEGIN:VEVENT\nUID:e1\nDTSTAMP:20240101T000000\nDTSTART:20240101T100000Z\nEND:VEVENT\n");
    auto repaired = expect_repair(text, "DTSTAMP is not in UTC");
    EXPECT_NE(repaired.find("DTSTAMP:20240101T000000Z"), std::string::npos);
}

TEST(CheckResource, RejectsUnknownTimeZone)
{
    expect_error(calendar(event("DTSTART;TZID=Mars/Olympus:20240101T100000\n")), "unknown time zone 'Mars/Olympus'", 7);
}

TEST(CheckResource, ReportsQuotedTzidWithSemicolonAsUnknownZone)
{
    auto zone = "BEGIN:VTIMEZONE\nTZID:local\nBEGIN:STANDARD\nDTSTART:20090314T230000\nTZOFFSETFROM:-0200\n"
                "TZOFFSETTO:-0300\nEND:STANDARD\nEND:VTIMEZONE\n";
    expect_error(calendar(zone + event("DTSTART;TZID=\"local;VALUE=DATE-TIME\":20150326T224500\n")),
                 "unknown time zone 'local;VALUE=DATE-TIME'", 15);
}

TEST(CheckResource, AcceptsWindowsAndIanaZonesWithoutVtimezone)
{
    for (auto tzid : {"W. Europe Standard Time", "\"Eastern Standard Time\"", "America/New_York"}) {
        auto text = calendar(event(fmt::format("DTSTART;TZID={}:20240101T100000\n", tzid)));
        auto checked = check_resource(text, "t.ics", Limits{});
        EXPECT_TRUE(checked.resource.has_value()) << tzid << "\n" << all_messages(checked.diagnostics);
    }
}

TEST(CheckResource, AcceptsVtimezoneWithOnlyIanaTzid)
{
    auto zone = "BEGIN:VTIMEZONE\nTZID:Africa/Johannesburg\nEND:VTIMEZONE\n";
    auto checked = check_resource(calendar(zone + event("DTSTART;TZID=Africa/Johannesburg:20220417T131500\n")),
                                  "t.ics", Limits{});
    ASSERT_TRUE(checked.resource.has_value()) << all_messages(checked.diagnostics);
    EXPECT_NE(all_messages(checked.diagnostics).find("tz database"), std::string::npos);
}

TEST(CheckResource, RejectsCustomVtimezoneWithoutRules)
{
    auto zone = "BEGIN:VTIMEZONE\nTZID:My Zone\nEND:VTIMEZONE\n";
    expect_error(calendar(zone + event("DTSTART;TZID=My Zone:20220417T131500\n")), "no STANDARD or DAYLIGHT", 4);
}

TEST(CheckResource, RejectsInvalidTimeZoneOffsets)
{
    auto zone = "BEGIN:VTIMEZONE\nTZID:Z\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+5328\n"
                "TZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\n";
    expect_error(calendar(zone + event("DTSTART;TZID=Z:20220417T131500\n")), "invalid TZOFFSETFROM", 8);
    auto no_to = "BEGIN:VTIMEZONE\nTZID:Z\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0100\n"
                 "END:STANDARD\nEND:VTIMEZONE\n";
    expect_error(calendar(no_to + event("DTSTART;TZID=Z:20220417T131500\n")), "TZOFFSETTO", 6);
}

TEST(CheckResource, ChecksAlarms)
{
    auto base = "DTSTART:20240101T100000Z\nSUMMARY:Meet\n";
    expect_error(calendar(event(std::string(base) + "BEGIN:VALARM\nACTION:AUDIO\nEND:VALARM\n")),
                 "required property TRIGGER", 9);
    expect_error(calendar(event(std::string(base) + "BEGIN:VALARM\nTRIGGER:-PT5M\nEND:VALARM\n")),
                 "required property ACTION", 9);
    expect_error(calendar(event(std::string(base) +
                                "BEGIN:VALARM\nACTION:EMAIL\nTRIGGER:-PT5M\nSUMMARY:s\nDESCRIPTION:d\nEND:VALARM\n")),
                 "missing ATTENDEE", 9);
    expect_error(calendar(event(std::string(base) + "BEGIN:VALARM\nACTION:AUDIO\nTRIGGER:soon\nEND:VALARM\n")),
                 "invalid TRIGGER", 11);
    auto repaired = expect_repair(
        calendar(event(std::string(base) + "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT5M\nEND:VALARM\n")),
        "missing DESCRIPTION");
    EXPECT_NE(repaired.find("DESCRIPTION:Meet"), std::string::npos);
    auto lone = expect_repair(
        calendar(event(std::string(base) + "BEGIN:VALARM\nACTION:AUDIO\nTRIGGER:-PT5M\nREPEAT:2\nEND:VALARM\n")),
        "VALARM has REPEAT without DURATION");
    EXPECT_EQ(lone.find("REPEAT"), std::string::npos);
    auto accepted = check_resource(
        calendar(event(std::string(base) + "BEGIN:VALARM\nACTION:NONE\nTRIGGER;VALUE=DATE-TIME:19760401T005545Z\nEND:VALARM\n")),
        "t.ics", Limits{});
    EXPECT_TRUE(accepted.resource.has_value()) << all_messages(accepted.diagnostics);
}

TEST(CheckResource, RejectsDuplicateSingleProperties)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\nSUMMARY:a\nSUMMARY:b\n")), "SUMMARY more than once", 9);
}

TEST(CheckResource, RejectsMixedExdateType)
{
    expect_error(calendar(event("DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;VALUE=DATE:20240102\n")),
                 "EXDATE value '20240102' is a DATE", 9);
}

TEST(CheckResource, RejectsTwoCalendars)
{
    auto one = calendar(event("DTSTART:20240101T100000Z\n"));
    expect_error(one + one, "second one begins here", 10);
}

TEST(ImportSplit, RemovesMethodAndAddsMissingUid)
{
    auto text = calendar("BEGIN:VEVENT\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nEND:VEVENT\n",
                         "METHOD:REQUEST\n");
    auto first = split_calendar(text, "in.ics", Limits{});
    ASSERT_FALSE(has_errors(first.diagnostics)) << all_messages(first.diagnostics);
    ASSERT_EQ(first.resources.size(), 1U);
    EXPECT_TRUE(first.resources[0].summary.uid.starts_with("robur-"));
    EXPECT_EQ(first.resources[0].calendar.find("METHOD"), nullptr);

    auto second = split_calendar(text, "in.ics", Limits{});
    EXPECT_EQ(second.resources[0].summary.uid, first.resources[0].summary.uid);
}

TEST(ImportSplit, GroupsOverridesWithTheirTimeZones)
{
    auto zone = [](std::string_view tzid) {
        return fmt::format("BEGIN:VTIMEZONE\nTZID:{}\nBEGIN:STANDARD\nDTSTART:19700101T000000\n"
                           "TZOFFSETFROM:+0100\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\n",
                           tzid);
    };
    auto master = "BEGIN:VEVENT\nUID:s\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=A:20240101T100000\n"
                  "RRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n";
    auto other = "BEGIN:VEVENT\nUID:o\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=B:20240101T100000\nEND:VEVENT\n";
    auto override_event = "BEGIN:VEVENT\nUID:s\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;TZID=A:20240102T100000\n"
                          "DTSTART;TZID=A:20240102T110000\nEND:VEVENT\n";
    auto split = split_calendar(calendar(zone("A") + zone("B") + zone("unused") + master + other + override_event),
                                "in.ics", Limits{});
    ASSERT_FALSE(has_errors(split.diagnostics)) << all_messages(split.diagnostics);
    ASSERT_EQ(split.resources.size(), 2U);
    const auto& series = split.resources[1];
    EXPECT_EQ(series.name, "s.ics");
    ASSERT_EQ(series.calendar.components.size(), 3U);
    EXPECT_EQ(series.calendar.components[0].name, "VTIMEZONE");
    EXPECT_EQ(series.calendar.components[0].find("TZID")->value, "A");
    EXPECT_EQ(split.resources[0].calendar.components[0].find("TZID")->value, "B");
}

TEST(ImportSplit, KeepsLatestRevisionAcrossCalendars)
{
    auto revision = [](int sequence, std::string_view summary) {
        return calendar(fmt::format("BEGIN:VEVENT\nUID:u\nDTSTAMP:20240101T000000Z\nSEQUENCE:{}\n"
                                    "DTSTART:20240101T100000Z\nSUMMARY:{}\nEND:VEVENT\n",
                                    sequence, summary));
    };
    auto split = split_calendar(revision(2, "new") + revision(1, "old"), "in.ics", Limits{});
    ASSERT_FALSE(has_errors(split.diagnostics)) << all_messages(split.diagnostics);
    ASSERT_EQ(split.resources.size(), 1U);
    EXPECT_EQ(split.resources[0].summary.summary, "new");
    EXPECT_EQ(split.diagnostics.size(), 1U);
}

TEST(MergeCalendars, DeduplicatesTimeZonesAndWarnsOnConflict)
{
    auto zone = [](std::string_view offset) {
        return fmt::format("BEGIN:VTIMEZONE\nTZID:A\nBEGIN:STANDARD\nDTSTART:19700101T000000\n"
                           "TZOFFSETFROM:{0}\nTZOFFSETTO:{0}\nEND:STANDARD\nEND:VTIMEZONE\n",
                           offset);
    };
    auto make = [&](std::string_view uid, std::string_view offset) {
        auto text = calendar(zone(offset) + fmt::format("BEGIN:VEVENT\nUID:{}\nDTSTAMP:20240101T000000Z\n"
                                                        "DTSTART;TZID=A:20240101T100000\nEND:VEVENT\n",
                                                        uid));
        return split_calendar(text, "x", Limits{}).resources.at(0).calendar;
    };
    std::vector<Diagnostic> diagnostics;
    auto merged = merge_calendars({{"a.ics", make("a", "+0100")}, {"b.ics", make("b", "+0100")},
                                   {"c.ics", make("c", "+0200")}},
                                  "Work", diagnostics);
    std::size_t zones = 0;
    for (const auto& child : merged.components) {
        zones += child.name == "VTIMEZONE" ? 1 : 0;
    }
    EXPECT_EQ(zones, 1U);
    EXPECT_EQ(merged.components.size(), 4U);
    ASSERT_EQ(diagnostics.size(), 1U);
    EXPECT_EQ(diagnostics[0].where.path, "c.ics");
    EXPECT_EQ(merged.find("X-WR-CALNAME")->value, "Work");
}

TEST(CompareCalendars, IgnoresOrderAndReportsDifferences)
{
    auto a = split_calendar(calendar(event("DTSTART:20240101T100000Z\nSUMMARY:x\nCATEGORIES:a\n")), "a", Limits{});
    auto b = split_calendar(calendar("BEGIN:VEVENT\nCATEGORIES:a\nSUMMARY:x\nDTSTART:20240101T100000Z\n"
                                     "DTSTAMP:20240101T000000Z\nUID:e1\nEND:VEVENT\n"),
                            "b", Limits{});
    auto c = split_calendar(calendar(event("DTSTART:20240101T100000Z\nSUMMARY:y\nCATEGORIES:a\n")), "c", Limits{});
    std::vector<Component> left{a.resources.at(0).calendar};
    std::vector<Component> right{b.resources.at(0).calendar};
    std::vector<Component> changed{c.resources.at(0).calendar};
    EXPECT_TRUE(compare_calendars(left, right).empty());
    EXPECT_EQ(compare_calendars(left, changed), std::vector<std::string>{"VEVENT UID 'e1': properties differ"});
    EXPECT_EQ(compare_calendars(left, {}), std::vector<std::string>{"VEVENT UID 'e1': only in the first calendar"});
}

} // namespace
} // namespace robur::icalendar
