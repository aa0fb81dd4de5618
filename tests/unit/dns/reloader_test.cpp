#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "servers/dns/published.hpp"
#include "servers/dns/reloader.hpp"
#include "servers/dns/zone_set_loader.hpp"
#include "store/repository.hpp"

namespace robur::dns {
namespace {

namespace fs = std::filesystem;

std::string zone_text(std::string_view origin, std::uint32_t serial, std::string_view extra = {})
{
    return fmt::format("$ORIGIN {0}.\n"
                       "$TTL 3600\n"
                       "@   IN SOA ns1.{0}. hostmaster.{0}. {1} 7200 3600 1209600 300\n"
                       "@   IN NS  ns1.{0}.\n"
                       "ns1 IN A   192.0.2.1\n"
                       "{2}",
                       origin, serial, extra);
}

// A repository in a temporary folder, removed with the fixture, with commits made through the
// store so that no git configuration is read.
class ZoneRepository : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "robur-reloader-XXXXXX").string();
        root_ = ::mkdtemp(pattern.data());
        auto repository = store::Repository::init(root_, false);
        ASSERT_TRUE(repository) << repository.error().to_string();
        repository_.emplace(std::move(*repository));
    }

    void TearDown() override
    {
        repository_.reset();
        std::error_code ignored;
        fs::remove_all(root_, ignored);
    }

    // Commits the changes (nullopt content removes a file) and returns the new snapshot.
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

    static store::FileChange removal(std::string path)
    {
        store::FileChange change;
        change.path = std::move(path);
        return change;
    }

    // The compiled zone with this origin ("example.com."), or null.
    static std::shared_ptr<const CompiledZone> find(const ZoneSet& zones, std::string_view origin)
    {
        for (const auto& zone : zones.zones()) {
            if (zone->origin().to_string() == origin) {
                return zone;
            }
        }
        return nullptr;
    }

    fs::path root_;
    std::optional<store::Repository> repository_;
};

using ZoneSetLoaderTest = ZoneRepository;
using ReloaderTest = ZoneRepository;

TEST_F(ZoneSetLoaderTest, LoadsEveryZone)
{
    const auto snapshot = commit({file("zones/example.com.zone", zone_text("example.com", 1)),
                                  file("zones/example.org.zone", zone_text("example.org", 7)),
                                  file("README", "not a zone\n")});
    ZoneSetLoader loader;
    const auto summary = loader.load(snapshot);
    ASSERT_TRUE(summary) << summary.error().to_string();
    EXPECT_EQ(summary->commit, snapshot.commit_id());
    EXPECT_EQ(summary->zone_count, 2U);
    EXPECT_EQ(summary->changed, 2U);
    EXPECT_EQ(summary->rejected, 0U);
    EXPECT_EQ(format_serials(*summary), "example.com./1,example.org./7");
    EXPECT_EQ(loader.zone_set()->zones().size(), 2U);
}

TEST_F(ZoneSetLoaderTest, ReparsesOnlyChangedZones)
{
    ZoneSetLoader loader;
    ASSERT_TRUE(loader.load(commit({file("zones/example.com.zone", zone_text("example.com", 1)),
                                    file("zones/example.org.zone", zone_text("example.org", 1))})));
    const auto org_before = find(*loader.zone_set(), "example.org.");

    const auto summary = loader.load(commit(
        {file("zones/example.com.zone", zone_text("example.com", 2, "www IN A 192.0.2.2\n"))}));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->changed, 1U);
    EXPECT_EQ(find(*loader.zone_set(), "example.com.")->serial(), 2U);
    EXPECT_EQ(find(*loader.zone_set(), "example.org."), org_before)
        << "the unchanged zone was compiled again";
}

TEST_F(ZoneSetLoaderTest, UnchangedCommitChangesNothing)
{
    ZoneSetLoader loader;
    ASSERT_TRUE(loader.load(commit({file("zones/example.com.zone", zone_text("example.com", 1))})));
    const auto summary = loader.load(commit({file("README", "text\n")}));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->changed, 0U);
    EXPECT_EQ(summary->zone_count, 1U);
}

