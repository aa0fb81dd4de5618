#include <gtest/gtest.h>

#include "formats/vcard/content_line.hpp"

namespace robur::vcard {
namespace {

ParsedCards read(std::string_view text)
{
    return read_cards(text, "test.vcf", ReadLimits{});
}

TEST(VcardContentLine, UnfoldsCrlfAndLfContinuations)
{
    const auto parsed = read("BEGIN:VCARD\r\nVERSION:4.0\r\nNOTE:first\r\n  second\n\tthird\r\n"
                             "END:VCARD\r\n");
    ASSERT_TRUE(parsed.diagnostics.empty());
    ASSERT_EQ(parsed.cards.size(), 1U);
    const auto& note = parsed.cards[0].properties[1];
    EXPECT_EQ(note.name, "NOTE");
    EXPECT_EQ(note.value, "first secondthird");
    EXPECT_EQ(note.line, 3U);
    EXPECT_EQ(note.source, "NOTE:first\r\n  second\r\n\tthird");
}

TEST(VcardContentLine, ReadsGroupAndUpperCasesName)
{
    const auto parsed = read("BEGIN:VCARD\nitem1.tel;type=cell:+1 555\nEND:VCARD\n");
    ASSERT_EQ(parsed.cards.size(), 1U);
    const auto& tel = parsed.cards[0].properties[0];
    EXPECT_EQ(tel.group, "item1");
    EXPECT_EQ(tel.name, "TEL");
    ASSERT_EQ(tel.parameters.size(), 1U);
    EXPECT_EQ(tel.parameters[0].name, "TYPE");
    EXPECT_EQ(tel.parameters[0].values, std::vector<std::string>{"cell"});
    EXPECT_EQ(tel.value, "+1 555");
}

TEST(VcardContentLine, ReadsQuotedValuesAndCaretEscapes)
{
    const auto parsed = read("BEGIN:VCARD\n"
                             "ADR;LABEL=\"Main St. 1^nSpringfield; ^'HQ^'\";TYPE=work,\"a:b\":;;x\n"
                             "END:VCARD\n");
    ASSERT_TRUE(parsed.diagnostics.empty());
    const auto& adr = parsed.cards[0].properties[0];
    ASSERT_EQ(adr.parameters.size(), 2U);
    EXPECT_EQ(adr.parameters[0].values[0], "Main St. 1\nSpringfield; \"HQ\"");
    EXPECT_EQ(adr.parameters[1].values, (std::vector<std::string>{"work", "a:b"}));
    EXPECT_EQ(adr.value, ";;x");
}

TEST(VcardContentLine, ReadsBareParameterAsType)
{
    const auto parsed = read("BEGIN:VCARD\nTEL;WORK;VOICE:1\nEND:VCARD\n");
    const auto& tel = parsed.cards[0].properties[0];
    ASSERT_EQ(tel.parameters.size(), 2U);
    EXPECT_TRUE(tel.parameters[0].bare);
    EXPECT_EQ(tel.parameters[0].name, "TYPE");
    EXPECT_EQ(tel.parameters[0].values[0], "WORK");
}

TEST(VcardContentLine, ReportsSyntaxFaultsWithLines)
{
    const auto parsed = read("BEGIN:VCARD\nVERSION:4.0\nNOTE no colon\nTEL;TYPE=\"open:1\n"
                             "FN@:x\nEND:VCARD\n");
    ASSERT_EQ(parsed.diagnostics.size(), 3U);
    EXPECT_EQ(parsed.diagnostics[0].where.line, 3U);
    EXPECT_EQ(parsed.diagnostics[1].where.line, 4U);
    EXPECT_NE(parsed.diagnostics[1].message.find("closing"), std::string::npos);
    EXPECT_EQ(parsed.diagnostics[2].where.line, 5U);
}

TEST(VcardContentLine, RejectsInvalidUtf8WithLine)
{
    const auto parsed = read("BEGIN:VCARD\nVERSION:4.0\nFN:M\xFCller\nEND:VCARD\n");
    ASSERT_EQ(parsed.diagnostics.size(), 1U);
    EXPECT_EQ(parsed.diagnostics[0].where.line, 3U);
    EXPECT_NE(parsed.diagnostics[0].message.find("UTF-8"), std::string::npos);
    EXPECT_TRUE(parsed.cards.empty());
}

TEST(VcardContentLine, RejectsOverlongUtf8AndSurrogates)
{
    EXPECT_EQ(find_invalid_utf8("ok \xC3\xA4"), std::string_view::npos);
    EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0U);
    EXPECT_EQ(find_invalid_utf8("a\xED\xA0\x80"), 1U);
    EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0U);
    EXPECT_EQ(find_invalid_utf8("\xE2\x82"), 0U);
}

