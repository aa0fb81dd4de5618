#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/dnssec/key.hpp"
#include "formats/dnssec/key_file.hpp"
#include "servers/dns/dnssec_keys.hpp"
#include "servers/dns/dnssec_policy.hpp"
#include "store/repository.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::dns {
namespace {

using namespace std::chrono_literals;

zone::Name name(std::string_view text)
{
    return zone::Name::parse(text).value();
}

Result<DnssecPolicy> policy_of(std::string_view text, std::string_view zone = "example.com.")
{
    auto config = store::Config::parse(text, "robur.conf");
    EXPECT_TRUE(config) << config.error().message;
    return dnssec_policy(*config, name(zone));
}

TEST(DnssecPolicy, DefaultsWithoutKeys)
{
    auto policy = policy_of("[dns]\n");
    ASSERT_TRUE(policy) << policy.error().message;
    EXPECT_EQ(policy->mode, SigningMode::none);
    EXPECT_FALSE(policy->nsec3);
    EXPECT_EQ(policy->validity, std::chrono::seconds{30 * 86400});
    EXPECT_EQ(policy->refresh, std::chrono::seconds{7 * 86400});
    EXPECT_FALSE(policy->dnskey_ttl);
    EXPECT_EQ(policy->propagation_delay, 1h);
    EXPECT_EQ(policy->parent_ds_ttl, std::chrono::seconds{86400});
    EXPECT_EQ(policy->parent_propagation_delay, 1h);
}

TEST(DnssecPolicy, ReadsEveryKey)
{
    auto policy = policy_of("[dns]\n"
                            "dnssec = online\n"
                            "nsec3 = yes\n"
                            "nsec3-salt = AABB\n"
                            "nsec3-iterations = 5\n"
                            "nsec3-opt-out = yes\n"
                            "signature-validity = 2w\n"
                            "signature-refresh = 3d\n"
                            "dnskey-ttl = 1h30m\n"
                            "propagation-delay = 2h\n"
                            "parent-ds-ttl = 2d\n"
                            "parent-propagation-delay = 30m\n");
    ASSERT_TRUE(policy) << policy.error().message;
    EXPECT_EQ(policy->mode, SigningMode::online);
    ASSERT_TRUE(policy->nsec3);
    EXPECT_EQ(policy->nsec3->salt, (std::vector<std::uint8_t>{0xaa, 0xbb}));
    EXPECT_EQ(policy->nsec3->iterations, 5);
    EXPECT_TRUE(policy->nsec3->opt_out);
    EXPECT_EQ(policy->validity, std::chrono::seconds{14 * 86400});
    EXPECT_EQ(policy->refresh, std::chrono::seconds{3 * 86400});
    EXPECT_EQ(policy->dnskey_ttl, 5400U);
    EXPECT_EQ(policy->propagation_delay, 2h);
    EXPECT_EQ(policy->parent_ds_ttl, std::chrono::seconds{2 * 86400});
    EXPECT_EQ(policy->parent_propagation_delay, 30min);
}

TEST(DnssecPolicy, ZoneSectionOverridesDns)
{
    constexpr std::string_view text = "[dns]\n"
                                      "dnssec = offline\n"
                                      "signature-validity = 20d\n"
                                      "[zone \"Example.COM\"]\n"
                                      "dnssec = online\n"
                                      "nsec3 = yes\n";
    auto zone_policy = policy_of(text, "example.com.");
    ASSERT_TRUE(zone_policy) << zone_policy.error().message;
    EXPECT_EQ(zone_policy->mode, SigningMode::online);
    EXPECT_TRUE(zone_policy->nsec3);
    EXPECT_EQ(zone_policy->validity, std::chrono::seconds{20 * 86400});

    auto other = policy_of(text, "example.org.");
    ASSERT_TRUE(other) << other.error().message;
    EXPECT_EQ(other->mode, SigningMode::offline);
    EXPECT_FALSE(other->nsec3);

    // A section applies to its zone only, not to zones below it.
    auto child = policy_of(text, "sub.example.com.");
    ASSERT_TRUE(child) << child.error().message;
    EXPECT_EQ(child->mode, SigningMode::offline);
}

TEST(DnssecPolicy, ZoneSectionWithTrailingDot)
{
    auto policy = policy_of("[zone \"example.com.\"]\ndnssec = offline\n");
    ASSERT_TRUE(policy) << policy.error().message;
    EXPECT_EQ(policy->mode, SigningMode::offline);
}

TEST(DnssecPolicy, Nsec3KeysIgnoredWithoutNsec3)
{
    auto policy = policy_of("[dns]\nnsec3-iterations = 3\nnsec3-salt = ab\n");
    ASSERT_TRUE(policy) << policy.error().message;
    EXPECT_FALSE(policy->nsec3);
}

TEST(DnssecPolicy, DashMeansNoSalt)
{
    auto policy = policy_of("[dns]\nnsec3 = yes\nnsec3-salt = -\n");
    ASSERT_TRUE(policy) << policy.error().message;
    ASSERT_TRUE(policy->nsec3);
    EXPECT_TRUE(policy->nsec3->salt.empty());
    EXPECT_EQ(policy->nsec3->iterations, 0);
    EXPECT_FALSE(policy->nsec3->opt_out);
}

TEST(DnssecPolicy, RejectsInvalidValues)
{
    struct Case {
        std::string_view text;
        std::string_view expected; // part of the message
    };
    const Case cases[] = {
        {"[dns]\ndnssec = maybe\n", "dns.dnssec = \"maybe\""},
        {"[dns]\nnsec3 = sometimes\n", "dns.nsec3 = \"sometimes\""},
        {"[dns]\nnsec3 = yes\nnsec3-salt = xyz\n", "dns.nsec3-salt = \"xyz\""},
        {"[dns]\nnsec3 = yes\nnsec3-salt = abc\n", "dns.nsec3-salt = \"abc\""},
        {"[dns]\nnsec3 = yes\nnsec3-iterations = 151\n", "dns.nsec3-iterations = \"151\""},
        {"[dns]\nnsec3 = yes\nnsec3-opt-out = 2\n", "dns.nsec3-opt-out = \"2\""},
        {"[dns]\nsignature-validity = 30x\n", "dns.signature-validity = \"30x\""},
        {"[dns]\nsignature-refresh = 0\n", "dns.signature-refresh = \"0\""},
        {"[dns]\ndnskey-ttl = 3000000000\n", "dns.dnskey-ttl = \"3000000000\""},
        {"[dns]\nparent-ds-ttl = -1\n", "dns.parent-ds-ttl = \"-1\""},
        {"[zone \"example.com\"]\npropagation-delay = soon\n",
         "zone.example.com.propagation-delay = \"soon\""},
    };
    for (const auto& test : cases) {
        auto policy = policy_of(test.text);
        ASSERT_FALSE(policy) << test.text;
        EXPECT_EQ(policy.error().code, Errc::invalid_argument) << test.text;
        EXPECT_NE(policy.error().message.find("robur.conf: "), std::string::npos)
            << policy.error().message;
        EXPECT_NE(policy.error().message.find(test.expected), std::string::npos)
            << policy.error().message;
    }
}

TEST(DnssecPolicy, RejectsRefreshNotBelowValidity)
{
    auto equal = policy_of("[dns]\nsignature-validity = 7d\n");
    ASSERT_FALSE(equal);
    EXPECT_NE(equal.error().message.find("signature-refresh"), std::string::npos)
        << equal.error().message;

    auto longer = policy_of("[dns]\nsignature-validity = 10d\n"
                            "[zone \"example.com\"]\nsignature-refresh = 11d\n");
    ASSERT_FALSE(longer);
    EXPECT_EQ(longer.error().code, Errc::invalid_argument);
}

TEST(DnssecPolicy, ModeNames)
{
    EXPECT_EQ(signing_mode_name(SigningMode::none), "no");
    EXPECT_EQ(signing_mode_name(SigningMode::offline), "offline");
    EXPECT_EQ(signing_mode_name(SigningMode::online), "online");
}

// A repository with one commit made from files, for the key loader.
class KeyRepo {
public:
    KeyRepo()
    {
        auto repository = store::Repository::init(temp_.path() / "repo", true);
        EXPECT_TRUE(repository) << repository.error().message;
        repository_.emplace(std::move(*repository));
    }

