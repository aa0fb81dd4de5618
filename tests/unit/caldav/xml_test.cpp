#include <gtest/gtest.h>

#include "servers/caldav/multistatus.hpp"
#include "servers/caldav/xml.hpp"

namespace robur::caldav {
namespace {

TEST(XmlParser, ResolvesNamespaces)
{
    auto root = parse_xml(R"(<?xml version="1.0"?>
<D:propfind xmlns:D="DAV:" xmlns="http://example.com/ns/"><D:prop><color/><D:getetag/></D:prop></D:propfind>)");
    ASSERT_TRUE(root) << root.error().message;
    EXPECT_TRUE(root->is("DAV:", "propfind"));
    const auto* prop = root->child("DAV:", "prop");
    ASSERT_NE(prop, nullptr);
    const auto elements = prop->elements();
    ASSERT_EQ(elements.size(), 2U);
    EXPECT_EQ(elements[0]->name, (XmlName{"http://example.com/ns/", "color"}));
    EXPECT_EQ(elements[1]->name, (XmlName{"DAV:", "getetag"}));
}

TEST(XmlParser, RejectsDoctypeAndEntities)
{
    auto internal = parse_xml(R"(<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>
<D:propfind xmlns:D="DAV:"><D:prop>&b;</D:prop></D:propfind>)");
    EXPECT_FALSE(internal);
    auto external = parse_xml(R"(<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<D:propfind xmlns:D="DAV:">&x;</D:propfind>)");
    ASSERT_FALSE(external);
    EXPECT_EQ(external.error().code, Errc::invalid_argument);
}

TEST(XmlParser, RejectsMalformedXmlWithLine)
{
    auto result = parse_xml("<a xmlns=\"DAV:\">\n<b></a>");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("line 2"), std::string::npos) << result.error().message;
}

TEST(XmlParser, RejectsUndeclaredPrefix)
{
    EXPECT_FALSE(parse_xml("<D:propfind><D:prop/></D:propfind>"));
}

TEST(XmlParser, EnforcesLimits)
{
    std::string deep;
    for (int i = 0; i < 100; ++i) {
        deep += "<a>";
    }
    for (int i = 0; i < 100; ++i) {
        deep += "</a>";
    }
    EXPECT_FALSE(parse_xml(deep, XmlLimits{.max_size = 1 << 20, .max_depth = 64}));
    EXPECT_TRUE(parse_xml(deep, XmlLimits{.max_size = 1 << 20, .max_depth = 128}));
    EXPECT_FALSE(parse_xml(deep, XmlLimits{.max_size = 100}));
    EXPECT_FALSE(
        parse_xml(deep, XmlLimits{.max_size = 1 << 20, .max_depth = 128, .max_elements = 50}));
}

TEST(XmlSerializer, KeepsNamespacesOfNestedValues)
{
    auto root = parse_xml(R"(<x:v xmlns:x="urn:a"><y:w xmlns:y="urn:b">t &amp; &lt;</y:w><z/></x:v>)");
    ASSERT_TRUE(root);
    const auto text = serialize_xml(*root);
    EXPECT_EQ(text, R"(<v xmlns="urn:a"><w xmlns="urn:b">t &amp; &lt;</w><z xmlns=""/></v>)");
    auto again = parse_xml(text);
    ASSERT_TRUE(again);
    EXPECT_EQ(serialize_xml(*again), text);
}

TEST(Multistatus, GroupsPropertiesByStatus)
{
    Multistatus multistatus;
    multistatus.add_properties("/alice/files/a b", {{{"DAV:", "getetag"}, "\"x\"", 200, {}},
                                                    {{"urn:other", "p"}, {}, 404, {}}});
    const auto body = multistatus.finish();
    EXPECT_NE(body.find("<D:href>/alice/files/a b</D:href>"), std::string::npos);
    EXPECT_NE(body.find("<D:getetag>\"x\"</D:getetag>"), std::string::npos);
    EXPECT_NE(body.find("<p xmlns=\"urn:other\"/>"), std::string::npos);
    EXPECT_NE(body.find("HTTP/1.1 404 Not Found"), std::string::npos);
    EXPECT_TRUE(parse_xml(body));
}

} // namespace
} // namespace robur::caldav