TEST_F(ZoneSetLoaderTest, ReparsesZoneWhenIncludedFileChanges)
{
    ZoneSetLoader loader;
    const auto master = zone_text("example.com", 1, "$INCLUDE hosts/example.com.inc\n");
    ASSERT_TRUE(
        loader.load(commit({file("zones/example.com.zone", master),
                            file("zones/hosts/example.com.inc", "www IN A 192.0.2.10\n")})));
    const auto before = find(*loader.zone_set(), "example.com.");
    ASSERT_NE(before, nullptr);

    const auto summary =
        loader.load(commit({file("zones/hosts/example.com.inc", "www IN A 192.0.2.11\n")}));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->changed, 1U);
    EXPECT_NE(find(*loader.zone_set(), "example.com."), before);
}

TEST_F(ZoneSetLoaderTest, KeepsPreviousVersionOfBrokenZone)
{
    ZoneSetLoader loader;
    ASSERT_TRUE(loader.load(commit({file("zones/example.com.zone", zone_text("example.com", 1))})));
    const auto before = find(*loader.zone_set(), "example.com.");

    const auto summary = loader.load(commit(
        {file("zones/example.com.zone", zone_text("example.com", 2, "www IN A 300.1.1.1\n"))}));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->rejected, 1U);
    EXPECT_EQ(summary->changed, 0U);
    EXPECT_EQ(summary->zone_count, 1U);
    EXPECT_EQ(find(*loader.zone_set(), "example.com."), before);

    // The same broken version is not counted again on the next commit.
    const auto next = loader.load(commit({file("README", "text\n")}));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->rejected, 0U);
}

TEST_F(ZoneSetLoaderTest, RejectsZoneFailingValidation)
{
    ZoneSetLoader loader;
    ASSERT_TRUE(loader.load(commit({file("zones/example.com.zone", zone_text("example.com", 1))})));

    // A CNAME next to other data at the same owner (RFC 1034 section 3.6.2).
    const auto summary = loader.load(
        commit({file("zones/example.com.zone",
                     zone_text("example.com", 2, "www IN CNAME ns1\nwww IN A 192.0.2.3\n"))}));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->rejected, 1U);
    EXPECT_EQ(find(*loader.zone_set(), "example.com.")->serial(), 1U);
}

TEST_F(ZoneSetLoaderTest, DoesNotServeBrokenNewZone)
{
    ZoneSetLoader loader;
    const auto summary = loader.load(commit(
        {file("zones/example.com.zone", zone_text("example.com", 1)),
         file("zones/example.net.zone", "$ORIGIN example.net.\n$TTL 300\nwww IN A 192.0.2.1\n")}));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->zone_count, 1U);
    EXPECT_EQ(summary->rejected, 1U);
    EXPECT_EQ(find(*loader.zone_set(), "example.net."), nullptr);
}

TEST_F(ZoneSetLoaderTest, DropsRemovedZoneAndAddsNewOne)
{
    ZoneSetLoader loader;
    ASSERT_TRUE(loader.load(commit({file("zones/example.com.zone", zone_text("example.com", 1))})));

    const auto summary =
        loader.load(commit({removal("zones/example.com.zone"),
                            file("zones/example.org.zone", zone_text("example.org", 3))}));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->changed, 2U);
    EXPECT_EQ(summary->zone_count, 1U);
    EXPECT_EQ(find(*loader.zone_set(), "example.com."), nullptr);
    EXPECT_NE(find(*loader.zone_set(), "example.org."), nullptr);
}

TEST_F(ZoneSetLoaderTest, SnapshotWithoutZonesFolderHasNoZones)
{
    ZoneSetLoader loader;
    ASSERT_TRUE(loader.load(commit({file("zones/example.com.zone", zone_text("example.com", 1))})));
    const auto summary =
        loader.load(commit({removal("zones/example.com.zone"), file("README", "text\n")}));
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->zone_count, 0U);
    EXPECT_TRUE(loader.zone_set()->zones().empty());
}

