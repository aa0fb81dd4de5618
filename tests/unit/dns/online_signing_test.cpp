#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "formats/dnssec/key.hpp"
#include "formats/dnssec/key_file.hpp"
#include "formats/zone/parser.hpp"
#include "servers/dns/online_signing.hpp"
#include "servers/dns/signed_journal.hpp"
#include "servers/dns/zone_set_loader.hpp"
#include "store/repository.hpp"

namespace robur::dns {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t start_time = 1800000000; // 2027-01-15
constexpr std::int64_t hour = 3600;

std::string zone_text(std::uint32_t serial, std::string_view extra = {})
{
    return fmt::format("$ORIGIN example.com.\n"
                       "$TTL 3600\n"
                       "@   IN SOA ns1 hostmaster {} 7200 3600 1209600 300\n"
                       "@   IN NS  ns1\n"
                       "ns1 IN A   192.0.2.1\n"
                       "www IN A   192.0.2.80\n"
                       "{}",
                       serial, extra);
}

zone::Zone parse(const std::string& text)
{
    zone::ParseOptions options;
    options.origin = *zone::Name::parse("example.com.");
    auto result = zone::parse_zone(text, "example.com.zone", options);
    EXPECT_TRUE(result.ok());
    return std::move(result.zone);
}

dnssec::KeyPair make_key(std::uint16_t flags = dnssec::dnskey_flags::ksk)
{
    auto key = dnssec::generate_key(*zone::Name::parse("example.com."),
                                    dnssec::Algorithm::ecdsap256sha256, flags);
    EXPECT_TRUE(key) << key.error().to_string();
    return *key;
}

OnlineSignOptions options_with(const dnssec::KeyPair& key)
{
    OnlineSignOptions options;
    options.validity = std::chrono::hours{10};
    options.refresh = std::chrono::hours{4};
    options.keys = {key};
    return options;
}

std::size_t count_type(const zone::Zone& zone, std::uint16_t type)
{
    return static_cast<std::size_t>(
        std::count_if(zone.records.begin(), zone.records.end(),
                      [type](const zone::Record& record) { return record.type == type; }));
}

TEST(OnlineSigning, ServesCommittedSerialFirst)
{
    const auto key = make_key();
    auto result = sign_online(parse(zone_text(7)), options_with(key), nullptr, start_time);
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_TRUE(result->changed);
    EXPECT_FALSE(result->serial_raised);
    EXPECT_EQ(result->version.serial, 7U);
    EXPECT_EQ(result->version.zone->serial(), 7U);
    EXPECT_GT(count_type(*result->version.zone, zone::rrtype::rrsig), 0U);
    EXPECT_EQ(count_type(*result->version.zone, zone::rrtype::dnskey), 1U);
}

TEST(OnlineSigning, ResignsBeforeRefreshWindow)
{
    const auto key = make_key();
    auto result = sign_online(parse(zone_text(7)), options_with(key), nullptr, start_time);
    ASSERT_TRUE(result);
    // Expirations lie between validity minus the spread (a quarter of refresh) and validity.
    EXPECT_GE(result->version.resign_at, start_time + 10 * hour - 4 * hour - hour);
    EXPECT_LE(result->version.resign_at, start_time + 10 * hour - 4 * hour);
}

TEST(OnlineSigning, ResignsAtKeyEvent)
{
    const auto key = make_key();
    auto options = options_with(key);
    options.next_key_event = start_time + 60;
    auto result = sign_online(parse(zone_text(7)), options, nullptr, start_time);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->version.resign_at, start_time + 60);
}

TEST(OnlineSigning, KeepsVersionWhenNothingChanged)
{
    const auto key = make_key();
    const auto unsigned_zone = parse(zone_text(7));
    auto first = sign_online(unsigned_zone, options_with(key), nullptr, start_time);
    ASSERT_TRUE(first);
    auto second = sign_online(unsigned_zone, options_with(key), &first->version, start_time + 60);
    ASSERT_TRUE(second) << second.error().to_string();
    EXPECT_FALSE(second->changed);
    EXPECT_EQ(second->version.serial, 7U);
    EXPECT_EQ(second->version.zone, first->version.zone);
}

