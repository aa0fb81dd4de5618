#include <gtest/gtest.h>

#include "servers/caldav/collation.hpp"

// The expected values come from UnicodeData.txt (Unicode 14.0). Counting fields from 0,
// field 14 is the simple titlecase mapping, field 5 the decomposition and field 3 the
// canonical combining class.

namespace robur::caldav {
namespace {

std::string canonical(std::string_view text)
{
    return canonicalize_titlecase(text);
}

TEST(UnicodeCasemap, TitlecasesAscii)
{
    EXPECT_EQ(canonical("Hello world 42!"), "HELLO WORLD 42!");
}

TEST(UnicodeCasemap, DecomposesPrecomposedLetters)
{
    // U+00E9 has titlecase U+00C9, whose canonical decomposition is U+0045 U+0301.
    EXPECT_EQ(canonical("é"), "E\u0301");
    EXPECT_EQ(canonical("É"), "E\u0301");
    EXPECT_EQ(canonical("e\u0301"), "E\u0301");
    EXPECT_EQ(canonical("ÉCOLE Ågård"), "E\u0301COLE A\u030AGA\u030ARD");
}

TEST(UnicodeCasemap, DecomposesCompatibilityCharacters)
{
    // U+2168 ROMAN NUMERAL NINE has no titlecase and decomposes to <compat> U+0049 U+0058.
    // U+2178 SMALL ROMAN NUMERAL NINE has titlecase U+2168.
    EXPECT_EQ(canonical("Ⅸ"), "IX");
    EXPECT_EQ(canonical("ⅸ"), "IX");
    EXPECT_EQ(canonical("ix"), "IX");

    // U+FF41 FULLWIDTH LATIN SMALL LETTER A has titlecase U+FF21, which is <wide> U+0041.
    EXPECT_EQ(canonical("ａ"), "A");
    EXPECT_EQ(canonical("Ａ"), "A");
}

TEST(UnicodeCasemap, DecomposesAfterTitlecasing)
{
    // The titlecase mapping comes first, so letters that a decomposition produces keep their
    // case. U+FB01 LATIN SMALL LIGATURE FI has no titlecase in UnicodeData.txt and decomposes
    // to <compat> U+0066 U+0069, while "fi" titlecases to "FI".
    EXPECT_EQ(canonical("ﬁ"), "fi");
    EXPECT_EQ(canonical("fi"), "FI");

    // The example of RFC 5051 section 2: U+01C4 has titlecase U+01C5, which decomposes to
    // U+0044 U+017E and then to U+0044 U+007A U+030C. U+01C6 has the same titlecase.
    EXPECT_EQ(canonical("\u01C4"), "Dz\u030C");
    EXPECT_EQ(canonical("\u01C5"), "Dz\u030C");
    EXPECT_EQ(canonical("\u01C6"), "Dz\u030C");
    EXPECT_EQ(canonical("D\u017D"), "DZ\u030C");
}

TEST(UnicodeCasemap, SharpSHasNoTitlecase)
{
    // U+00DF and U+1E9E have no simple titlecase mapping. "SS" for U+00DF is a full mapping
    // of SpecialCasing.txt, which RFC 5051 does not use.
    EXPECT_EQ(canonical("ß"), "ß");
    EXPECT_EQ(canonical("ẞ"), "ẞ");
    EXPECT_EQ(canonical("Straße"), "STRAßE");
    EXPECT_EQ(canonical("STRASSE"), "STRASSE");
}

TEST(UnicodeCasemap, TurkishDotlessAndDottedI)
{
    // U+0131 DOTLESS I has titlecase U+0049. U+0130 I WITH DOT ABOVE has none and decomposes
    // canonically to U+0049 U+0307.
    EXPECT_EQ(canonical("ı"), "I");
    EXPECT_EQ(canonical("i"), "I");
    EXPECT_EQ(canonical("İ"), "I\u0307");
    EXPECT_EQ(canonical("i\u0307"), "I\u0307");
}

TEST(UnicodeCasemap, TitlecasesGreekAndCyrillic)
{
    // U+03AF has titlecase U+038A, which decomposes to U+0399 U+0301. Final sigma U+03C2 has
    // titlecase U+03A3, as U+03C3 has.
    EXPECT_EQ(canonical("σοφία"), "ΣΟΦΙ\u0301Α");
    EXPECT_EQ(canonical("ΣΟΦΊΑ"), "ΣΟΦΙ\u0301Α");
    EXPECT_EQ(canonical("ς"), "Σ");
    EXPECT_EQ(canonical("ПРИВЕТ Ёж"), "ПРИВЕТ Е\u0308Ж");
    // U+017F LONG S has titlecase U+0053.
    EXPECT_EQ(canonical("ſ"), "S");
}

TEST(UnicodeCasemap, OrdersCombiningMarks)
{
    // U+0323 DOT BELOW has class 220 and U+0301 ACUTE 230, so the dot goes first, also when
    // the two come from different code points (U+00E1, U+1EA1).
    EXPECT_EQ(canonical("a\u0301\u0323"), "A\u0323\u0301");
    EXPECT_EQ(canonical("a\u0323\u0301"), "A\u0323\u0301");
    EXPECT_EQ(canonical("\u00E1\u0323"), "A\u0323\u0301");
    EXPECT_EQ(canonical("\u1EA1\u0301"), "A\u0323\u0301");

    // U+0300 and U+0301 share class 230 and keep their order.
    EXPECT_EQ(canonical("a\u0301\u0300"), "A\u0301\u0300");
    EXPECT_EQ(canonical("a\u0300\u0301"), "A\u0300\u0301");
}

TEST(UnicodeCasemap, DecomposesHangulSyllables)
{
    // U+D55C is L U+1112, V U+1161 and T U+11AB. U+AC00 has no trailing consonant.
    EXPECT_EQ(canonical("\uD55C"), "\u1112\u1161\u11AB");
    EXPECT_EQ(canonical("\uAC00"), "\u1100\u1161");
    EXPECT_EQ(canonical("\u1112\u1161\u11AB"), "\u1112\u1161\u11AB");
}

TEST(UnicodeCasemap, MapsOutsideTheBasicPlane)
{
    // U+10428 DESERET SMALL LONG I has titlecase U+10400.
    EXPECT_EQ(canonical("\U00010428"), "\U00010400");
    EXPECT_EQ(canonical("\U00010400"), "\U00010400");
    // U+1D400 MATHEMATICAL BOLD CAPITAL A is <font> U+0041.
    EXPECT_EQ(canonical("\U0001D400"), "A");
    EXPECT_EQ(canonical("😀"), "😀");
}

TEST(UnicodeCasemap, KeepsInvalidBytes)
{
    EXPECT_EQ(canonical("a\xFF"
                        "b\xC3"),
              "A\xFF"
              "B\xC3");
    EXPECT_EQ(canonical("\xED\xA0\x80z"), "\xED\xA0\x80Z"); // an encoded surrogate
    // An invalid byte ends a run of combining marks, so the marks around it are not reordered.
    EXPECT_EQ(canonical("a\u0301\xFF\u0323"), "A\u0301\xFF\u0323");
}

TEST(Collation, ParsesTheThreeIdentifiers)
{
    EXPECT_EQ(parse_collation("i;octet"), Collation::octet);
    EXPECT_EQ(parse_collation("i;ascii-casemap"), Collation::ascii_casemap);
    EXPECT_EQ(parse_collation("i;unicode-casemap"), Collation::unicode_casemap);
    EXPECT_FALSE(parse_collation("i;basic"));
}

TEST(Collation, KeysOfTheThreeCollations)
{
    EXPECT_EQ(collation_key("ÄBC", Collation::octet), "ÄBC");
    EXPECT_EQ(collation_key("ÄBC", Collation::ascii_casemap), "Äbc");
    EXPECT_EQ(collation_key("ÄBC", Collation::unicode_casemap), "A\u0308BC");
}

TEST(Collation, AsciiCasemapIgnoresUnicode)
{
    // i;ascii-casemap (RFC 4790) folds only ASCII letters and decomposes nothing.
    EXPECT_EQ(collation_key("ÉCOLE ﬁ Ⅸ İ", Collation::ascii_casemap), "École ﬁ Ⅸ İ");
    EXPECT_EQ(collation_key("e\u0301", Collation::ascii_casemap), "e\u0301");
    EXPECT_NE(collation_key("é", Collation::ascii_casemap),
              collation_key("e\u0301", Collation::ascii_casemap));
}

} // namespace
} // namespace robur::caldav