TEST_F(ZoneSetLoaderTest, FullLoadReparsesEveryZone)
{
    ZoneSetLoader loader;
    const auto snapshot = commit({file("zones/example.com.zone", zone_text("example.com", 1))});
    ASSERT_TRUE(loader.load(snapshot));
    const auto before = find(*loader.zone_set(), "example.com.");

    const auto summary = loader.load(snapshot, true);
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->changed, 1U);
    EXPECT_NE(find(*loader.zone_set(), "example.com."), before);
}

TEST_F(ReloaderTest, LoadFailsOnBranchWithoutCommits)
{
    Published<ZoneSet> zones;
    Reloader reloader(std::move(*repository_), {}, zones);
    const auto summary = reloader.load();
    ASSERT_FALSE(summary);
    EXPECT_EQ(summary.error().code, Errc::not_found);
    EXPECT_NE(summary.error().message.find("refs/heads/main"), std::string::npos);
}

TEST_F(ReloaderTest, LoadFailsWithoutZonesFolder)
{
    commit({file("README", "text\n")});
    Published<ZoneSet> zones;
    Reloader reloader(std::move(*repository_), {}, zones);
    const auto summary = reloader.load();
    ASSERT_FALSE(summary);
    EXPECT_EQ(summary.error().code, Errc::not_found);
    EXPECT_NE(summary.error().message.find("zones/"), std::string::npos);
}

TEST_F(ReloaderTest, PublishesEachNewCommit)
{
    if (const int probe = ::inotify_init1(IN_CLOEXEC); probe < 0) {
        GTEST_SKIP() << "inotify is unavailable here, so only polling can see commits";
    } else {
        ::close(probe);
    }
    commit({file("zones/example.com.zone", zone_text("example.com", 1))});
    auto writer = store::Repository::open(root_);
    ASSERT_TRUE(writer);

    Published<ZoneSet> zones;
    // A long poll interval, so that the change must come through inotify.
    Reloader reloader(std::move(*repository_),
                      {.branch = "main", .poll_interval = std::chrono::seconds(30), .on_load = {}}, zones);
    ASSERT_TRUE(reloader.load());
    EXPECT_EQ(zones.generation(), 1U);
    reloader.start();

    repository_.emplace(std::move(*writer));
    commit({file("zones/example.com.zone", zone_text("example.com", 2))});
    for (int i = 0; i < 100 && zones.generation() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(zones.generation(), 2U);
    EXPECT_EQ(find(*zones.load(), "example.com.")->serial(), 2U);
    reloader.stop();
}

TEST_F(ReloaderTest, PollingFindsCommitWithoutEvents)
{
    commit({file("zones/example.com.zone", zone_text("example.com", 1))});
    auto writer = store::Repository::open(root_);
    ASSERT_TRUE(writer);

    Published<ZoneSet> zones;
    Reloader reloader(std::move(*repository_),
                      {.branch = "refs/heads/main",
                       .poll_interval = std::chrono::milliseconds(50),
                       .on_load = {}},
                      zones);
    ASSERT_TRUE(reloader.load());
    // The commit lands before the watches exist, so only polling can see it.
    repository_.emplace(std::move(*writer));
    commit({file("zones/example.com.zone", zone_text("example.com", 2))});
    reloader.start();

    for (int i = 0; i < 100 && zones.generation() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(zones.generation(), 2U);
    EXPECT_EQ(find(*zones.load(), "example.com.")->serial(), 2U);
}

TEST_F(ReloaderTest, RequestedReloadRepublishes)
{
    commit({file("zones/example.com.zone", zone_text("example.com", 1))});
    Published<ZoneSet> zones;
    Reloader reloader(std::move(*repository_),
                      {.branch = {}, .poll_interval = std::chrono::seconds(30), .on_load = {}}, zones);
    ASSERT_TRUE(reloader.load());
    reloader.start();
    reloader.request_reload();
    for (int i = 0; i < 100 && zones.generation() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(zones.generation(), 2U);
    reloader.stop();
    reloader.stop();
}

} // namespace
} // namespace robur::dns
