#include "formats/icalendar/collection_file.hpp"

#include <gtest/gtest.h>

namespace robur::icalendar {
namespace {

TEST(CollectionFile, ParsesExample)
{
    auto parsed = parse_collection_file("[collection]\n"
                                        "\ttype = calendar               ; or addressbook\n"
                                        "\tdisplayname = Work\n"
                                        "\tdescription = Shared work calendar\n"
                                        "\tcolor = \"#3a87adff\"\n"
                                        "\tcomponents = VEVENT VTODO\n"
                                        "[property \"http://example.com/ns/ order\"]\n"
                                        "\tvalue = 3\n",
                                        "calendars/alice/work/.collection");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(parsed->type, "calendar");
    EXPECT_EQ(parsed->displayname, "Work");
    EXPECT_EQ(parsed->description, "Shared work calendar");
    EXPECT_EQ(parsed->color, "#3a87adff");
    EXPECT_EQ(parsed->components, (std::vector<std::string>{"VEVENT", "VTODO"}));
    ASSERT_EQ(parsed->dead.size(), 1U);
    EXPECT_EQ(parsed->dead[0], (DeadProperty{"http://example.com/ns/", "order", "3"}));
}

TEST(CollectionFile, RoundTripsAwkwardValues)
{
    CollectionProperties properties{
        .type = "addressbook",
        .displayname = "  \"Quoted\" ; # \\ name ",
        .description = "line one\nline two\twith tab",
        .color = "#ff0000",
        .components = {},
        .dead = {{"", "bare", "x"},
                 {"urn:ietf:params:xml:ns:caldav", "calendar-timezone", "BEGIN:VCALENDAR\r\nX"},
                 {"http://a\"b\\c/", "n", ""}},
    };
    auto text = write_collection_file(properties);
    EXPECT_NE(text.find("\ttype = addressbook\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\tcolor = \"#ff0000\"\n"), std::string::npos) << text;
    auto parsed = parse_collection_file(text, ".collection");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string() << "\n" << text;
    EXPECT_EQ(*parsed, properties);
}

TEST(CollectionFile, ReadsCrlfAndContinuationLines)
{
    auto parsed = parse_collection_file(
        "# comment\r\n[Collection]\r\n\tType = calendar\r\n\tdescription = one \\\r\ntwo\r\n", "c");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(parsed->type, "calendar");
    EXPECT_EQ(parsed->description, "one two");
}

TEST(CollectionFile, IgnoresUnknownKeys)
{
    auto parsed = parse_collection_file("[collection]\ntype=calendar\nfuture = 1\n[other]\nx=y\n", "c");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->type, "calendar");
}

TEST(CollectionFile, RejectsMissingType)
{
    auto parsed = parse_collection_file("[collection]\ndisplayname = x\n", "c");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().code, Errc::validation_failed);
    EXPECT_NE(parsed.error().message.find("missing collection.type"), std::string::npos);
}

TEST(CollectionFile, RejectsUnknownType)
{
    auto parsed = parse_collection_file("[collection]\ntype = todo\n", "c");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_NE(parsed.error().message.find("'todo'"), std::string::npos);
}

TEST(CollectionFile, ReportsLineOfSyntaxError)
{
    auto parsed = parse_collection_file("[collection]\ntype = calendar\ncolor = \"#fff\n", "p/.collection");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().code, Errc::parse_error);
    ASSERT_TRUE(parsed.error().where.has_value());
    EXPECT_EQ(parsed.error().where->line, 3U);
    EXPECT_EQ(parsed.error().where->path, "p/.collection");
}

TEST(CollectionFile, RejectsKeyOutsideSection)
{
    auto parsed = parse_collection_file("type = calendar\n", "c");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().where->line, 1U);
}

TEST(CollectionFile, RejectsPropertyWithoutLocalName)
{
    auto parsed = parse_collection_file("[collection]\ntype=calendar\n[property \"urn:x\"]\nvalue=1\n", "c");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().where->line, 4U);
}

} // namespace
} // namespace robur::icalendar
