#include <string>
#include <unordered_set>

#include <gtest/gtest.h>

#include "formats/zone/name.hpp"

namespace robur::zone {
namespace {

Name name(std::string_view text)
{
    return Name::parse(text).value();
}

TEST(Name, ParsesAbsoluteName)
{
    const auto parsed = Name::parse("www.example.com.");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->label_count(), 3U);
    EXPECT_EQ(parsed->label(0), "www");
    EXPECT_EQ(parsed->wire_length(), 17U);
    EXPECT_EQ(parsed->to_string(), "www.example.com.");
}

TEST(Name, CompletesRelativeNameWithOrigin)
{
    const auto parsed = Name::parse("www", name("example.com."));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->to_string(), "www.example.com.");
}

TEST(Name, AtSignIsTheOrigin)
{
    EXPECT_EQ(Name::parse("@", name("example.com.")).value(), name("example.com."));
}

TEST(Name, RootName)
{
    EXPECT_TRUE(name(".").is_root());
    EXPECT_EQ(name(".").to_string(), ".");
    EXPECT_EQ(Name().wire_length(), 1U);
}

TEST(Name, RejectsRelativeNameWithoutOrigin)
{
    const auto parsed = Name::parse("www");
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("relative"), std::string::npos);
}

TEST(Name, EscapedDotStaysInLabel)
{
    const auto parsed = Name::parse("Action\\.domains.ISI.EDU.");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->label_count(), 3U);
    EXPECT_EQ(parsed->label(0), "Action.domains");
    EXPECT_EQ(parsed->to_string(), "Action\\.domains.ISI.EDU.");
}

TEST(Name, DecimalEscapeIsOneOctet)
{
    const auto parsed = Name::parse("a\\046b\\032c.");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->label(0), "a.b c");
    EXPECT_EQ(parsed->to_string(), "a\\.b\\032c.");
}

TEST(Name, RejectsMalformedEscapes)
{
    EXPECT_FALSE(Name::parse("a\\25.")) << "two digits";
    EXPECT_FALSE(Name::parse("a\\256.")) << "above 255";
    EXPECT_FALSE(Name::parse("a\\")) << "lone backslash";
}

TEST(Name, RejectsEmptyLabel)
{
    EXPECT_FALSE(Name::parse("a..b."));
    EXPECT_FALSE(Name::parse(".a."));
    EXPECT_FALSE(Name::parse(""));
}

TEST(Name, RejectsLabelAbove63Octets)
{
    EXPECT_TRUE(Name::parse(std::string(63, 'a') + "."));
    const auto parsed = Name::parse(std::string(64, 'a') + ".");
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("63 octets"), std::string::npos);
}

TEST(Name, RejectsNameAbove255Octets)
{
    // Four 62-octet labels and one 1-octet label: 4 * 63 + 2 + 1 = 255 octets in wire form.
    const std::string label(62, 'a');
    const std::string at_limit = label + "." + label + "." + label + "." + label + ".b.";
    ASSERT_TRUE(Name::parse(at_limit));
    EXPECT_EQ(Name::parse(at_limit)->wire_length(), 255U);
    const auto parsed = Name::parse(label + "." + label + "." + label + "." + label + ".bc.");
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("255 octets"), std::string::npos);
}

TEST(Name, RejectsRelativeNameTooLongWithOrigin)
{
    const Name origin = name(std::string(63, 'o') + "." + std::string(63, 'o') + ".");
    const std::string label(63, 'a');
    EXPECT_FALSE(Name::parse(label + "." + label, origin));
}

TEST(Name, FromWireRoundTrips)
{
    const Name original = name("www.example.com.");
    const auto copy = Name::from_wire(original.wire());
    ASSERT_TRUE(copy);
    EXPECT_EQ(*copy, original);
}

