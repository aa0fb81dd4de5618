#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "formats/vcard/check.hpp"

namespace robur::vcard {
namespace {

namespace fs = std::filesystem;

CheckedCard check(std::string_view text, Origin origin = Origin::put)
{
    return check_card(text, "card.vcf", Limits{}, origin);
}

bool mentions(const std::vector<Diagnostic>& diagnostics, Severity severity,
              std::string_view text, std::uint32_t line = 0)
{
    for (const auto& diagnostic : diagnostics) {
        if (diagnostic.severity == severity &&
            diagnostic.message.find(text) != std::string::npos &&
            (line == 0 || diagnostic.where.line == line)) {
            return true;
        }
    }
    return false;
}

std::string read_file(const fs::path& path)
{
    std::ifstream stream(path, std::ios::binary);
    std::ostringstream text;
    text << stream.rdbuf();
    return text.str();
}

TEST(VcardCheck, AcceptsMinimalVersion4)
{
    const auto result = check("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:1\r\nFN:Ann\r\n"
                              "END:VCARD\r\n");
    ASSERT_TRUE(result.card);
    EXPECT_EQ(result.card->uid, "urn:uuid:1");
    EXPECT_EQ(result.card->version, "4.0");
    EXPECT_EQ(result.card->formatted_name, "Ann");
    EXPECT_FALSE(result.repaired);
    EXPECT_TRUE(result.diagnostics.empty());
}

TEST(VcardCheck, AcceptsVersion3WithEncodingB)
{
    const auto result = check("BEGIN:VCARD\nVERSION:3.0\nN:Doe;Jo;;;\nFN:Jo Doe\nUID:x\n"
                              "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\nEND:VCARD\n");
    ASSERT_TRUE(result.card) << result.diagnostics.front().to_string();
    EXPECT_EQ(result.card->version, "3.0");
    EXPECT_FALSE(result.repaired);
}

TEST(VcardCheck, UnescapesUidAndName)
{
    const auto result = check("BEGIN:VCARD\nVERSION:4.0\nUID:uid=a\\,ou=b\nFN:Doe\\, Jo\n"
                              "END:VCARD\n");
    ASSERT_TRUE(result.card);
    EXPECT_EQ(result.card->uid, "uid=a,ou=b");
    EXPECT_EQ(result.card->formatted_name, "Doe, Jo");
}

TEST(VcardCheck, RejectsMissingUidOnPut)
{
    const auto result = check("BEGIN:VCARD\nVERSION:4.0\nFN:Ann\nEND:VCARD\n");
    EXPECT_FALSE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "missing UID", 1));
}

TEST(VcardCheck, GeneratesStableUidOnImport)
{
    const std::string text = "BEGIN:VCARD\nVERSION:4.0\nFN:Ann\nEND:VCARD\n";
    const auto first = check(text, Origin::import);
    const auto second = check(text, Origin::import);
    ASSERT_TRUE(first.card);
    ASSERT_TRUE(first.repaired);
    EXPECT_EQ(first.card->uid.substr(0, 9), "urn:uuid:");
    EXPECT_EQ(first.card->uid, second.card->uid);
    EXPECT_NE(first.repaired->find("UID:" + first.card->uid + "\r\n"), std::string::npos);
    EXPECT_TRUE(mentions(first.diagnostics, Severity::warning, "missing UID"));
}

TEST(VcardCheck, RejectsMissingVersionOnPut)
{
    const auto result = check("BEGIN:VCARD\nUID:1\nFN:Ann\nEND:VCARD\n");
    EXPECT_FALSE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "missing VERSION", 1));
}

TEST(VcardCheck, AddsVersionOnImport)
{
    const auto result = check("BEGIN:VCARD\nUID:1\nFN:Ann\nEND:VCARD\n", Origin::import);
    ASSERT_TRUE(result.card);
    EXPECT_EQ(result.card->version, "4.0");
    ASSERT_TRUE(result.repaired);
    EXPECT_EQ(result.repaired->substr(0, 26), "BEGIN:VCARD\r\nVERSION:4.0\r\n");
}