TEST(OnlineSigning, RaisesSerialWhenSignaturesRenewed)
{
    const auto key = make_key();
    const auto unsigned_zone = parse(zone_text(7));
    auto first = sign_online(unsigned_zone, options_with(key), nullptr, start_time);
    ASSERT_TRUE(first);
    const auto later = first->version.resign_at;
    auto second = sign_online(unsigned_zone, options_with(key), &first->version, later);
    ASSERT_TRUE(second) << second.error().to_string();
    EXPECT_TRUE(second->changed);
    EXPECT_TRUE(second->serial_raised);
    EXPECT_EQ(second->version.serial, 8U);
    EXPECT_EQ(second->version.committed_serial, 7U);
    EXPECT_EQ(second->version.zone->serial(), 8U);
    EXPECT_GT(*earliest_expiration(*second->version.zone),
              *earliest_expiration(*first->version.zone));
}

TEST(OnlineSigning, RaisesSerialWhenRecordsChangeWithoutNewSerial)
{
    const auto key = make_key();
    auto first = sign_online(parse(zone_text(7)), options_with(key), nullptr, start_time);
    ASSERT_TRUE(first);
    auto second = sign_online(parse(zone_text(7, "new IN A 192.0.2.9\n")), options_with(key),
                              &first->version, start_time + 60);
    ASSERT_TRUE(second);
    EXPECT_TRUE(second->changed);
    EXPECT_EQ(second->version.serial, 8U);
}

TEST(OnlineSigning, TakesGreaterCommittedSerial)
{
    const auto key = make_key();
    auto first = sign_online(parse(zone_text(7)), options_with(key), nullptr, start_time);
    ASSERT_TRUE(first);
    auto second = sign_online(parse(zone_text(20, "new IN A 192.0.2.9\n")), options_with(key),
                              &first->version, start_time + 60);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->version.serial, 20U);
    EXPECT_FALSE(second->serial_raised);
}

TEST(OnlineSigning, RejectsZoneWithoutKeys)
{
    OnlineSignOptions options;
    auto result = sign_online(parse(zone_text(7)), options, nullptr, start_time);
    EXPECT_FALSE(result);
}

zone::Zone signed_version(std::uint32_t serial, std::string_view extra = {})
{
    static const auto key = make_key();
    auto result =
        sign_online(parse(zone_text(serial, extra)), options_with(key), nullptr, start_time);
    EXPECT_TRUE(result);
    return *result->version.zone;
}

// Each version here is signed afresh, so every step replaces every RRSIG.
constexpr SignedJournalLimits no_size_limit{.max_steps = 20, .limit_to_zone_size = false};

TEST(SignedJournal, ReturnsStepsBetweenSerials)
{
    SignedJournal journal(no_size_limit);
    const auto origin = *zone::Name::parse("example.com.");
    journal.add(signed_version(1));
    journal.add(signed_version(2, "a IN A 192.0.2.2\n"));
    journal.add(signed_version(3, "a IN A 192.0.2.2\nb IN A 192.0.2.3\n"));
    EXPECT_TRUE(journal.contains(origin));

    auto steps = journal.steps(origin, 1, 3);
    ASSERT_NE(steps, nullptr);
    ASSERT_EQ(steps->size(), 2U);
    EXPECT_EQ(step_serials(steps->front()), std::make_pair(1U, 2U));
    EXPECT_EQ(step_serials(steps->back()), std::make_pair(2U, 3U));
    const auto added =
        std::count_if(steps->back().added.begin(), steps->back().added.end(),
                      [](const zone::Record& record) { return record.type == zone::rrtype::a; });
    EXPECT_EQ(added, 1);

    ASSERT_NE(journal.steps(origin, 2, 3), nullptr);
    EXPECT_EQ(journal.steps(origin, 2, 3)->size(), 1U);
    EXPECT_TRUE(journal.steps(origin, 3, 3)->empty());
}

TEST(SignedJournal, DropsStepsLargerThanZone)
{
    SignedJournal journal;
    const auto origin = *zone::Name::parse("example.com.");
    journal.add(signed_version(1));
    journal.add(signed_version(2, "a IN A 192.0.2.2\n"));
    journal.add(signed_version(3, "a IN A 192.0.2.2\nb IN A 192.0.2.3\n"));
    EXPECT_LT(journal.step_count(origin), 2U);
    EXPECT_EQ(journal.steps(origin, 1, 3), nullptr);
}

