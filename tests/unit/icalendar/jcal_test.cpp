#include "formats/icalendar/jcal.hpp"

#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include "formats/icalendar/parser.hpp"
#include "formats/icalendar/split.hpp"

namespace robur::icalendar {
namespace {

constexpr std::string_view sample =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Z\r\n"
    "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+013045\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20240101T000000Z\r\nDTSTART;TZID=Z:20240105T090000\r\n"
    "DURATION:PT1H\r\nSUMMARY:Lunch\\, then talk\\; bring\\nnotes\r\nCATEGORIES:work,food\r\n"
    "GEO:37.386013;-122.082932\r\nSEQUENCE:2\r\nRRULE:FREQ=WEEKLY;COUNT=3;BYDAY=FR,MO\r\n"
    "EXDATE;TZID=Z:20240108T090000,20240112T090000\r\nATTENDEE;CN=\"Doe, J\";ROLE=CHAIR:mailto:j@example.com\r\n"
    "REQUEST-STATUS:2.0;Success\r\nX-CUSTOM;X-P=1:raw\\,value\r\nDTEND-LIKE;VALUE=DATE:20240101\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n";

std::vector<Component> parse(std::string_view text)
{
    auto parsed = parse_calendar_text(text, "t.ics", Limits{});
    EXPECT_FALSE(has_errors(parsed.diagnostics));
    return parsed.calendars;
}

TEST(Jcal, WritesRfc7265ValueForms)
{
    auto written = write_jcal(parse(sample));
    ASSERT_TRUE(written.has_value()) << written.error().to_string();
    auto document = nlohmann::json::parse(*written);
    ASSERT_EQ(document[0], "vcalendar");
    const auto& event = document[2][1];
    ASSERT_EQ(event[0], "vevent");
    auto property = [&](std::string_view name) {
        for (const auto& item : event[1]) {
            if (item[0] == name) {
                return item;
            }
        }
        return nlohmann::json();
    };
    EXPECT_EQ(property("dtstart"), nlohmann::json::parse(R"(["dtstart",{"tzid":"Z"},"date-time","2024-01-05T09:00:00"])"));
    EXPECT_EQ(property("dtstamp")[3], "2024-01-01T00:00:00Z");
    EXPECT_EQ(property("summary")[3], "Lunch, then talk; bring\nnotes");
    EXPECT_EQ(property("categories"), nlohmann::json::parse(R"(["categories",{},"text","work","food"])"));
    EXPECT_EQ(property("geo")[3], nlohmann::json::parse("[37.386013,-122.082932]"));
    EXPECT_EQ(property("sequence")[3], 2);
    EXPECT_EQ(property("rrule")[3], nlohmann::json::parse(R"({"freq":"WEEKLY","count":3,"byday":["FR","MO"]})"));
    EXPECT_EQ(property("exdate").size(), 5U);
    EXPECT_EQ(property("attendee")[1]["cn"], "Doe, J");
    EXPECT_EQ(property("attendee")[2], "cal-address");
    EXPECT_EQ(property("request-status")[3], nlohmann::json::parse(R"(["2.0","Success"])"));
    EXPECT_EQ(property("x-custom"), nlohmann::json::parse(R"(["x-custom",{"x-p":"1"},"unknown","raw\\,value"])"));
    EXPECT_EQ(property("dtend-like"), nlohmann::json::parse(R"(["dtend-like",{},"date","2024-01-01"])"));
    const auto& standard = document[2][0][2][0];
    EXPECT_EQ(standard[1][2][3], "+01:30:45");
}

TEST(Jcal, RoundTripsSemantically)
{
    auto original = parse(sample);
    auto written = write_jcal(original);
    ASSERT_TRUE(written.has_value());
    auto back = parse_jcal(*written, "t.json");
    ASSERT_TRUE(back.has_value()) << back.error().to_string();
    EXPECT_EQ(compare_calendars(original, *back), std::vector<std::string>{});
    auto text = write_component(back->at(0));
    EXPECT_NE(text.find("SUMMARY:Lunch\\, then talk\\; bring\\nnotes"), std::string::npos) << text;
    EXPECT_NE(text.find("DTEND-LIKE;VALUE=DATE:20240101"), std::string::npos) << text;
    EXPECT_NE(text.find("RRULE:FREQ=WEEKLY;BYDAY=FR,MO;COUNT=3"), std::string::npos) << text;
}

TEST(Jcal, ParsesListOfCalendars)
{
    auto calendars = parse(sample);
    calendars.push_back(calendars[0]);
    auto written = write_jcal(calendars);
    auto back = parse_jcal(*written, "t.json");
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->size(), 2U);
}

TEST(Jcal, RejectsMalformedInput)
{
    EXPECT_FALSE(parse_jcal("not json", "x").has_value());
    EXPECT_FALSE(parse_jcal(R"(["vcalendar", {}, []])", "x").has_value());
    EXPECT_FALSE(parse_jcal(R"(["vevent", [], []])", "x").has_value());
    auto bad_date = parse_jcal(R"(["vcalendar", [["dtstart", {}, "date-time", "yesterday"]], []])", "x");
    ASSERT_FALSE(bad_date.has_value());
    EXPECT_NE(bad_date.error().message.find("$[1][0]"), std::string::npos) << bad_date.error().message;
}

// Copying a document of a million nested arrays recursed once per level and overflowed the
// stack.
TEST(Jcal, RejectsDeepNesting)
{
    const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
    auto parsed = parse_jcal(deep, "deep.json");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_NE(parsed.error().message.find("nested deeper than"), std::string::npos)
        << parsed.error().message;

    // Brackets inside strings do not count towards the depth.
    const std::string brackets(1000, '[');
    auto quoted = parse_jcal(R"(["vcalendar", [["x-note", {}, "text", ")" + brackets + R"("]], []])",
                             "quoted.json");
    ASSERT_TRUE(quoted.has_value()) << quoted.error().message;
    EXPECT_EQ(quoted->at(0).properties.at(0).value, brackets);
}

TEST(Jcal, RejectsUnconvertibleValue)
{
    auto calendars = parse("BEGIN:VCALENDAR\nSEQUENCE:many\nEND:VCALENDAR\n");
    auto written = write_jcal(calendars);
    ASSERT_FALSE(written.has_value());
    EXPECT_EQ(written.error().where->line, 2U);
}

} // namespace
} // namespace robur::icalendar
