// Access settings of robur.conf: who may transfer, update and notify which zones.

#include <gtest/gtest.h>

#include "servers/dns/access.hpp"
#include "store/config.hpp"

namespace robur::dns {
namespace {

zone::Name name(std::string_view text)
{
    return *zone::Name::parse(text);
}

asio::ip::address address(std::string_view text)
{
    return asio::ip::make_address(std::string(text));
}

AccessPolicy policy(std::string_view text)
{
    auto config = store::Config::parse(text, "robur.conf");
    EXPECT_TRUE(config) << config.error().message;
    auto parsed = AccessPolicy::from_config(*config);
    EXPECT_TRUE(parsed) << parsed.error().message;
    return *parsed;
}

tsig::KeyEntry key(std::string_view key_name)
{
    tsig::KeyEntry entry;
    entry.key.name = name(key_name);
    entry.role = tsig::role_from_name(entry.key.name);
    return entry;
}

TEST(AccessRule, ParsesAddressesPrefixesAndKeys)
{
    auto single = parse_access_rule("192.0.2.1");
    ASSERT_TRUE(single);
    EXPECT_TRUE(single->matches(address("192.0.2.1")));
    EXPECT_FALSE(single->matches(address("192.0.2.2")));

    auto prefix = parse_access_rule("2001:db8::/32");
    ASSERT_TRUE(prefix);
    EXPECT_TRUE(prefix->matches(address("2001:db8:1::5")));
    EXPECT_FALSE(prefix->matches(address("2001:db9::5")));
    EXPECT_FALSE(prefix->matches(address("192.0.2.1")));

    auto named = parse_access_rule("key Transfer.Example.");
    ASSERT_TRUE(named);
    ASSERT_TRUE(named->key);
    EXPECT_EQ(*named->key, name("transfer.example."));
    EXPECT_FALSE(named->matches(address("192.0.2.1")));
}

TEST(AccessRule, MatchesIpv4MappedClients)
{
    auto rule = parse_access_rule("127.0.0.0/8");
    ASSERT_TRUE(rule);
    EXPECT_TRUE(rule->matches(address("::ffff:127.0.0.1")));
}

TEST(AccessRule, RejectsHostNamesAndBadPrefixes)
{
    for (std::string_view text : {"ns1.example.com", "192.0.2.1/33", "192.0.2.1/", "::1/129",
                                  "192.0.2.1/x", "key "}) {
        EXPECT_FALSE(parse_access_rule(text)) << text;
    }
}

TEST(AccessPolicy, RefusesEverythingByDefault)
{
    const auto empty = policy("[dns]\n\tlisten = 127.0.0.1:53\n");
    for (auto operation :
         {tsig::Operation::notify, tsig::Operation::transfer, tsig::Operation::update}) {
        EXPECT_FALSE(empty.allows(operation, name("example.com."), address("127.0.0.1"), nullptr));
    }
}

TEST(AccessPolicy, KeyNameGrantsItsRoleForItsZoneAndBelow)
{
    const auto empty = policy("");
    const auto update = key("host1._update.example.com.");
    EXPECT_TRUE(empty.allows(tsig::Operation::update, name("example.com."), address("::1"),
                             &update));
    EXPECT_TRUE(empty.allows(tsig::Operation::transfer, name("sub.example.com."),
                             address("::1"), &update));
    EXPECT_FALSE(empty.allows(tsig::Operation::update, name("example.org."), address("::1"),
                              &update));

    const auto notify = key("n._notify.example.com.");
    EXPECT_TRUE(
        empty.allows(tsig::Operation::notify, name("example.com."), address("::1"), &notify));
    EXPECT_FALSE(
        empty.allows(tsig::Operation::transfer, name("example.com."), address("::1"), &notify));
}

TEST(AccessPolicy, ConfiguredKeyAndAddressRulesApplyToTheirZone)
{
    const auto configured = policy(R"([dns]
	allow-notify = 127.0.0.1
[zone "example.com"]
	allow-transfer = 192.0.2.0/24
	allow-update = key deploy.
)");
    const auto deploy = key("deploy.");
    EXPECT_TRUE(configured.allows(tsig::Operation::update, name("www.example.com."),
                                  address("198.51.100.1"), &deploy));
    EXPECT_FALSE(configured.allows(tsig::Operation::update, name("example.org."),
                                   address("198.51.100.1"), &deploy));
    EXPECT_TRUE(configured.allows(tsig::Operation::transfer, name("example.com."),
                                  address("192.0.2.7"), nullptr));
    EXPECT_FALSE(configured.allows(tsig::Operation::update, name("example.com."),
                                   address("192.0.2.7"), nullptr));
    EXPECT_TRUE(configured.allows(tsig::Operation::notify, name("example.org."),
                                  address("127.0.0.1"), nullptr));
    EXPECT_FALSE(configured.allows(tsig::Operation::transfer, name("example.org."),
                                   address("127.0.0.1"), nullptr));
}

TEST(AccessPolicy, ReadsSerialPolicyAndAlsoNotify)
{
    const auto configured = policy(R"([dns]
	serial = auto
[zone "example.org"]
	serial = manual
	also-notify = 127.0.0.1:5301
	also-notify = [::1]:5302 key t._transfer.example.org
)");
    EXPECT_TRUE(configured.serial_auto(name("example.com.")));
    EXPECT_FALSE(configured.serial_auto(name("example.org.")));
    EXPECT_EQ(configured.also_notify(name("Example.Org.")).size(), 2U);
    EXPECT_TRUE(configured.also_notify(name("example.com.")).empty());
}

TEST(AccessPolicy, ReadsNotifyMode)
{
    const auto configured = policy(R"([dns]
	notify = explicit
[zone "example.org"]
	notify = no
)");
    EXPECT_EQ(configured.notify_mode(name("example.com.")), NotifyMode::explicit_only);
    EXPECT_EQ(configured.notify_mode(name("sub.example.org.")), NotifyMode::no);
    EXPECT_EQ(policy("").notify_mode(name("example.com.")), NotifyMode::yes);

    auto bad = store::Config::parse("[dns]\n\tnotify = sometimes\n", "robur.conf");
    ASSERT_TRUE(bad);
    EXPECT_FALSE(AccessPolicy::from_config(*bad));
}

TEST(AccessPolicy, ReportsTheKeyAndValueOfABadSetting)
{
    auto config = store::Config::parse("[zone \"example.com\"]\n\tallow-update = nobody\n",
                                       "robur.conf");
    ASSERT_TRUE(config);
    auto parsed = AccessPolicy::from_config(*config);
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("robur.conf"), std::string::npos);
    EXPECT_NE(parsed.error().message.find("allow-update"), std::string::npos);
    EXPECT_NE(parsed.error().message.find("nobody"), std::string::npos);

    auto serial = store::Config::parse("[dns]\n\tserial = sometimes\n", "robur.conf");
    ASSERT_TRUE(serial);
    EXPECT_FALSE(AccessPolicy::from_config(*serial));

    auto notify = store::Config::parse("[zone \"example.com\"]\n\talso-notify = ns2:53\n",
                                       "robur.conf");
    ASSERT_TRUE(notify);
    auto bad_notify = AccessPolicy::from_config(*notify);
    ASSERT_FALSE(bad_notify);
    EXPECT_NE(bad_notify.error().message.find("also-notify"), std::string::npos);
}

} // namespace
} // namespace robur::dns