TEST(SignedJournal, UnknownSerialGivesNoSteps)
{
    SignedJournal journal(no_size_limit);
    const auto origin = *zone::Name::parse("example.com.");
    journal.add(signed_version(1));
    journal.add(signed_version(2, "a IN A 192.0.2.2\n"));
    EXPECT_EQ(journal.steps(origin, 5, 2), nullptr);
    EXPECT_EQ(journal.steps(origin, 1, 9), nullptr);
    EXPECT_EQ(journal.steps(*zone::Name::parse("example.org."), 1, 2), nullptr);
}

TEST(SignedJournal, DropsOldestStepsBeyondLimit)
{
    SignedJournal journal(SignedJournalLimits{.max_steps = 2, .limit_to_zone_size = false});
    const auto origin = *zone::Name::parse("example.com.");
    for (std::uint32_t serial = 1; serial <= 4; ++serial) {
        journal.add(signed_version(serial, fmt::format("a IN A 192.0.2.{}\n", serial)));
    }
    EXPECT_EQ(journal.step_count(origin), 2U);
    EXPECT_EQ(journal.steps(origin, 1, 4), nullptr);
    ASSERT_NE(journal.steps(origin, 2, 4), nullptr);
}

TEST(SignedJournal, SameSerialDropsSteps)
{
    SignedJournal journal(no_size_limit);
    const auto origin = *zone::Name::parse("example.com.");
    journal.add(signed_version(1));
    journal.add(signed_version(2, "a IN A 192.0.2.2\n"));
    journal.add(signed_version(2, "a IN A 192.0.2.3\n"));
    EXPECT_EQ(journal.step_count(origin), 0U);
    EXPECT_EQ(journal.steps(origin, 1, 2), nullptr);
    journal.forget(origin);
    EXPECT_FALSE(journal.contains(origin));
}

// A repository with the zone, robur.conf and key files, committed through the store.
class OnlineZoneLoader : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "robur-online-XXXXXX").string();
        root_ = ::mkdtemp(pattern.data());
        auto repository = store::Repository::init(root_, false);
        ASSERT_TRUE(repository) << repository.error().to_string();
        repository_.emplace(std::move(*repository));
        loader_.set_clock([this] { return now_; });
    }

    void TearDown() override
    {
        repository_.reset();
        std::error_code ignored;
        fs::remove_all(root_, ignored);
    }

    store::Snapshot commit(std::vector<store::FileChange> changes)
    {
        store::CommitRequest request;
        request.branch = "main";
        auto head = repository_->branch_head("main");
        EXPECT_TRUE(head);
        request.expected_head = head ? *head : std::nullopt;
        request.changes = std::move(changes);
        request.author = store::Signature{"Test", "test@example.com", 1700000000, 0};
        request.message = "Change zones";
        auto id = repository_->commit(request);
        EXPECT_TRUE(id) << id.error().to_string();
        auto snapshot = repository_->snapshot(id->to_string());
        EXPECT_TRUE(snapshot) << snapshot.error().to_string();
        return *snapshot;
    }

    static store::FileChange file(std::string path, std::string content)
    {
        store::FileChange change;
        change.path = std::move(path);
        change.content = std::move(content);
        return change;
    }

    static std::vector<store::FileChange> key_files(const dnssec::KeyPair& key)
    {
        const dnssec::KeyFiles files{key, {}};
        const auto stem = fmt::format("keys/dnssec/example.com/{}", dnssec::key_file_stem(key));
        auto secret = dnssec::format_private_key_file(files);
        EXPECT_TRUE(secret);
        return {file(stem + ".key", dnssec::format_public_key_file(files)),
                file(stem + ".private", *secret)};
    }

    static store::FileChange online_config()
    {
        return file("robur.conf", "[dns]\n\tdnssec = online\n\tsignature-validity = 10h\n"
                                  "\tsignature-refresh = 4h\n");
    }

    [[nodiscard]] const CompiledZone* served() const
    {
        const auto zones = loader_.zone_set();
        return zones->zones().empty() ? nullptr : zones->zones().front().get();
    }

    fs::path root_;
    std::optional<store::Repository> repository_;
    ZoneSetLoader loader_;
    std::int64_t now_ = start_time;
};