    store::Snapshot commit(std::vector<store::FileChange> changes)
    {
        changes.push_back({.path = "README", .content = "keys\n"});
        auto head = repository_->branch_head();
        EXPECT_TRUE(head) << head.error().message;
        store::CommitRequest request{.branch = {},
                                     .expected_head = *head,
                                     .changes = std::move(changes),
                                     .author = store::testing::test_author(),
                                     .committer = std::nullopt,
                                     .message = "Add keys"};
        auto id = repository_->commit(request);
        EXPECT_TRUE(id) << id.error().message;
        return repository_->snapshot().value();
    }

private:
    store::testing::TempDir temp_;
    std::optional<store::Repository> repository_;
};

// The two files of a new key of zone, as `robur key dnssec new` writes them.
std::vector<store::FileChange> key_files(std::string_view zone, std::uint16_t flags)
{
    auto key = dnssec::generate_key(name(zone), dnssec::Algorithm::ecdsap256sha256, flags);
    EXPECT_TRUE(key) << key.error().message;
    const dnssec::KeyFiles files{.key = *key, .timing = {}};
    const std::string stem =
        fmt::format("{}/{}", dnssec::key_folder(name(zone)), dnssec::key_file_stem(*key));
    return {{.path = stem + ".key", .content = dnssec::format_public_key_file(files)},
            {.path = stem + ".private", .content = dnssec::format_private_key_file(files).value()}};
}

TEST(DnssecKeys, LoadsEveryPair)
{
    KeyRepo repo;
    auto changes = key_files("example.com.", dnssec::dnskey_flags::ksk);
    auto zsk = key_files("example.com.", dnssec::dnskey_flags::zsk);
    changes.insert(changes.end(), zsk.begin(), zsk.end());
    changes.push_back({.path = "keys/dnssec/example.com/README", .content = "notes\n"});
    const auto snapshot = repo.commit(changes);

    auto keys = load_dnssec_keys(snapshot, name("example.com."));
    ASSERT_TRUE(keys) << keys.error().message;
    ASSERT_EQ(keys->size(), 2U);
    for (const auto& key : *keys) {
        EXPECT_EQ(key.key.owner, name("example.com."));
    }

    auto files = dnssec_key_files(snapshot, name("example.com."));
    ASSERT_TRUE(files) << files.error().message;
    EXPECT_EQ(files->size(), 4U);
}

TEST(DnssecKeys, NoFolderGivesNoKeys)
{
    KeyRepo repo;
    const auto snapshot = repo.commit({});
    auto keys = load_dnssec_keys(snapshot, name("example.com."));
    ASSERT_TRUE(keys) << keys.error().message;
    EXPECT_TRUE(keys->empty());
    auto files = dnssec_key_files(snapshot, name("example.com."));
    ASSERT_TRUE(files) << files.error().message;
    EXPECT_TRUE(files->empty());
}

TEST(DnssecKeys, RejectsKeyWithoutPrivateFile)
{
    KeyRepo repo;
    auto changes = key_files("example.com.", dnssec::dnskey_flags::ksk);
    changes.pop_back();
    auto keys = load_dnssec_keys(repo.commit(changes), name("example.com."));
    ASSERT_FALSE(keys);
    EXPECT_EQ(keys.error().code, Errc::invalid_argument);
    EXPECT_NE(keys.error().message.find(".key: no matching .private file"), std::string::npos)
        << keys.error().message;
}

TEST(DnssecKeys, RejectsPrivateFileWithoutKey)
{
    KeyRepo repo;
    auto changes = key_files("example.com.", dnssec::dnskey_flags::ksk);
    changes.erase(changes.begin());
    auto keys = load_dnssec_keys(repo.commit(changes), name("example.com."));
    ASSERT_FALSE(keys);
    EXPECT_NE(keys.error().message.find(".private: no matching .key file"), std::string::npos)
        << keys.error().message;
}

TEST(DnssecKeys, RejectsKeyOfAnotherZone)
{
    KeyRepo repo;
    auto changes = key_files("example.org.", dnssec::dnskey_flags::ksk);
    for (auto& change : changes) {
        change.path.replace(0, std::string("keys/dnssec/example.org").size(),
                            "keys/dnssec/example.com");
    }
    auto keys = load_dnssec_keys(repo.commit(changes), name("example.com."));
    ASSERT_FALSE(keys);
    EXPECT_EQ(keys.error().code, Errc::invalid_argument);
    EXPECT_NE(keys.error().message.find("belongs to example.org."), std::string::npos)
        << keys.error().message;
}

TEST(DnssecKeys, ReportsParseErrorWithFile)
{
    KeyRepo repo;
    auto changes = key_files("example.com.", dnssec::dnskey_flags::ksk);
    changes.back().content = "Private-key-format: v1.3\nAlgorithm: banana\n";
    auto keys = load_dnssec_keys(repo.commit(changes), name("example.com."));
    ASSERT_FALSE(keys);
    EXPECT_EQ(keys.error().code, Errc::parse_error);
    const std::string text = keys.error().to_string();
    EXPECT_NE(text.find(".private:"), std::string::npos) << text;
}

} // namespace
} // namespace robur::dns
