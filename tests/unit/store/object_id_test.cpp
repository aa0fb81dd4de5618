#include <unordered_set>

#include <gtest/gtest.h>

#include "store/object_id.hpp"

namespace robur::store {
namespace {

TEST(ObjectId, RoundTripsHex)
{
    const std::string hex = "0123456789abcdef0123456789abcdef01234567";
    auto id = ObjectId::from_hex(hex);
    ASSERT_TRUE(id);
    EXPECT_EQ(id->to_string(), hex);
    EXPECT_EQ(id->short_string(), "0123456");
    EXPECT_EQ(id->short_string(100), hex);
    EXPECT_FALSE(id->is_zero());
}

TEST(ObjectId, AcceptsUppercase)
{
    auto id = ObjectId::from_hex("ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->to_string(), "abcdefabcdefabcdefabcdefabcdefabcdefabcd");
}

TEST(ObjectId, RejectsBadHex)
{
    EXPECT_FALSE(ObjectId::from_hex(""));
    EXPECT_FALSE(ObjectId::from_hex("0123"));
    EXPECT_FALSE(ObjectId::from_hex("g123456789abcdef0123456789abcdef01234567"));
    EXPECT_FALSE(ObjectId::from_hex("0123456789abcdef0123456789abcdef012345678"));
}

TEST(ObjectId, ComparesAndHashes)
{
    const auto low = *ObjectId::from_hex("0000000000000000000000000000000000000001");
    const auto high = *ObjectId::from_hex("1000000000000000000000000000000000000000");
    EXPECT_LT(low, high);
    EXPECT_EQ(low, *ObjectId::from_hex("0000000000000000000000000000000000000001"));
    EXPECT_TRUE(ObjectId().is_zero());

    std::unordered_set<ObjectId> set{low, high, low};
    EXPECT_EQ(set.size(), 2U);
}

} // namespace
} // namespace robur::store
