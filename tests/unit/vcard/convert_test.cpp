#include <gtest/gtest.h>

#include "formats/vcard/check.hpp"
#include "formats/vcard/convert.hpp"

namespace robur::vcard {
namespace {

std::string convert(std::string_view text, std::string_view version,
                    std::vector<Diagnostic>& diagnostics)
{
    auto converted = convert_card(text, version, "card.vcf", diagnostics);
    EXPECT_TRUE(converted) << converted.error().message;
    return converted ? *converted : std::string();
}

bool contains(const std::string& text, std::string_view part)
{
    return text.find(part) != std::string::npos;
}

TEST(VcardConvert, Version3ToVersion4)
{
    std::vector<Diagnostic> diagnostics;
    const auto text = convert("BEGIN:VCARD\r\nN;CHARSET=utf-8:Doe;Jo;;;\r\nVERSION:3.0\r\n"
                              "UID:1\r\nFN:Jo Doe\r\nSORT-STRING:Doe\r\n"
                              "PHOTO;ENCODING=b;TYPE=JPEG:/9j/\r\n 4AAQ\r\n"
                              "TEL;TYPE=CELL,pref:+1 555\r\nADR;TYPE=work:;;Main St;;;;\r\n"
                              "LABEL;TYPE=work:Main St\\nTown\r\nMAILER:mutt\r\nEND:VCARD\r\n",
                              "4.0", diagnostics);
    EXPECT_EQ(text.substr(0, 26), "BEGIN:VCARD\r\nVERSION:4.0\r\n");
    EXPECT_TRUE(contains(text, "N;SORT-AS=Doe:Doe;Jo;;;\r\n")) << text;
    EXPECT_TRUE(contains(text, "PHOTO:data:image/jpeg;base64,/9j/4AAQ\r\n")) << text;
    EXPECT_TRUE(contains(text, "TEL;TYPE=CELL;PREF=1:+1 555\r\n")) << text;
    EXPECT_TRUE(contains(text, "ADR;TYPE=work;LABEL=Main St^nTown:;;Main St;;;;\r\n")) << text;
    EXPECT_FALSE(contains(text, "SORT-STRING"));
    EXPECT_FALSE(contains(text, "MAILER"));
    ASSERT_EQ(diagnostics.size(), 1U);
    EXPECT_EQ(diagnostics[0].where.line, 12U);

    const auto checked = check_card(text, "converted.vcf", Limits{});
    EXPECT_TRUE(checked.card);
    EXPECT_FALSE(checked.repaired);
}

TEST(VcardConvert, Version4ToVersion3)
{
    std::vector<Diagnostic> diagnostics;
    const auto text = convert("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:1\r\nFN:Jo Doe\r\n"
                              "N;SORT-AS=\"Doe,Jo\":Doe;Jo;;;\r\n"
                              "PHOTO:data:image/png;base64,iVBO\r\n"
                              "TEL;VALUE=uri;PREF=1;PID=1.1:tel:+1-555\r\n"
                              "ADR;LABEL=\"Main St^nTown\":;;Main St;;;;\r\nEND:VCARD\r\n",
                              "3.0", diagnostics);
    EXPECT_TRUE(contains(text, "VERSION:3.0\r\n"));
    EXPECT_TRUE(contains(text, "PHOTO;ENCODING=b;TYPE=PNG:iVBO\r\n")) << text;
    EXPECT_TRUE(contains(text, "TEL;TYPE=pref:+1-555\r\n")) << text;
    EXPECT_TRUE(contains(text, "SORT-STRING:Doe\\,Jo\r\n")) << text;
    EXPECT_TRUE(contains(text, "LABEL:Main St\\nTown\r\n")) << text;
    EXPECT_TRUE(contains(text, "N:Doe;Jo;;;\r\n")) << text;
    ASSERT_EQ(diagnostics.size(), 1U);
    EXPECT_NE(diagnostics[0].message.find("PID"), std::string::npos);

    const auto checked = check_card(text, "converted.vcf", Limits{});
    EXPECT_TRUE(checked.card);
    EXPECT_FALSE(checked.repaired);
}

TEST(VcardConvert, KeepsSameVersionUnchanged)
{
    std::vector<Diagnostic> diagnostics;
    const std::string text = "BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:a\nEND:VCARD\n";
    EXPECT_EQ(convert(text, "4.0", diagnostics), text);
    EXPECT_TRUE(diagnostics.empty());
}

TEST(VcardConvert, RejectsUnknownVersion)
{
    std::vector<Diagnostic> diagnostics;
    const auto converted = convert_card("BEGIN:VCARD\nEND:VCARD\n", "2.1", "c.vcf", diagnostics);
    ASSERT_FALSE(converted);
    EXPECT_EQ(converted.error().code, Errc::invalid_argument);
}

} // namespace
} // namespace robur::vcard
