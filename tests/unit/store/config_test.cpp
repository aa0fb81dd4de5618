#include <gtest/gtest.h>

#include "store/config.hpp"
#include "store/repository.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::store {
namespace {

using testing::commit_files;
using testing::git_init;
using testing::TempDir;

constexpr std::string_view sample = R"(# robur configuration
[dns]
	listen = 127.0.0.1:5300
	listen = [::1]:5300
	threads = 2k
	notify
[zone "example.com"]
	also-notify = 192.0.2.1
	also-notify = 192.0.2.2 ; second secondary
[Zone "Example.ORG"]
	Notify = off
	comment = "quoted ; value"
)";

Config parse_sample()
{
    auto config = Config::parse(sample, "robur.conf");
    EXPECT_TRUE(config) << config.error().to_string();
    return *config;
}

TEST(Config, ReadsEntriesInFileOrder)
{
    const Config config = parse_sample();
    ASSERT_EQ(config.entries().size(), 8U);
    EXPECT_EQ(config.entries()[0].name, "dns.listen");
    EXPECT_EQ(config.entries()[4].name, "zone.example.com.also-notify");
    EXPECT_EQ(config.entries()[6].name, "zone.Example.ORG.notify");
    EXPECT_FALSE(config.entries()[3].value);
    EXPECT_EQ(config.path(), "robur.conf");
}

TEST(Config, ReturnsLastAndAllValues)
{
    const Config config = parse_sample();
    EXPECT_EQ(*config.get_string("dns.listen"), "[::1]:5300");
    EXPECT_EQ(*config.get_all("DNS.Listen"),
              (std::vector<std::string>{"127.0.0.1:5300", "[::1]:5300"}));
    EXPECT_EQ(*config.get_all("zone.example.com.also-notify"),
              (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
    EXPECT_EQ(*config.get_string("zone.Example.ORG.comment"), "quoted ; value");
    EXPECT_TRUE(config.get_all("dns.missing")->empty());
    EXPECT_FALSE(*config.get_string("dns.missing"));
    EXPECT_TRUE(config.contains("dns.notify"));
    EXPECT_FALSE(config.contains("zone.example.org.notify"));
}

TEST(Config, ParsesIntegersAndBooleans)
{
    const Config config = parse_sample();
    EXPECT_EQ(*config.get_int("dns.threads"), 2048);
    EXPECT_EQ(*config.get_bool("dns.notify"), true);
    EXPECT_EQ(*config.get_bool("zone.Example.ORG.notify"), false);
    EXPECT_FALSE(*config.get_int("dns.missing"));
    EXPECT_FALSE(*config.get_bool("dns.missing"));
}

TEST(Config, RejectsBadValues)
{
    const Config config = parse_sample();

    auto integer = config.get_int("dns.listen");
    ASSERT_FALSE(integer);
    EXPECT_EQ(integer.error().code, Errc::invalid_argument);
    EXPECT_EQ(integer.error().to_string(),
              "robur.conf: dns.listen: invalid integer '[::1]:5300'");

    auto boolean = config.get_bool("zone.example.com.also-notify");
    ASSERT_FALSE(boolean);
    EXPECT_EQ(boolean.error().code, Errc::invalid_argument);

    auto implicit = config.get_string("dns.notify");
    ASSERT_FALSE(implicit);
    EXPECT_EQ(implicit.error().to_string(), "robur.conf: dns.notify: missing value");
}

TEST(Config, ListsSubsections)
{
    const Config config = parse_sample();
    EXPECT_EQ(config.subsections("zone"),
              (std::vector<std::string>{"example.com", "Example.ORG"}));
    EXPECT_TRUE(config.subsections("dns").empty());
    EXPECT_TRUE(config.subsections("key").empty());
}

TEST(Config, ReportsParseErrorLine)
{
    auto config = Config::parse("[dns]\n\tlisten = 1\n[zone \"x\"\n\tnotify = yes\n", "robur.conf");
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().code, Errc::parse_error);
    ASSERT_TRUE(config.error().where);
    EXPECT_EQ(config.error().where->path, "robur.conf");
    EXPECT_EQ(config.error().where->line, 3U);
    EXPECT_EQ(config.error().message.find("/tmp"), std::string::npos) << config.error().message;
}

TEST(Config, ReportsInvalidKeyLine)
{
    auto config = Config::parse("[dns]\n\tlisten = 1\n\t= 2\n", "conf/robur.conf");
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().code, Errc::parse_error);
    EXPECT_EQ(config.error().to_string().rfind("conf/robur.conf:3: ", 0), 0U)
        << config.error().to_string();
}

TEST(Config, RejectsIncludes)
{
    for (const std::string text :
         {"[include]\n\tpath = /etc/hostname\n", "[dns]\nx = 1\n  [ Include ] path = /etc/x\n",
          "[includeIf \"gitdir:/\"]\n\tpath = /etc/hostname\n"}) {
        auto config = Config::parse(text, "robur.conf");
        ASSERT_FALSE(config) << text;
        EXPECT_EQ(config.error().code, Errc::parse_error) << text;
        EXPECT_NE(config.error().message.find("include"), std::string::npos);
    }
}

TEST(Config, AcceptsCrlfAndMissingFinalNewline)
{
    auto config = Config::parse("[dns]\r\n\tlisten = 127.0.0.1:53\r\n\tthreads = 4", "robur.conf");
    ASSERT_TRUE(config) << config.error().to_string();
    EXPECT_EQ(*config->get_string("dns.listen"), "127.0.0.1:53");
    EXPECT_EQ(*config->get_int("dns.threads"), 4);
}

TEST(Config, AcceptsEmptyText)
{
    auto config = Config::parse("", "robur.conf");
    ASSERT_TRUE(config) << config.error().to_string();
    EXPECT_TRUE(config->entries().empty());
}

TEST(Config, LoadsFromSnapshotAndFile)
{
    TempDir temp;
    const auto work = temp.path() / "work";
    git_init(work);
    commit_files(work, {{"robur.conf", std::string(sample)}}, "Add configuration");

    auto repo = Repository::open(work);
    ASSERT_TRUE(repo);
    auto snapshot = repo->snapshot();
    ASSERT_TRUE(snapshot);
    auto from_snapshot = Config::load(*snapshot);
    ASSERT_TRUE(from_snapshot) << from_snapshot.error().to_string();
    EXPECT_EQ(from_snapshot->entries().size(), 8U);

    auto missing = Config::load(*snapshot, "other.conf");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::not_found);

    auto from_file = Config::load(work / "robur.conf");
    ASSERT_TRUE(from_file) << from_file.error().to_string();
    EXPECT_EQ(from_file->path(), (work / "robur.conf").string());
    EXPECT_EQ(*from_file->get_string("dns.listen"), "[::1]:5300");

    auto no_file = Config::load(work / "absent.conf");
    ASSERT_FALSE(no_file);
    EXPECT_EQ(no_file.error().code, Errc::not_found);
}

TEST(ConfigName, NormalisesSectionAndKeyOnly)
{
    EXPECT_EQ(normalise_config_name("DNS.Listen"), "dns.listen");
    EXPECT_EQ(normalise_config_name("Zone.Example.COM.Also-Notify"),
              "zone.Example.COM.also-notify");
    EXPECT_EQ(normalise_config_name("core"), "core");
}

} // namespace
} // namespace robur::store
