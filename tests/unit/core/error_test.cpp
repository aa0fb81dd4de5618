#include <gtest/gtest.h>

#include "core/diagnostic.hpp"
#include "core/error.hpp"

namespace robur {
namespace {

TEST(SourceLocation, FormatsKnownParts)
{
    EXPECT_EQ((SourceLocation{"zones/a.zone", 12, 3}).to_string(), "zones/a.zone:12:3");
    EXPECT_EQ((SourceLocation{"zones/a.zone", 12, 0}).to_string(), "zones/a.zone:12");
    EXPECT_EQ((SourceLocation{"zones/a.zone", 0, 0}).to_string(), "zones/a.zone");
}

TEST(Diagnostic, FormatsLikeACompiler)
{
    const Diagnostic diagnostic{Severity::warning, {"z.zone", 4, 0}, "duplicate record"};
    EXPECT_EQ(diagnostic.to_string(), "z.zone:4: warning: duplicate record");
}

TEST(Diagnostic, HasErrorsIgnoresWarnings)
{
    std::vector<Diagnostic> list{{Severity::warning, {}, "w"}};
    EXPECT_FALSE(has_errors(list));
    list.push_back({Severity::error, {}, "e"});
    EXPECT_TRUE(has_errors(list));
}

TEST(Error, PrefixesLocation)
{
    const Error error{Errc::parse_error, "bad TTL", SourceLocation{"f", 2, 0}};
    EXPECT_EQ(error.to_string(), "f:2: bad TTL");
}

} // namespace
} // namespace robur