TEST(Name, FromWireRejectsMalformedInput)
{
    const std::uint8_t truncated[] = {3, 'w', 'w'};
    const std::uint8_t compressed[] = {0xc0, 0x0c};
    const std::uint8_t trailing[] = {0, 0};
    EXPECT_FALSE(Name::from_wire(truncated));
    EXPECT_FALSE(Name::from_wire(compressed));
    EXPECT_FALSE(Name::from_wire(trailing));
}

TEST(Name, EqualityIgnoresCase)
{
    EXPECT_EQ(name("WWW.Example.COM."), name("www.example.com."));
    EXPECT_EQ(NameHash{}(name("WWW.Example.COM.")), NameHash{}(name("www.example.com.")));
    EXPECT_NE(name("www.example.com."), name("www.example.net."));
}

TEST(Name, KeepsCaseAsWritten)
{
    EXPECT_EQ(name("WWW.Example.").to_string(), "WWW.Example.");
    EXPECT_EQ(name("WWW.Example.").lowercase().to_string(), "www.example.");
}

TEST(Name, CanonicalOrderFollowsRfc4034)
{
    // The example order of RFC 4034 section 6.1.
    const std::vector<std::string> ordered = {
        "example.",         "a.example.",      "yljkjljk.a.example.",
        "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
        "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
    for (std::size_t i = 0; i + 1 < ordered.size(); ++i) {
        EXPECT_LT(name(ordered[i]), name(ordered[i + 1])) << ordered[i] << " < " << ordered[i + 1];
    }
}

TEST(Name, SubdomainParentAndSuffix)
{
    const Name www = name("www.example.com.");
    EXPECT_TRUE(www.is_subdomain_of(name("EXAMPLE.com.")));
    EXPECT_TRUE(www.is_subdomain_of(name(".")));
    EXPECT_TRUE(www.is_subdomain_of(www));
    EXPECT_FALSE(www.is_subdomain_of(name("ww.example.com.")));
    EXPECT_EQ(www.parent(), name("example.com."));
    EXPECT_EQ(name(".").parent(), name("."));
    EXPECT_EQ(www.suffix(1), name("com."));
    EXPECT_EQ(www.suffix(0), name("."));
    EXPECT_EQ(www.suffix(5), www);
}

TEST(Name, PrependAndWildcard)
{
    const auto wildcard = name("example.com.").prepend("*");
    ASSERT_TRUE(wildcard);
    EXPECT_TRUE(wildcard->is_wildcard());
    EXPECT_FALSE(name("www.example.com.").is_wildcard());
    EXPECT_FALSE(name("example.com.").prepend(std::string(64, 'a')));
}

TEST(Name, ReplaceSuffixAsDname)
{
    const auto replaced =
        name("a.b.old.example.").replace_suffix(name("old.example."), name("new.test."));
    ASSERT_TRUE(replaced);
    EXPECT_EQ(replaced->to_string(), "a.b.new.test.");
    EXPECT_FALSE(name("a.other.").replace_suffix(name("old.example."), name("new.test.")));
    const Name long_target =
        name(std::string(63, 'x') + "." + std::string(63, 'x') + "." + std::string(63, 'x') + ".");
    EXPECT_FALSE(name(std::string(63, 'a') + ".old.").replace_suffix(name("old."), long_target));
}

TEST(Name, ToStringRelative)
{
    const Name origin = name("example.com.");
    EXPECT_EQ(origin.to_string_relative(origin), "@");
    EXPECT_EQ(name("a.b.example.com.").to_string_relative(origin), "a.b");
    EXPECT_EQ(name("example.net.").to_string_relative(origin), "example.net.");
}

TEST(Name, EscapesSpecialCharactersOnOutput)
{
    const auto parsed = Name::parse("a\\\"b\\;c\\(\\)\\@\\$\\\\.");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->label(0), "a\"b;c()@$\\");
    EXPECT_EQ(Name::parse(parsed->to_string()).value().label(0), parsed->label(0));
}

} // namespace
} // namespace robur::zone
