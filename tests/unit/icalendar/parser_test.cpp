#include "formats/icalendar/parser.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace robur::icalendar {
namespace {

ParsedFile parse(std::string_view text)
{
    return parse_calendar_text(text, "test.ics", Limits{});
}

TEST(CalendarParser, RecordsLinesAcrossCrlfLfAndFolds)
{
    auto parsed = parse("BEGIN:VCALENDAR\r\n"
                        "VERSION:2.0\n"
                        "PRODID:-//x//EN\r\n"
                        "BEGIN:VEVENT\n"
                        "SUMMARY:one\n"
                        " two\r\n"
                        "\tthree\n"
                        "UID:a\r\n"
                        "END:VEVENT\n"
                        "END:VCALENDAR\n");
    ASSERT_FALSE(has_errors(parsed.diagnostics));
    ASSERT_EQ(parsed.calendars.size(), 1U);
    const auto& event = parsed.calendars[0].components.at(0);
    EXPECT_EQ(event.line, 4U);
    ASSERT_NE(event.find("SUMMARY"), nullptr);
    EXPECT_EQ(event.find("SUMMARY")->value, "onetwothree");
    EXPECT_EQ(event.find("SUMMARY")->line, 5U);
    EXPECT_EQ(event.find("UID")->line, 8U);
}

TEST(CalendarParser, ParsesQuotedParameterWithSemicolon)
{
    auto parsed = parse("BEGIN:VCALENDAR\nDTSTART;TZID=\"local;VALUE=DATE-TIME\":20150326T224500\n"
                        "END:VCALENDAR\n");
    ASSERT_FALSE(has_errors(parsed.diagnostics));
    const auto& property = parsed.calendars[0].properties.at(0);
    EXPECT_EQ(property.parameter("TZID"), "local;VALUE=DATE-TIME");
    EXPECT_FALSE(property.parameter("VALUE").has_value());
    EXPECT_EQ(property.value, "20150326T224500");
}

TEST(CalendarParser, KeepsColonsInValue)
{
    auto parsed = parse("BEGIN:VCALENDAR\nATTENDEE;CN=\"Doe, J\":mailto:j@example.com\nEND:VCALENDAR\n");
    const auto& property = parsed.calendars[0].properties.at(0);
    EXPECT_EQ(property.value, "mailto:j@example.com");
    EXPECT_EQ(property.parameter("CN"), "Doe, J");
}

TEST(CalendarParser, RejectsInvalidUtf8WithLineAndColumn)
{
    auto parsed = parse("BEGIN:VCALENDAR\nSUMMARY:caf\xE9\nEND:VCALENDAR\n");
    ASSERT_TRUE(has_errors(parsed.diagnostics));
    EXPECT_EQ(parsed.diagnostics[0].where.line, 2U);
    EXPECT_EQ(parsed.diagnostics[0].where.column, 12U);
    EXPECT_NE(parsed.diagnostics[0].message.find("invalid UTF-8"), std::string::npos);
}

TEST(CalendarParser, RejectsOverlongAndSurrogateUtf8)
{
    EXPECT_TRUE(has_errors(parse("BEGIN:VCALENDAR\nX:\xC0\xAF\nEND:VCALENDAR\n").diagnostics));
    EXPECT_TRUE(has_errors(parse("BEGIN:VCALENDAR\nX:\xED\xA0\x80\nEND:VCALENDAR\n").diagnostics));
    EXPECT_TRUE(has_errors(parse("BEGIN:VCALENDAR\nX:\xF4\x90\x80\x80\nEND:VCALENDAR\n").diagnostics));
    EXPECT_FALSE(has_errors(parse("BEGIN:VCALENDAR\nX:\xF0\x9F\x98\x80 \xC3\xA9\nEND:VCALENDAR\n").diagnostics));
}

TEST(CalendarParser, RejectsControlCharacters)
{
    auto parsed = parse(std::string("BEGIN:VCALENDAR\nX:a\0b\nEND:VCALENDAR\n", 35));
    ASSERT_TRUE(has_errors(parsed.diagnostics));
    EXPECT_EQ(parsed.diagnostics[0].where.line, 2U);
}

TEST(CalendarParser, RemovesByteOrderMarkWithWarning)
{
    auto parsed = parse("\xEF\xBB\xBF" "BEGIN:VCALENDAR\nEND:VCALENDAR\n");
    EXPECT_FALSE(has_errors(parsed.diagnostics));
    EXPECT_TRUE(parsed.repaired);
    ASSERT_EQ(parsed.calendars.size(), 1U);
    EXPECT_EQ(parsed.diagnostics[0].severity, Severity::warning);
}

TEST(CalendarParser, ReportsMissingEndAtBeginLine)
{
    auto parsed = parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nEND:VCALENDAR\n");
    ASSERT_TRUE(has_errors(parsed.diagnostics));
    EXPECT_EQ(parsed.diagnostics[0].where.line, 2U);
    EXPECT_NE(parsed.diagnostics[0].message.find("missing END:VEVENT"), std::string::npos);
}

TEST(CalendarParser, ReportsMismatchedEnd)
{
    auto parsed = parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VTODO\nEND:VEVENT\nEND:VCALENDAR\n");
    ASSERT_TRUE(has_errors(parsed.diagnostics));
    EXPECT_EQ(parsed.diagnostics[0].where.line, 3U);
}

TEST(CalendarParser, ReportsEveryMalformedLine)
{
    auto parsed = parse("BEGIN:VCALENDAR\nno colon here\n;x=y:z\nX;P:v\nEND:VCALENDAR\n");
    ASSERT_EQ(parsed.diagnostics.size(), 3U);
    EXPECT_EQ(parsed.diagnostics[0].where.line, 2U);
    EXPECT_EQ(parsed.diagnostics[1].where.line, 3U);
    EXPECT_EQ(parsed.diagnostics[2].where.line, 4U);
}

TEST(CalendarParser, RejectsContentOutsideVcalendar)
{
    EXPECT_TRUE(has_errors(parse("SUMMARY:x\n").diagnostics));
    EXPECT_TRUE(has_errors(parse("BEGIN:VEVENT\nEND:VEVENT\n").diagnostics));
    EXPECT_TRUE(has_errors(parse("").diagnostics));
}

TEST(CalendarParser, EnforcesSizeLimits)
{
    Limits limits;
    limits.max_resource_size = 10;
    EXPECT_TRUE(has_errors(parse_calendar_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n", "x", limits).diagnostics));

    limits = Limits{};
    limits.max_nesting = 2;
    auto nested = parse_calendar_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nBEGIN:VALARM\nEND:VALARM\n"
                                      "END:VEVENT\nEND:VCALENDAR\n",
                                      "x", limits);
    EXPECT_TRUE(has_errors(nested.diagnostics));

    limits = Limits{};
    limits.max_line_length = 20;
    auto long_line = parse_calendar_text("BEGIN:VCALENDAR\nSUMMARY:0123456789\n 0123456789\nEND:VCALENDAR\n", "x", limits);
    ASSERT_TRUE(has_errors(long_line.diagnostics));
    EXPECT_EQ(long_line.diagnostics[0].where.line, 2U);

    limits = Limits{};
    limits.max_components = 2;
    auto many = parse_calendar_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VEVENT\nBEGIN:VEVENT\n"
                                    "END:VEVENT\nEND:VCALENDAR\n",
                                    "x", limits);
    EXPECT_TRUE(has_errors(many.diagnostics));
}

// Counts the levels of the deepest path from `component` down, `component` included.
std::size_t nesting_depth(const Component& component)
{
    std::size_t deepest = 0;
    for (const auto& child : component.components) {
        deepest = std::max(deepest, nesting_depth(child));
    }
    return deepest + 1;
}

TEST(CalendarParser, IgnoresComponentsBelowMaxNesting)
{
    Limits limits;
    limits.max_nesting = 2;
    auto parsed = parse_calendar_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nBEGIN:VALARM\n"
                                      "BEGIN:X-INNER\nACTION:DISPLAY\nEND:X-INNER\nEND:VALARM\n"
                                      "UID:after-the-alarm\nEND:VEVENT\nEND:VCALENDAR\n",
                                      "x", limits);
    ASSERT_EQ(parsed.diagnostics.size(), 1U);
    EXPECT_EQ(parsed.diagnostics[0].where.line, 3U);
    EXPECT_NE(parsed.diagnostics[0].message.find("nested deeper than 2"), std::string::npos);