TEST(VcardCheck, RejectsUnsupportedVersions)
{
    EXPECT_TRUE(mentions(check("BEGIN:VCARD\nVERSION:2.1\nUID:1\nFN:a\nEND:VCARD\n").diagnostics,
                         Severity::error, "2.1 is not supported", 2));
    EXPECT_TRUE(mentions(check("BEGIN:VCARD\nVERSION:5.0\nUID:1\nFN:a\nEND:VCARD\n").diagnostics,
                         Severity::error, "unsupported VERSION 5.0", 2));
    EXPECT_TRUE(mentions(check("BEGIN:VCARD\nVERSION:4.0\nVERSION:3.0\nUID:1\nFN:a\nEND:VCARD\n")
                             .diagnostics,
                         Severity::error, "more than one VERSION"));
}

TEST(VcardCheck, TrimsVersionAndMovesItFirst)
{
    const auto result = check("BEGIN:VCARD\nUID:1\nFN:a\nVERSION: 4.0\nEND:VCARD\n");
    ASSERT_TRUE(result.card);
    ASSERT_TRUE(result.repaired);
    EXPECT_EQ(*result.repaired, "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:1\r\nFN:a\r\nEND:VCARD\r\n");
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "trimmed", 4));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "moved", 4));
}

TEST(VcardCheck, KeepsVersion3OrderAsWritten)
{
    const auto result = check("BEGIN:VCARD\nN:a;b;;;\nFN:b a\nVERSION:3.0\nUID:1\nEND:VCARD\n");
    ASSERT_TRUE(result.card);
    EXPECT_FALSE(result.repaired);
}

TEST(VcardCheck, DerivesMissingFormattedName)
{
    const auto from_n = check("BEGIN:VCARD\nVERSION:4.0\nUID:1\nN:Doe;Jo;M;Dr.;\nEND:VCARD\n");
    ASSERT_TRUE(from_n.card);
    EXPECT_EQ(from_n.card->formatted_name, "Dr. Jo M Doe");
    ASSERT_TRUE(from_n.repaired);
    EXPECT_NE(from_n.repaired->find("\r\nFN:Dr. Jo M Doe\r\n"), std::string::npos);

    const auto from_email =
        check("BEGIN:VCARD\nVERSION:4.0\nUID:1\nEMAIL:a@example.com\nEND:VCARD\n");
    ASSERT_TRUE(from_email.card);
    EXPECT_EQ(from_email.card->formatted_name, "a@example.com");
}

TEST(VcardCheck, RejectsCardWithoutAnyName)
{
    const auto result = check("BEGIN:VCARD\nVERSION:4.0\nUID:1\nTEL:1\nEND:VCARD\n");
    EXPECT_FALSE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "missing FN", 1));
}

TEST(VcardCheck, AddsEmptyNameInVersion3)
{
    const auto result = check("BEGIN:VCARD\nVERSION:3.0\nUID:1\nFN:Jo\nEND:VCARD\n");
    ASSERT_TRUE(result.card);
    ASSERT_TRUE(result.repaired);
    EXPECT_NE(result.repaired->find("VERSION:3.0\r\nN:;;;;\r\n"), std::string::npos);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "missing N"));
}

TEST(VcardCheck, RejectsVersion3FormsInVersion4)
{
    const auto result = check("BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:a\n"
                              "PHOTO;ENCODING=b;TYPE=jpeg:AAAA\nADR;CHARSET=utf-8:;;x;;;;\n"
                              "SORT-STRING:a\nLABEL:x\nMAILER:y\nEND:VCARD\n");
    EXPECT_FALSE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "ENCODING", 5));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "CHARSET", 6));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "SORT-AS", 7));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "LABEL parameter", 8));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "removed", 9));
}

TEST(VcardCheck, ValidatesPrefAndValueParameters)
{
    const auto result = check("BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:a\nEMAIL;PREF=0:a@b\n"
                              "EMAIL;PREF=101:c@d\nEMAIL;PREF=x:e@f\nKEY;VALUE=binary:AAAA\n"
                              "TEL;PREF=1;VALUE=uri:tel:+1\nEND:VCARD\n");
    EXPECT_FALSE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "PREF=0", 5));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "PREF=101", 6));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "PREF=x", 7));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "VALUE=binary", 8));
    EXPECT_FALSE(mentions(result.diagnostics, Severity::error, "", 9));
}