TEST_F(OnlineZoneLoader, ServesSignedZone)
{
    auto changes = key_files(make_key());
    changes.push_back(file("zones/example.com.zone", zone_text(7)));
    changes.push_back(online_config());
    auto summary = loader_.load(commit(changes));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->rejected, 0U);
    ASSERT_NE(served(), nullptr);
    EXPECT_EQ(served()->serial(), 7U);
    EXPECT_GT(count_type(*served()->source(), zone::rrtype::rrsig), 0U);
    EXPECT_TRUE(loader_.journal()->contains(served()->origin()));
    ASSERT_TRUE(loader_.next_resign());
}

TEST_F(OnlineZoneLoader, RejectsOnlineZoneWithoutKeys)
{
    auto summary =
        loader_.load(commit({file("zones/example.com.zone", zone_text(7)), online_config()}));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->rejected, 1U);
    EXPECT_EQ(served(), nullptr);
}

TEST_F(OnlineZoneLoader, KeepsSignedVersionWhenKeysGo)
{
    const auto key = make_key();
    auto changes = key_files(key);
    changes.push_back(file("zones/example.com.zone", zone_text(7)));
    changes.push_back(online_config());
    ASSERT_TRUE(loader_.load(commit(changes)));

    std::vector<store::FileChange> removals;
    for (auto& change : key_files(key)) {
        change.content = std::nullopt;
        removals.push_back(std::move(change));
    }
    auto summary = loader_.load(commit(removals));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->rejected, 1U);
    ASSERT_NE(served(), nullptr);
    EXPECT_GT(count_type(*served()->source(), zone::rrtype::rrsig), 0U);
}

TEST_F(OnlineZoneLoader, SignsAgainWhenKeyAdded)
{
    auto changes = key_files(make_key());
    changes.push_back(file("zones/example.com.zone", zone_text(7)));
    changes.push_back(online_config());
    ASSERT_TRUE(loader_.load(commit(changes)));

    auto summary = loader_.load(commit(key_files(make_key(dnssec::dnskey_flags::zsk))));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->changed, 1U);
    ASSERT_NE(served(), nullptr);
    EXPECT_EQ(served()->serial(), 8U);
    EXPECT_EQ(count_type(*served()->source(), zone::rrtype::dnskey), 2U);
}

TEST_F(OnlineZoneLoader, SignsAgainWithoutCommit)
{
    auto changes = key_files(make_key());
    changes.push_back(file("zones/example.com.zone", zone_text(7)));
    changes.push_back(online_config());
    ASSERT_TRUE(loader_.load(commit(changes)));
    EXPECT_FALSE(loader_.resign());

    now_ = *loader_.next_resign();
    auto summary = loader_.resign();
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->changed, 1U);
    ASSERT_NE(served(), nullptr);
    EXPECT_EQ(served()->serial(), 8U);
    EXPECT_GT(*loader_.next_resign(), now_);
    auto steps = loader_.journal()->steps(served()->origin(), 7, 8);
    ASSERT_NE(steps, nullptr);
    EXPECT_EQ(steps->size(), 1U);
}

TEST_F(OnlineZoneLoader, ServesUnsignedWhenPolicyOff)
{
    auto changes = key_files(make_key());
    changes.push_back(file("zones/example.com.zone", zone_text(7)));
    changes.push_back(online_config());
    ASSERT_TRUE(loader_.load(commit(changes)));
    ASSERT_TRUE(loader_.load(commit({file("robur.conf", "[dns]\n\tdnssec = no\n"),
                                     file("zones/example.com.zone", zone_text(9))})));
    ASSERT_NE(served(), nullptr);
    EXPECT_EQ(count_type(*served()->source(), zone::rrtype::rrsig), 0U);
    EXPECT_FALSE(loader_.journal()->contains(served()->origin()));
    EXPECT_FALSE(loader_.next_resign());
}

} // namespace
} // namespace robur::dns
