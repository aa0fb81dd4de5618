#include "formats/icalendar/resource_name.hpp"

#include <gtest/gtest.h>

namespace robur::icalendar {
namespace {

TEST(ResourceName, KeepsSafeBytes)
{
    EXPECT_EQ(resource_name_for_uid("abc@example.com", ".ics"), "abc@example.com.ics");
    EXPECT_EQ(resource_name_for_uid("A-z_0.9+x=y", ".vcf"), "A-z_0.9+x=y.vcf");
}

TEST(ResourceName, EscapesPathTraversal)
{
    EXPECT_EQ(resource_name_for_uid("../x", ".ics"), "%2E.%2Fx.ics");
    EXPECT_EQ(resource_name_for_uid(".hidden", ".ics"), "%2Ehidden.ics");
    EXPECT_EQ(resource_name_for_uid("a/b\\c", ".ics"), "a%2Fb%5Cc.ics");
}

TEST(ResourceName, EscapesPercentSpaceAndNonAscii)
{
    EXPECT_EQ(resource_name_for_uid("100%", ".ics"), "100%25.ics");
    EXPECT_EQ(resource_name_for_uid("a b", ".ics"), "a%20b.ics");
    EXPECT_EQ(resource_name_for_uid("\xc3\xa9", ".ics"), "%C3%A9.ics");
    EXPECT_EQ(resource_name_for_uid(std::string_view("a\0b", 3), ".ics"), "a%00b.ics");
}

TEST(ResourceName, RoundTripsEveryByte)
{
    std::string uid;
    for (int byte = 0; byte < 64; ++byte) {
        uid += static_cast<char>(byte * 4 + 1);
    }
    auto name = resource_name_for_uid(uid, ".ics");
    ASSERT_LE(name.size(), max_resource_name_length);
    auto back = uid_for_resource_name(name);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, uid);
}

TEST(ResourceName, RoundTripsTypicalUids)
{
    for (std::string uid : {"040000008200E00074C5B7101A82E00800000000", "../../etc/passwd",
                            "{6C2F3A1B-0000-4000-8000-1234}", ".", "%2E", "x.ics"}) {
        auto back = uid_for_resource_name(resource_name_for_uid(uid, ".ics"));
        ASSERT_TRUE(back.has_value()) << uid;
        EXPECT_EQ(*back, uid);
    }
}

TEST(ResourceName, HashesLongUids)
{
    std::string uid(300, 'a');
    auto name = resource_name_for_uid(uid, ".ics");
    EXPECT_EQ(name.size(), 4 + 64 + 4);
    EXPECT_EQ(name.substr(0, 4), "uid-");
    EXPECT_EQ(name.substr(name.size() - 4), ".ics");
    EXPECT_FALSE(uid_for_resource_name(name).has_value());
}

TEST(ResourceName, HashesWhenEscapingMakesNameLong)
{
    std::string uid(70, '/'); // 70 bytes, 210 once escaped
    auto name = resource_name_for_uid(uid, ".ics");
    EXPECT_EQ(name.substr(0, 4), "uid-");
    EXPECT_EQ(resource_name_for_uid(std::string(195, 'b'), ".ics").size(), 199U);
}

TEST(ResourceName, RejectsNamesTheEncoderCannotProduce)
{
    EXPECT_FALSE(uid_for_resource_name("a%2fb.ics").has_value()); // lower-case escape
    EXPECT_FALSE(uid_for_resource_name("a%41.ics").has_value());  // 'A' needs no escape
    EXPECT_FALSE(uid_for_resource_name("a%4.ics").has_value());
    EXPECT_FALSE(uid_for_resource_name("a b.ics").has_value());
    EXPECT_FALSE(uid_for_resource_name(".hidden.ics").has_value());
    EXPECT_FALSE(uid_for_resource_name("noextension").has_value());
}

} // namespace
} // namespace robur::icalendar