TEST(VcardCheck, RejectsQuotedPrintableInVersion3)
{
    const auto result = check("BEGIN:VCARD\nVERSION:3.0\nUID:1\nN:a;;;;\nFN:a\n"
                              "NOTE;ENCODING=QUOTED-PRINTABLE:a=3Db\nEND:VCARD\n");
    EXPECT_FALSE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "quoted-printable", 6));
}

TEST(VcardCheck, RejectsInvalidBase64InVersion3)
{
    const auto result = check("BEGIN:VCARD\nVERSION:3.0\nUID:1\nN:a;;;;\nFN:a\n"
                              "PHOTO;ENCODING=b:not*base64\nEND:VCARD\n");
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "not base64", 6));
}

TEST(VcardCheck, WarnsAboutVersion4FormsInVersion3)
{
    const auto result = check("BEGIN:VCARD\nVERSION:3.0\nUID:1\nN:a;;;;\nFN:a\nKIND:individual\n"
                              "EMAIL;PREF=1:a@b\nTEL;WORK:1\nEND:VCARD\n");
    ASSERT_TRUE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "KIND is a vCard 4.0", 6));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "PREF is a vCard 4.0", 7));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "vCard 2.1 form", 8));
}

TEST(VcardCheck, RepairsDataUriWithEncodingInVersion3)
{
    const auto result = check("BEGIN:VCARD\nVERSION:3.0\nUID:1\nN:a;;;;\nFN:a\n"
                              "PHOTO;ENCODING=b;TYPE=png:data:image/png;base64,iVBO\nEND:VCARD\n");
    ASSERT_TRUE(result.card);
    ASSERT_TRUE(result.repaired);
    EXPECT_NE(result.repaired->find("PHOTO;TYPE=png;VALUE=uri:data:image/png;base64,iVBO\r\n"),
              std::string::npos);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "data: URI", 6));
}

TEST(VcardCheck, RejectsSeveralCardsInOneResource)
{
    const auto result = check("BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:a\nEND:VCARD\n"
                              "BEGIN:VCARD\nVERSION:4.0\nUID:2\nFN:b\nEND:VCARD\n");
    EXPECT_FALSE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "2 vCards", 6));
}

TEST(VcardCheck, RejectsSeveralUids)
{
    const auto result = check("BEGIN:VCARD\nVERSION:4.0\nUID:1\nUID:2\nFN:a\nEND:VCARD\n");
    EXPECT_FALSE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "2 UID"));
}

TEST(VcardCheck, RejectsEmptyInputAndCalendar)
{
    EXPECT_TRUE(mentions(check("").diagnostics, Severity::error, "no vCard"));
    EXPECT_TRUE(mentions(check("BEGIN:VCALENDAR\nEND:VCALENDAR\n").diagnostics, Severity::error,
                         "BEGIN:VCALENDAR", 1));
}

TEST(VcardCheck, EnforcesResourceSize)
{
    const auto result = check_card(std::string(2000, 'x'), "big.vcf",
                                   Limits{.max_resource_size = 1000}, Origin::put);
    EXPECT_FALSE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "exceed the limit"));
}

TEST(VcardCheck, RemovesByteOrderMarkAndBlankLines)
{
    const auto result = check("\xEF\xBB\xBF" "BEGIN:VCARD\nVERSION:4.0\n\nUID:1\nFN:a\nEND:VCARD\n");
    ASSERT_TRUE(result.card);
    ASSERT_TRUE(result.repaired);
    EXPECT_EQ(*result.repaired, "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:1\r\nFN:a\r\nEND:VCARD\r\n");
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "byte order mark"));
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "empty line", 3));
}

TEST(VcardCheck, WarnsAboutRepeatedSingleProperties)
{
    const auto result = check("BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:a\nBDAY:--0203\nBDAY:0000\n"
                              "END:VCARD\n");
    ASSERT_TRUE(result.card);
    EXPECT_TRUE(mentions(result.diagnostics, Severity::warning, "BDAY appears 2 times", 6));
}

TEST(VcardCheck, KeepsFoldedLinesOfRepairedCard)
{
    const auto result = check("BEGIN:VCARD\nVERSION:4.0\nFN:a\nNOTE:long\n  text\nEND:VCARD\n",
                              Origin::import);
    ASSERT_TRUE(result.repaired);
    EXPECT_NE(result.repaired->find("NOTE:long\r\n  text\r\n"), std::string::npos);
}