    ASSERT_EQ(parsed.calendars.size(), 1U);
    ASSERT_EQ(parsed.calendars[0].components.size(), 1U);
    const auto& event = parsed.calendars[0].components[0];
    EXPECT_TRUE(event.components.empty());
    ASSERT_NE(event.find("UID"), nullptr);
    EXPECT_EQ(event.find("UID")->value, "after-the-alarm");
    EXPECT_EQ(event.find("ACTION"), nullptr);
}

// A resource of nothing but nested BEGIN lines used to build a tree as deep as the file has
// lines, and destroying it overflowed the stack.
TEST(CalendarParser, BoundsDepthOfNestedBegins)
{
    std::string text = "BEGIN:VCALENDAR\n";
    for (int i = 0; i < 500000; ++i) {
        text += "BEGIN:X\n";
    }
    auto parsed = parse(text);

    ASSERT_TRUE(has_errors(parsed.diagnostics));
    const auto nesting_errors = std::ranges::count_if(parsed.diagnostics, [](const Diagnostic& d) {
        return d.message.find("nested deeper") != std::string::npos;
    });
    EXPECT_EQ(nesting_errors, 1);
    ASSERT_EQ(parsed.calendars.size(), 1U);
    EXPECT_LE(nesting_depth(parsed.calendars[0]), Limits{}.max_nesting);
}