TEST(VcardContentLine, RejectsControlCharacterInValue)
{
    const auto parsed = read("BEGIN:VCARD\nNOTE:a\x01" "b\nEND:VCARD\n");
    ASSERT_EQ(parsed.diagnostics.size(), 1U);
    EXPECT_EQ(parsed.diagnostics[0].where.line, 2U);
    EXPECT_EQ(parsed.diagnostics[0].where.column, 7U);
}

TEST(VcardContentLine, RejectsControlCharacterInParameter)
{
    const auto parsed = read("BEGIN:VCARD\nPHOTO;TYPE=p\x03ng:x\nTEL;TYPE=\"a\x01\":1\nEND:VCARD\n");
    ASSERT_EQ(parsed.diagnostics.size(), 2U);
    EXPECT_EQ(parsed.diagnostics[0].where.line, 2U);
    EXPECT_EQ(parsed.diagnostics[0].where.column, 13U);
    EXPECT_EQ(parsed.diagnostics[1].where.line, 3U);
}

TEST(VcardContentLine, ReportsNestedAndUnterminatedCards)
{
    const auto parsed = read("BEGIN:VCARD\nFN:a\nBEGIN:VCARD\nFN:b\n");
    ASSERT_EQ(parsed.diagnostics.size(), 2U);
    EXPECT_EQ(parsed.diagnostics[0].where.line, 3U);
    EXPECT_EQ(parsed.diagnostics[1].where.line, 3U);
    EXPECT_NE(parsed.diagnostics[1].message.find("END:VCARD"), std::string::npos);
}

TEST(VcardContentLine, ReportsLinesOutsideCard)
{
    const auto parsed = read("FN:stray\nBEGIN:VCARD\nEND:VCARD\nEND:VCARD\n");
    ASSERT_EQ(parsed.diagnostics.size(), 2U);
    EXPECT_EQ(parsed.diagnostics[0].where.line, 1U);
    EXPECT_EQ(parsed.diagnostics[1].where.line, 4U);
}

TEST(VcardContentLine, RecordsByteRangesOfCards)
{
    const std::string text = "BEGIN:VCARD\r\nFN:a\r\nEND:VCARD\r\n\r\nBEGIN:VCARD\nFN:b\nEND:VCARD";
    const auto parsed = read(text);
    ASSERT_EQ(parsed.cards.size(), 2U);
    EXPECT_EQ(text.substr(parsed.cards[0].begin_offset,
                          parsed.cards[0].end_offset - parsed.cards[0].begin_offset),
              "BEGIN:VCARD\r\nFN:a\r\nEND:VCARD\r\n");
    EXPECT_EQ(text.substr(parsed.cards[1].begin_offset), "BEGIN:VCARD\nFN:b\nEND:VCARD");
    EXPECT_EQ(parsed.cards[1].begin_line, 5U);
    EXPECT_FALSE(parsed.cards[0].blank_lines);
}

TEST(VcardContentLine, EnforcesLineLengthLimit)
{
    const std::string text = "BEGIN:VCARD\nNOTE:" + std::string(100, 'x') + "\nEND:VCARD\n";
    const auto parsed = read_cards(text, "t.vcf", ReadLimits{.max_line_length = 50,
                                                             .max_properties = 10});
    ASSERT_EQ(parsed.diagnostics.size(), 1U);
    EXPECT_NE(parsed.diagnostics[0].message.find("limit"), std::string::npos);
}

TEST(VcardText, UnescapesAndEscapes)
{
    EXPECT_EQ(unescape_text(R"(a\, b\; c\\d\nE\Nf\x)"), "a, b; c\\d\nE\nf\\x");
    EXPECT_EQ(escape_text("a, b; c\\d\ne"), R"(a\, b\; c\\d\ne)");
    EXPECT_EQ(split_value(R"(Doe;John\;Jr;;)", ';'),
              (std::vector<std::string>{"Doe", R"(John\;Jr)", "", ""}));
}

TEST(VcardText, FoldsAtSeventyFiveOctetsKeepingUtf8)
{
    ContentLine line;
    line.name = "NOTE";
    std::string value;
    for (int i = 0; i < 60; ++i) {
        value += "\xC3\xA4";
    }
    line.value = value;
    const std::string folded = format_content_line(line);
    std::size_t start = 0;
    std::string unfolded;
    while (start < folded.size()) {
        const std::size_t end = folded.find("\r\n", start);
        const std::string physical = folded.substr(start, end == std::string::npos
                                                              ? std::string::npos
                                                              : end - start);
        EXPECT_LE(physical.size(), 75U);
        EXPECT_EQ(find_invalid_utf8(physical), std::string_view::npos);
        unfolded += start == 0 ? physical : physical.substr(1);
        start = end == std::string::npos ? folded.size() : end + 2;
    }
    EXPECT_EQ(unfolded, "NOTE:" + value);
}

} // namespace
} // namespace robur::vcard