TEST(VcardCheckFile, SplitsCardsWithFileLines)
{
    const auto result = check_card_file("BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:a\nEND:VCARD\n\n"
                                        "BEGIN:VCARD\nVERSION:3.0\nUID:2\nFN:b\nEND:VCARD\n",
                                        "all.vcf", Limits{});
    ASSERT_TRUE(result.diagnostics.empty());
    ASSERT_EQ(result.cards.size(), 2U);
    EXPECT_EQ(result.cards[0].text, "BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:a\nEND:VCARD\n");
    EXPECT_EQ(result.cards[1].line, 7U);
    ASSERT_TRUE(result.cards[1].checked.card);
    EXPECT_TRUE(mentions(result.cards[1].checked.diagnostics, Severity::warning, "missing N", 7));
}

TEST(VcardCheckFile, RejectsCardWithMalformedLine)
{
    const auto result = check_card_file("BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:a\nPH@TO:x\n"
                                        "END:VCARD\n",
                                        "all.vcf", Limits{});
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "invalid character", 5));
    ASSERT_EQ(result.cards.size(), 1U);
    EXPECT_FALSE(result.cards[0].checked.card);
}

TEST(VcardCheckFile, RejectsDuplicateUids)
{
    const auto result = check_card_file("BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:a\nEND:VCARD\n"
                                        "BEGIN:VCARD\nVERSION:4.0\nUID:1\nFN:b\nEND:VCARD\n",
                                        "all.vcf", Limits{});
    EXPECT_TRUE(mentions(result.diagnostics, Severity::error, "also the UID", 6));
}

// The shared corpus: ok/ files import with warnings at most, bad/ files are rejected with a
// line or repaired with a warning, as docs/calendars.md states for each.
fs::path corpus_folder()
{
    return fs::path(ROBUR_CORPUS_DIR) / "cal";
}

TEST(VcardCorpus, OkFilesImport)
{
    if (!fs::exists(corpus_folder())) {
        GTEST_SKIP() << "corpus not found at " << corpus_folder().string() << ", skipping";
    }
    for (const auto& entry : fs::directory_iterator(corpus_folder() / "ok")) {
        if (entry.path().extension() != ".vcf") {
            continue;
        }
        const auto result = check_card_file(read_file(entry.path()), entry.path().string(),
                                            Limits{});
        EXPECT_FALSE(has_errors(result.diagnostics)) << entry.path();
        for (const auto& card : result.cards) {
            EXPECT_TRUE(card.checked.card) << entry.path() << " line " << card.line;
            for (const auto& diagnostic : card.checked.diagnostics) {
                EXPECT_EQ(diagnostic.severity, Severity::warning) << diagnostic.to_string();
            }
        }
    }
}

TEST(VcardCorpus, BadFilesRejectedOrRepaired)
{
    if (!fs::exists(corpus_folder())) {
        GTEST_SKIP() << "corpus not found at " << corpus_folder().string() << ", skipping";
    }
    const auto missing = check(read_file(corpus_folder() / "bad/vcard30-missing-fn-n.vcf"));
    ASSERT_TRUE(missing.card);
    EXPECT_TRUE(missing.repaired);
    EXPECT_EQ(missing.card->formatted_name, "test-misses-N-or-FN@example.com");

    const auto data_uri =
        check(read_file(corpus_folder() / "bad/vcard30-photo-data-uri-with-encoding-b.vcf"));
    ASSERT_TRUE(data_uri.card);
    EXPECT_TRUE(data_uri.repaired);
    EXPECT_TRUE(mentions(data_uri.diagnostics, Severity::warning, "data: URI", 7));

    const auto mixed = check(read_file(corpus_folder() / "bad/vcard40-with-v3-params-photo-b.vcf"));
    EXPECT_FALSE(mixed.card);
    EXPECT_TRUE(mentions(mixed.diagnostics, Severity::error, "ENCODING", 14));
    EXPECT_TRUE(mentions(mixed.diagnostics, Severity::error, "SORT-STRING", 8));
    EXPECT_TRUE(mentions(mixed.diagnostics, Severity::error, "CHARSET"));
    EXPECT_TRUE(mentions(mixed.diagnostics, Severity::error, "LABEL"));
}

} // namespace
} // namespace robur::vcard