TEST(CalendarWriter, FoldsAt75OctetsWithoutSplittingUtf8)
{
    Component calendar{"VCALENDAR", {}, {}, 0};
    std::string text;
    for (int i = 0; i < 60; ++i) {
        text += "\xC3\xA9"; // two octets each
    }
    calendar.properties.push_back(Property{"SUMMARY", {}, text, 0});
    auto written = write_component(calendar);
    std::size_t start = 0;
    while (start < written.size()) {
        auto end = written.find("\r\n", start);
        ASSERT_LE(end - start, 75U);
        auto first = static_cast<unsigned char>(written[start == 0 ? 0 : start]);
        EXPECT_NE(first & 0xC0U, 0x80U);
        start = end + 2;
        if (start < written.size() && written[start] == ' ') {
            EXPECT_NE(static_cast<unsigned char>(written[start + 1]) & 0xC0U, 0x80U);
        }
    }
    auto reparsed = parse(written);
    ASSERT_FALSE(has_errors(reparsed.diagnostics));
    EXPECT_EQ(reparsed.calendars[0].find("SUMMARY")->value, text);
}

TEST(CalendarWriter, QuotesParameterValuesWithSeparators)
{
    Property property{"DTSTART", {{"TZID", {"a;b"}}, {"X", {"p", "q"}}}, "20240101T000000", 0};
    EXPECT_EQ(write_content_line(property), "DTSTART;TZID=\"a;b\";X=p,q:20240101T000000");
}

TEST(CalendarText, EscapesRoundTrip)
{
    std::string text = "a,b;c\\d\ne";
    EXPECT_EQ(escape_text(text), "a\\,b\\;c\\\\d\\ne");
    EXPECT_EQ(unescape_text(escape_text(text)), text);
    EXPECT_EQ(unescape_text("x\\Ny"), "x\ny");
}

} // namespace
} // namespace robur::icalendar
