#include <limits>
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "servers/caldav/addressbook_query.hpp"
#include "servers/caldav/collation.hpp"

namespace robur::caldav {
namespace {

// A vCard 4.0 with a non-ASCII name, three EMAILs (one grouped, with an Apple label), a
// structured N and ADR, and a NICKNAME list.
constexpr std::string_view jurgen = "BEGIN:VCARD\r\n"
                                    "VERSION:4.0\r\n"
                                    "UID:urn:uuid:jurgen\r\n"
                                    "FN:Jürgen Groß\r\n"
                                    "N:Groß;Jürgen;;Dr.;\r\n"
                                    "NICKNAME:Jü,Gro\r\n"
                                    "EMAIL;TYPE=work:jurgen@work.example\r\n"
                                    "EMAIL;TYPE=home,pref:jurgen@home.example\r\n"
                                    "item1.EMAIL:j.gross@club.example\r\n"
                                    "item1.X-ABLabel:Verein\r\n"
                                    "ADR;TYPE=home:;;Hauptstraße 1;München;;80331;Deutschland\r\n"
                                    "NOTE:Line one\\nline two\\, with comma\r\n"
                                    "END:VCARD\r\n";

// A vCard 3.0 with a Greek name, one EMAIL and a vCard 2.1 style bare TYPE.
constexpr std::string_view sophia = "BEGIN:VCARD\r\n"
                                    "VERSION:3.0\r\n"
                                    "UID:sophia\r\n"
                                    "FN:ΣΟΦΊΑ Παπαδοπούλου\r\n"
                                    "N:Παπαδοπούλου;Σοφία;;;\r\n"
                                    "EMAIL;INTERNET:sophia@example.gr\r\n"
                                    "TEL;TYPE=CELL:+30 210 0000000\r\n"
                                    "END:VCARD\r\n";

vcard::RawCard card(std::string_view text)
{
    auto parsed = vcard::read_cards(text, "test.vcf", vcard::ReadLimits{});
    EXPECT_EQ(parsed.cards.size(), 1U);
    EXPECT_TRUE(parsed.diagnostics.empty());
    return parsed.cards.empty() ? vcard::RawCard{} : parsed.cards.front();
}

XmlElement xml(std::string_view text)
{
    auto parsed = parse_xml(text);
    EXPECT_TRUE(parsed) << parsed.error().message;
    return parsed.value_or(XmlElement{});
}

tl::expected<CardFilter, QueryError> try_filter(std::string_view inner,
                                                std::string_view attributes = {})
{
    return parse_card_filter(
        xml(fmt::format(R"(<C:filter xmlns:C="urn:ietf:params:xml:ns:carddav" {}>{}</C:filter>)",
                        attributes, inner)));
}

CardFilter filter(std::string_view inner, std::string_view attributes = {})
{
    auto parsed = try_filter(inner, attributes);
    EXPECT_TRUE(parsed) << parsed.error().message;
    return parsed.value_or(CardFilter{});
}

bool matches(std::string_view card_text, std::string_view inner, std::string_view attributes = {})
{
    return matches_card(filter(inner, attributes), card(card_text));
}

std::string text_filter(std::string_view property, std::string_view text,
                        std::string_view attributes = {})
{
    return fmt::format(
        R"(<C:prop-filter name="{}"><C:text-match {}>{}</C:text-match></C:prop-filter>)", property,
        attributes, text);
}

TEST(TextMatch, MatchTypes)
{
    CardTextMatch match;
    match.text = "GROß";
    const std::vector<std::string> values{"Jürgen Groß"};
    EXPECT_TRUE(text_match_holds(match, values));
    match.match_type = MatchType::ends_with;
    EXPECT_TRUE(text_match_holds(match, values));
    match.match_type = MatchType::starts_with;
    EXPECT_FALSE(text_match_holds(match, values));
    match.match_type = MatchType::equals;
    EXPECT_FALSE(text_match_holds(match, values));
    match.text = "jürgen groß";
    EXPECT_TRUE(text_match_holds(match, values));
}

TEST(TextMatch, UnicodeCasemapComparesCanonicalForms)
{
    // The value spells "é" as U+0065 U+0301, and the patterns use the precomposed U+00C9 or
    // U+00E9. Both give "E" U+0301 (RFC 5051 section 2).
    CardTextMatch match;
    const std::vector<std::string> values{"Cafe\u0301 \uFB01ne"};
    match.match_type = MatchType::equals;
    match.text = "CAFÉ ﬁNE";
    EXPECT_TRUE(text_match_holds(match, values));
    match.match_type = MatchType::contains;
    match.text = "É";
    EXPECT_TRUE(text_match_holds(match, values));
    match.match_type = MatchType::starts_with;
    match.text = "café";
    EXPECT_TRUE(text_match_holds(match, values));
    match.match_type = MatchType::contains;
    match.text = "\u0301 ﬁ";
    EXPECT_TRUE(text_match_holds(match, values));
    match.match_type = MatchType::ends_with;
    match.text = "ﬁnE";
    EXPECT_TRUE(text_match_holds(match, values));

    // U+FB01 decomposes to "fi" after the titlecase mapping, and "fine" titlecases to "FINE".
    match.text = "fine";
    EXPECT_FALSE(text_match_holds(match, values));
}

TEST(TextMatch, UnicodeCasemapKeepsSharpS)
{
    CardTextMatch match;
    const std::vector<std::string> values{"Groß"};
    match.text = "GROß";
    EXPECT_TRUE(text_match_holds(match, values));
    match.text = "GROSS";
    EXPECT_FALSE(text_match_holds(match, values));
}

TEST(TextMatch, UnicodeCasemapDotlessI)
{
    CardTextMatch match;
    match.match_type = MatchType::equals;
    match.text = "ılık";
    EXPECT_TRUE(text_match_holds(match, {"ILIK"}));
    EXPECT_TRUE(text_match_holds(match, {"ilik"}));
    match.text = "İstanbul";
    EXPECT_FALSE(text_match_holds(match, {"istanbul"}));
    EXPECT_TRUE(text_match_holds(match, {"I\u0307STANBUL"}));
}

TEST(TextMatch, AsciiCasemapUnchanged)
{
    CardTextMatch match;
    match.collation = Collation::ascii_casemap;
    match.match_type = MatchType::equals;
    match.text = "CAFÉ";
    EXPECT_TRUE(text_match_holds(match, {"cafÉ"}));
    EXPECT_FALSE(text_match_holds(match, {"café"}));
    EXPECT_FALSE(text_match_holds(match, {"cafe\u0301"}));
}

TEST(TextMatch, CollationsDiffer)
{
    CardTextMatch match;
    match.text = "JÜRGEN";
    const std::vector<std::string> values{"jürgen"};
    EXPECT_TRUE(text_match_holds(match, values));
    match.collation = Collation::ascii_casemap;
    EXPECT_FALSE(text_match_holds(match, values));
    match.text = "JüRGEN";
    EXPECT_TRUE(text_match_holds(match, values));
    match.collation = Collation::octet;
    EXPECT_FALSE(text_match_holds(match, values));
}

TEST(TextMatch, NegateInvertsTheWholeProperty)
{
    CardTextMatch match;
    match.text = "home";
    match.negate = true;
    EXPECT_FALSE(text_match_holds(match, {"work", "home"}));
    EXPECT_TRUE(text_match_holds(match, {"work"}));
    EXPECT_TRUE(text_match_holds(match, {}));
}

TEST(PropertyValues, SplitsStructuredAndListValues)
{
    const auto parsed = card(jurgen);
    const auto values_of = [&](std::string_view name) {
        for (const auto& property : parsed.properties) {
            if (property.name == name) {
                return property_match_values(property);
            }
        }
        return std::vector<std::string>{};
    };
    EXPECT_EQ(values_of("N"),
              (std::vector<std::string>{"Groß;Jürgen;;Dr.;", "Groß", "Jürgen", "Dr."}));
    EXPECT_EQ(values_of("NICKNAME"), (std::vector<std::string>{"Jü,Gro", "Jü", "Gro"}));
    EXPECT_EQ(values_of("NOTE"), (std::vector<std::string>{"Line one\nline two, with comma"}));
    EXPECT_EQ(values_of("FN"), (std::vector<std::string>{"Jürgen Groß"}));
}

TEST(CardFilterParser, AppliesDefaults)
{
    const auto parsed =
        filter(R"(<C:prop-filter name="fn"><C:text-match>x</C:text-match></C:prop-filter>)");
    EXPECT_EQ(parsed.test, FilterTest::any_of);
    ASSERT_EQ(parsed.prop_filters.size(), 1U);
    const auto& prop = parsed.prop_filters.front();
    EXPECT_EQ(prop.name, "FN");
    EXPECT_TRUE(prop.group.empty());
    EXPECT_EQ(prop.test, FilterTest::any_of);
    ASSERT_EQ(prop.text_matches.size(), 1U);
    EXPECT_EQ(prop.text_matches.front().collation, Collation::unicode_casemap);
    EXPECT_EQ(prop.text_matches.front().match_type, MatchType::contains);
    EXPECT_FALSE(prop.text_matches.front().negate);
}

TEST(CardFilterParser, SplitsGroupPrefix)
{
    const auto parsed = filter(R"(<C:prop-filter name="item1.email"/>)");
    ASSERT_EQ(parsed.prop_filters.size(), 1U);
    EXPECT_EQ(parsed.prop_filters.front().group, "ITEM1");
    EXPECT_EQ(parsed.prop_filters.front().name, "EMAIL");
}

TEST(CardFilterParser, RejectsUnknownCollation)
{
    const auto parsed = try_filter(text_filter("FN", "x", R"(collation="i;x-klingon")"));
    ASSERT_FALSE(parsed);
    ASSERT_TRUE(parsed.error().precondition);
    EXPECT_EQ(parsed.error().precondition->local, "supported-collation");
    EXPECT_EQ(parsed.error().content, "i;x-klingon");
}

TEST(CardFilterParser, NamesTheUnsupportedPropFilter)
{
    const auto parsed = try_filter(text_filter("FN", "x", R"(match-type="regex")"));
    ASSERT_FALSE(parsed);
    ASSERT_TRUE(parsed.error().precondition);
    EXPECT_EQ(parsed.error().precondition->local, "supported-filter");
    EXPECT_NE(parsed.error().content.find("<prop-filter"), std::string::npos);
    EXPECT_NE(parsed.error().content.find("name=\"FN\""), std::string::npos);
    EXPECT_NE(parsed.error().message.find("regex"), std::string::npos);
}

TEST(CardFilterParser, NamesTheUnsupportedParamFilter)
{
    const auto parsed = try_filter(
        R"(<C:prop-filter name="TEL"><C:param-filter name="TYPE"><C:is-not-defined/><C:text-match>x</C:text-match></C:param-filter></C:prop-filter>)");
    ASSERT_FALSE(parsed);
    ASSERT_TRUE(parsed.error().precondition);
    EXPECT_EQ(parsed.error().precondition->local, "supported-filter");
    EXPECT_EQ(parsed.error().content.rfind("<param-filter", 0), 0U);
}

TEST(CardFilterParser, RejectsMalformedFilters)
{
    for (
        const auto* inner : {
            R"(<C:prop-filter><C:is-not-defined/></C:prop-filter>)",
            R"(<C:prop-filter name="FN" test="someof"/>)",
            R"(<C:prop-filter name="FN"><C:time-range start="20260101T000000Z"/></C:prop-filter>)",
            R"(<C:prop-filter name="FN"><C:is-not-defined/><C:text-match>x</C:text-match></C:prop-filter>)",
            R"(<C:prop-filter name="FN"><C:text-match negate-condition="maybe">x</C:text-match></C:prop-filter>)",
            R"(<C:comp-filter name="VCARD"/>)",
        }) {
        const auto parsed = try_filter(inner);
        ASSERT_FALSE(parsed) << inner;
        ASSERT_TRUE(parsed.error().precondition) << inner;
        EXPECT_EQ(parsed.error().precondition->local, "supported-filter") << inner;
    }
    const auto bad_test = try_filter("", R"(test="none")");
    ASSERT_FALSE(bad_test);
    EXPECT_EQ(bad_test.error().precondition->local, "supported-filter");
}

TEST(CardFilterMatch, EmptyFilterMatchesEveryCard)
{
    EXPECT_TRUE(matches(jurgen, ""));
    EXPECT_TRUE(matches(sophia, "", R"(test="allof")"));
}

TEST(CardFilterMatch, UnicodeCasemapIsTheDefault)
{
    EXPECT_TRUE(matches(jurgen, text_filter("FN", "GROß")));
    EXPECT_FALSE(matches(jurgen, text_filter("FN", "GROSS")));
    EXPECT_TRUE(matches(jurgen, text_filter("FN", "JÜRGEN")));
    EXPECT_TRUE(matches(sophia, text_filter("FN", "σοφία")));
    EXPECT_FALSE(matches(sophia, text_filter("FN", "σοφία", R"(collation="i;ascii-casemap")")));
    EXPECT_FALSE(matches(jurgen, text_filter("FN", "jürgen", R"(collation="i;octet")")));
}

TEST(CardFilterMatch, AnyEmailOfSeveralMatches)
{
    EXPECT_TRUE(matches(jurgen, text_filter("EMAIL", "@home.example")));
    EXPECT_TRUE(
        matches(jurgen, text_filter("EMAIL", "j.gross@club.example", R"(match-type="equals")")));
    EXPECT_FALSE(matches(jurgen, text_filter("EMAIL", "@other.example")));
}

TEST(CardFilterMatch, GroupPrefix)
{
    EXPECT_TRUE(matches(jurgen, text_filter("ITEM1.EMAIL", "club")));
    EXPECT_TRUE(matches(jurgen, text_filter("item1.email", "club")));
    EXPECT_FALSE(matches(jurgen, text_filter("item1.EMAIL", "work")));
    EXPECT_FALSE(matches(jurgen, text_filter("item2.EMAIL", "club")));
    EXPECT_TRUE(matches(jurgen, text_filter("X-ABLABEL", "verein")));
}

TEST(CardFilterMatch, StructuredComponents)
{
    EXPECT_TRUE(matches(jurgen, text_filter("N", "groß", R"(match-type="equals")")));
    EXPECT_TRUE(matches(jurgen, text_filter("N", "JÜRGEN", R"(match-type="equals")")));
    EXPECT_TRUE(matches(jurgen, text_filter("ADR", "münchen", R"(match-type="equals")")));
    EXPECT_TRUE(matches(jurgen, text_filter("ADR", "HAUPTSTRAßE", R"(match-type="starts-with")")));
    EXPECT_TRUE(matches(jurgen, text_filter("NICKNAME", "gro", R"(match-type="equals")")));
    EXPECT_TRUE(matches(sophia, text_filter("N", "ΣΟΦΊΑ", R"(match-type="equals")")));
    EXPECT_FALSE(matches(jurgen, text_filter("N", "Jürgen Groß", R"(match-type="equals")")));
}

TEST(CardFilterMatch, EscapesAreDecoded)
{
    EXPECT_TRUE(matches(jurgen, text_filter("NOTE", "two, with")));
    EXPECT_TRUE(matches(jurgen, text_filter("NOTE", "one\nline")));
    EXPECT_FALSE(matches(jurgen, text_filter("NOTE", "\\,")));
}

TEST(CardFilterMatch, IsNotDefined)
{
    const auto no_tel = R"(<C:prop-filter name="TEL"><C:is-not-defined/></C:prop-filter>)";
    EXPECT_TRUE(matches(jurgen, no_tel));
    EXPECT_FALSE(matches(sophia, no_tel));
    EXPECT_TRUE(matches(sophia, R"(<C:prop-filter name="TEL"/>)"));
    EXPECT_FALSE(matches(jurgen, R"(<C:prop-filter name="TEL"/>)"));
}

TEST(CardFilterMatch, ParamFilters)
{
    const auto type_is = [](std::string_view type) {
        return fmt::format(
            R"(<C:prop-filter name="EMAIL"><C:param-filter name="type"><C:text-match match-type="equals">{}</C:text-match></C:param-filter></C:prop-filter>)",
            type);
    };
    EXPECT_TRUE(matches(jurgen, type_is("PREF")));
    EXPECT_TRUE(matches(jurgen, type_is("work")));
    EXPECT_FALSE(matches(jurgen, type_is("cell")));
    EXPECT_TRUE(matches(sophia, type_is("internet"))); // EMAIL;INTERNET is TYPE=INTERNET

    const auto untyped =
        R"(<C:prop-filter name="EMAIL"><C:param-filter name="TYPE"><C:is-not-defined/></C:param-filter></C:prop-filter>)";
    EXPECT_TRUE(matches(jurgen, untyped)); // item1.EMAIL has no TYPE
    EXPECT_FALSE(matches(sophia, untyped));

    const auto typed = R"(<C:prop-filter name="TEL"><C:param-filter name="TYPE"/></C:prop-filter>)";
    EXPECT_TRUE(matches(sophia, typed));
}

TEST(CardFilterMatch, NegateCondition)
{
    // Some EMAIL of Jürgen is not at work.example; Sophia's only EMAIL is not either.
    EXPECT_TRUE(matches(jurgen, text_filter("EMAIL", "work.example", R"(negate-condition="yes")")));
    EXPECT_FALSE(matches(sophia, text_filter("EMAIL", "example.gr", R"(negate-condition="yes")")));
    const auto not_home =
        R"(<C:prop-filter name="EMAIL"><C:param-filter name="TYPE"><C:text-match negate-condition="yes" match-type="equals">home</C:text-match></C:param-filter></C:prop-filter>)";
    EXPECT_TRUE(matches(jurgen, not_home));
}

TEST(CardFilterMatch, PropFilterAllOfNeedsOneProperty)
{
    // The work EMAIL has TYPE=work but not "home" in its value: no single EMAIL has both.
    const auto both =
        R"(<C:prop-filter name="EMAIL" test="allof"><C:text-match>home</C:text-match><C:param-filter name="TYPE"><C:text-match match-type="equals">work</C:text-match></C:param-filter></C:prop-filter>)";
    EXPECT_FALSE(matches(jurgen, both));
    const auto either =
        R"(<C:prop-filter name="EMAIL" test="anyof"><C:text-match>home</C:text-match><C:param-filter name="TYPE"><C:text-match match-type="equals">work</C:text-match></C:param-filter></C:prop-filter>)";
    EXPECT_TRUE(matches(jurgen, either));
    const auto consistent =
        R"(<C:prop-filter name="EMAIL" test="allof"><C:text-match>home</C:text-match><C:param-filter name="TYPE"><C:text-match match-type="equals">home</C:text-match></C:param-filter></C:prop-filter>)";
    EXPECT_TRUE(matches(jurgen, consistent));
}

TEST(CardFilterMatch, FilterAnyOfAndAllOf)
{
    const auto inner = text_filter("FN", "jürgen") + text_filter("EMAIL", "example.gr");
    EXPECT_TRUE(matches(jurgen, inner));
    EXPECT_TRUE(matches(sophia, inner));
    EXPECT_FALSE(matches(jurgen, inner, R"(test="allof")"));
    EXPECT_FALSE(matches(sophia, inner, R"(test="allof")"));
    const auto both = text_filter("FN", "jürgen") + text_filter("EMAIL", "club");
    EXPECT_TRUE(matches(jurgen, both, R"(test="allof")"));
}

TEST(ResultLimit, ReadsNresults)
{
    const auto limit_of = [](std::string_view inner) {
        return parse_result_limit(xml(fmt::format(
            R"(<C:addressbook-query xmlns:C="urn:ietf:params:xml:ns:carddav">{}</C:addressbook-query>)",
            inner)));
    };
    const std::pair<std::string_view, std::optional<std::size_t>> cases[] = {
        {"", std::nullopt},
        {"<C:limit><C:nresults>2</C:nresults></C:limit>", 2},
        {"<C:limit><C:nresults> 7\n</C:nresults></C:limit>", 7},
        {"<C:limit><C:nresults>99999999999999999999999</C:nresults></C:limit>",
         std::numeric_limits<std::size_t>::max()},
    };
    for (const auto& [inner, expected] : cases) {
        const auto parsed = limit_of(inner);
        ASSERT_TRUE(parsed) << inner;
        EXPECT_EQ(*parsed, expected) << inner;
    }
    for (const auto* bad : {"<C:limit/>", "<C:limit><C:nresults>-1</C:nresults></C:limit>",
                            "<C:limit><C:nresults>two</C:nresults></C:limit>",
                            "<C:limit><C:nresults></C:nresults></C:limit>"}) {
        const auto parsed = limit_of(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_FALSE(parsed.error().precondition) << bad;
    }
}

tl::expected<AddressDataRequest, QueryError> data_request(std::string_view address_data)
{
    return parse_address_data_request(xml(fmt::format(
        R"(<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>{}</D:prop></C:addressbook-multiget>)",
        address_data)));
}

TEST(AddressData, ParsesSelection)
{
    const auto request = data_request(
        R"(<C:address-data><C:prop name="email"/><C:prop name="item1.X-ABLabel" novalue="yes"/></C:address-data>)");
    ASSERT_TRUE(request);
    EXPECT_FALSE(request->version);
    ASSERT_EQ(request->properties.size(), 2U);
    EXPECT_EQ(request->properties[0].name, "EMAIL");
    EXPECT_FALSE(request->properties[0].no_value);
    EXPECT_EQ(request->properties[1].group, "ITEM1");
    EXPECT_EQ(request->properties[1].name, "X-ABLABEL");
    EXPECT_TRUE(request->properties[1].no_value);
}

TEST(AddressData, RejectsUnsupportedTypes)
{
    for (const auto* bad : {R"(<C:address-data content-type="application/vcard+json"/>)",
                            R"(<C:address-data version="2.1"/>)"}) {
        const auto request = data_request(bad);
        ASSERT_FALSE(request) << bad;
        ASSERT_TRUE(request.error().precondition) << bad;
        EXPECT_EQ(request.error().precondition->local, "supported-address-data") << bad;
    }
    const auto nameless = data_request(R"(<C:address-data><C:prop/></C:address-data>)");
    ASSERT_FALSE(nameless);
    EXPECT_FALSE(nameless.error().precondition);
    EXPECT_TRUE(data_request(
        R"(<C:address-data content-type="text/vcard; charset=utf-8" version="4.0"/>)"));
}

TEST(AddressData, WithoutOptionsReturnsStoredBytes)
{
    const auto text = address_data_text(std::string(jurgen), AddressDataRequest{}, "j.vcf");
    ASSERT_TRUE(text) << text.error();
    EXPECT_EQ(*text, jurgen);
}

TEST(AddressData, SelectsPropertiesWithVersionAndUid)
{
    AddressDataRequest request;
    request.properties = {{"", "EMAIL", false}, {"ITEM1", "X-ABLABEL", true}};
    const auto text = address_data_text(std::string(jurgen), request, "j.vcf");
    ASSERT_TRUE(text) << text.error();
    EXPECT_EQ(*text, "BEGIN:VCARD\r\n"
                     "VERSION:4.0\r\n"
                     "UID:urn:uuid:jurgen\r\n"
                     "EMAIL;TYPE=work:jurgen@work.example\r\n"
                     "EMAIL;TYPE=home,pref:jurgen@home.example\r\n"
                     "item1.EMAIL:j.gross@club.example\r\n"
                     "item1.X-ABLABEL:\r\n"
                     "END:VCARD\r\n");
}

TEST(AddressData, GroupedSelectionTakesThatGroupOnly)
{
    AddressDataRequest request;
    request.properties = {{"ITEM1", "EMAIL", false}};
    const auto text = address_data_text(std::string(jurgen), request, "j.vcf");
    ASSERT_TRUE(text) << text.error();
    EXPECT_NE(text->find("item1.EMAIL:j.gross@club.example"), std::string::npos);
    EXPECT_EQ(text->find("jurgen@work.example"), std::string::npos);
}

TEST(AddressData, ConvertsToTheRequestedVersion)
{
    AddressDataRequest request;
    request.version = "4.0";
    request.properties = {{"", "FN", false}};
    const auto text = address_data_text(std::string(sophia), request, "s.vcf");
    ASSERT_TRUE(text) << text.error();
    EXPECT_EQ(*text, "BEGIN:VCARD\r\n"
                     "VERSION:4.0\r\n"
                     "UID:sophia\r\n"
                     "FN:ΣΟΦΊΑ Παπαδοπούλου\r\n"
                     "END:VCARD\r\n");
}

TEST(AddressData, ReportsAFailedConversion)
{
    AddressDataRequest request;
    request.version = "3.0";
    const auto text = address_data_text("not a vCard", request, "broken.vcf");
    EXPECT_FALSE(text);
}

} // namespace
} // namespace robur::caldav
