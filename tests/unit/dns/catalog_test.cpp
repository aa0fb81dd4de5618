// The catalog zone (RFC 9432) of the zones a primary serves.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/zone/record.hpp"
#include "servers/dns/catalog.hpp"

namespace robur::dns {
namespace {

zone::Name name(std::string_view text)
{
    return *zone::Name::parse(text);
}

std::vector<std::string> record_texts(const zone::Zone& zone)
{
    std::vector<std::string> texts;
    for (const auto& record : zone.records) {
        texts.push_back(zone::record_to_string(record));
    }
    return texts;
}

TEST(CatalogZone, ListsEveryMemberWithVersionTwo)
{
    auto catalog = build_catalog_zone(name("catalog.invalid."),
                                      {name("example.com."), name("example.org.")}, 7);
    ASSERT_TRUE(catalog) << catalog.error().message;
    const auto texts = record_texts(*catalog);
    ASSERT_EQ(texts.size(), 5U);
    EXPECT_EQ(catalog->serial(), 7U);
    EXPECT_EQ(texts[1], "catalog.invalid.\t0\tIN\tNS\tinvalid.");
    EXPECT_EQ(texts[2], "version.catalog.invalid.\t0\tIN\tTXT\t\"2\"");
    EXPECT_EQ(texts[3], fmt::format("{}.zones.catalog.invalid.\t0\tIN\tPTR\texample.com.",
                                    catalog_member_id(name("example.com."))));
}

TEST(CatalogZone, MemberIdIgnoresCaseAndIsStable)
{
    const auto id = catalog_member_id(name("Example.COM."));
    EXPECT_EQ(id, catalog_member_id(name("example.com.")));
    EXPECT_EQ(id.size(), 16U);
    EXPECT_NE(id, catalog_member_id(name("example.org.")));
}

TEST(CatalogZone, LeavesOutItselfAndZonesBelowIt)
{
    auto catalog = build_catalog_zone(name("catalog.example."),
                                      {name("catalog.example."), name("a.catalog.example.")}, 1);
    ASSERT_TRUE(catalog);
    EXPECT_EQ(catalog->records.size(), 3U);
}

TEST(CatalogSerial, ChangesOnlyWithTheMemberList)
{
    CatalogSerial serial;
    const std::vector<zone::Name> one{name("example.com.")};
    const std::vector<zone::Name> two{name("example.org."), name("example.com.")};
    EXPECT_EQ(serial.next(one, 1000), 1000U);
    EXPECT_EQ(serial.next(one, 2000), 1000U);
    EXPECT_EQ(serial.next(two, 3000), 3000U);
    EXPECT_EQ(serial.next({name("example.com."), name("example.org.")}, 4000), 3000U);
    EXPECT_EQ(serial.next(one, 3000), 3001U);
}

} // namespace
} // namespace robur::dns
