// ZoneHistory: the IXFR steps found in Git history, with $INCLUDEd files, repeated serials,
// versions that could not be served, limits and the cache; and transfer_records().

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/zone/record.hpp"
#include "servers/dns/zone_history.hpp"
#include "servers/dns/zone_index.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/repository.hpp"
#include "tests/unit/dns/dns_test_support.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::dns {
namespace {

using test::name;

constexpr std::string_view zone_path = "zones/example.com.zone";

std::string zone_text(std::uint32_t serial, const std::string& lines)
{
    return fmt::format("$TTL 300\n"
                       "@ IN SOA ns1 hostmaster {} 3600 600 86400 300\n"
                       "@ IN NS ns1\n"
                       "ns1 IN A 192.0.2.1\n{}",
                       serial, lines);
}

// A repository in a temporary folder that tests fill with commits.
class HistoryRepository {
public:
    HistoryRepository()
    {
        auto repository = store::Repository::init(temp_.path() / "repo", false);
        EXPECT_TRUE(repository) << repository.error().message;
        repository_.emplace(std::move(*repository));
    }

    // Commits files given as (path, content) pairs and returns the commit's snapshot.
    store::Snapshot commit(std::vector<store::FileChange> changes)
    {
        const auto head = repository_->branch_head().value();
        store::CommitRequest request{.branch = {},
                                     .expected_head = head,
                                     .changes = std::move(changes),
                                     .author = store::testing::test_author(),
                                     .committer = std::nullopt,
                                     .message = "Change the zone"};
        const auto id = repository_->commit(request);
        EXPECT_TRUE(id) << id.error().message;
        return repository_->snapshot(id->to_string()).value();
    }

    store::Snapshot commit_zone(std::uint32_t serial, const std::string& lines)
    {
        return commit({{std::string(zone_path), zone_text(serial, lines)}});
    }

    // The zone of snapshot as the server would serve it.
    static std::shared_ptr<const CompiledZone> served(const store::Snapshot& snapshot)
    {
        auto loaded = load_zone(snapshot, name("example.com.")).value().value();
        return compile_zone(std::make_shared<const zone::Zone>(std::move(loaded.result.zone)))
            .value();
    }

    ZoneHistory history(ZoneHistoryLimits limits = {})
    {
        return ZoneHistory(store::Repository::open(root()).value(), "main", limits);
    }

    [[nodiscard]] std::filesystem::path root() const { return temp_.path() / "repo"; }

private:
    store::testing::TempDir temp_;
    std::optional<store::Repository> repository_;
};

// record_to_string() with spaces in place of its tabs.
std::string line(const zone::Record& record)
{
    std::string text = zone::record_to_string(record);
    std::replace(text.begin(), text.end(), '\t', ' ');
    return text;
}

std::vector<std::string> describe(const std::vector<zone::Record>& records)
{
    std::vector<std::string> lines;
    for (const auto& record : records) {
        lines.push_back(line(record));
    }
    return lines;
}

std::uint32_t serial(const zone::Record& soa)
{
    return read_u32(soa.rdata.data() + soa.rdata.size() - 20);
}

TEST(ZoneHistory, ThreeSerialsGiveTwoStepsInOrder)
{
    HistoryRepository repository;
    repository.commit_zone(1, "www IN A 192.0.2.10\n");
    repository.commit_zone(2, "www IN A 192.0.2.10\nmail IN A 192.0.2.20\n");
    const auto head = repository.commit_zone(3, "www 600 IN A 192.0.2.10\nmail IN A 192.0.2.20\n");
    auto history = repository.history();

    const auto steps = history.steps(*HistoryRepository::served(head), 1);
    ASSERT_NE(steps, nullptr);
    ASSERT_EQ(steps->size(), 2U);

    const auto& first = (*steps)[0];
    EXPECT_EQ(serial(first.old_soa), 1U);
    EXPECT_EQ(serial(first.new_soa), 2U);
    EXPECT_TRUE(first.deleted.empty());
    EXPECT_EQ(describe(first.added),
              (std::vector<std::string>{"mail.example.com. 300 IN A 192.0.2.20"}));

    // A changed TTL is the old record deleted and the new one added.
    const auto& second = (*steps)[1];
    EXPECT_EQ(serial(second.old_soa), 2U);
    EXPECT_EQ(serial(second.new_soa), 3U);
    EXPECT_EQ(describe(second.deleted),
              (std::vector<std::string>{"www.example.com. 300 IN A 192.0.2.10"}));
    EXPECT_EQ(describe(second.added),
              (std::vector<std::string>{"www.example.com. 600 IN A 192.0.2.10"}));
}

TEST(ZoneHistory, FromCurrentSerialIsEmpty)
{
    HistoryRepository repository;
    repository.commit_zone(1, "");
    const auto head = repository.commit_zone(2, "www IN A 192.0.2.10\n");
    auto history = repository.history();

    const auto steps = history.steps(*HistoryRepository::served(head), 2);
    ASSERT_NE(steps, nullptr);
    EXPECT_TRUE(steps->empty());
}

TEST(ZoneHistory, UnknownSerialIsNull)
{
    HistoryRepository repository;
    repository.commit_zone(1, "");
    const auto head = repository.commit_zone(2, "www IN A 192.0.2.10\n");
    auto history = repository.history();

    EXPECT_EQ(history.steps(*HistoryRepository::served(head), 7), nullptr);
}

TEST(ZoneHistory, IncludedFileChangeIsStep)
{
    HistoryRepository repository;
    const std::string master = "$TTL 300\n$INCLUDE parts/example.com.soa\n"
                               "$INCLUDE parts/example.com.hosts\n";
    auto soa = [](std::uint32_t value) {
        return fmt::format("@ IN SOA ns1 hostmaster {} 3600 600 86400 300\n@ IN NS ns1\n", value);
    };
    repository.commit({{std::string(zone_path), master},
                       {"zones/parts/example.com.soa", soa(1)},
                       {"zones/parts/example.com.hosts", "ns1 IN A 192.0.2.1\n"}});
    repository.commit(
        {{"zones/parts/example.com.soa", soa(2)},
         {"zones/parts/example.com.hosts", "ns1 IN A 192.0.2.1\nwww IN A 192.0.2.10\n"}});
    repository.commit({{"README", "unrelated\n"}});
    const auto head =
        repository.commit({{"zones/parts/example.com.soa", soa(3)},
                           {"zones/parts/example.com.hosts", "ns1 IN A 192.0.2.2\n"
                                                             "www IN A 192.0.2.10\n"}});
    auto history = repository.history();

    const auto steps = history.steps(*HistoryRepository::served(head), 1);
    ASSERT_NE(steps, nullptr);
    ASSERT_EQ(steps->size(), 2U);
    EXPECT_EQ(describe((*steps)[0].added),
              (std::vector<std::string>{"www.example.com. 300 IN A 192.0.2.10"}));
    EXPECT_EQ(describe((*steps)[1].deleted),
              (std::vector<std::string>{"ns1.example.com. 300 IN A 192.0.2.1"}));
    EXPECT_EQ(describe((*steps)[1].added),
              (std::vector<std::string>{"ns1.example.com. 300 IN A 192.0.2.2"}));
}

TEST(ZoneHistory, CommentChangeIsNoStep)
{
    HistoryRepository repository;
    repository.commit_zone(1, "");
    repository.commit_zone(2, "www IN A 192.0.2.10\n");
    const auto head = repository.commit_zone(2, "www IN A 192.0.2.10 ; the web server\n");
    auto history = repository.history();

    const auto steps = history.steps(*HistoryRepository::served(head), 1);
    ASSERT_NE(steps, nullptr);
    ASSERT_EQ(steps->size(), 1U);
    EXPECT_EQ(serial((*steps)[0].new_soa), 2U);
}

TEST(ZoneHistory, SameSerialWithOtherRecordsIsAmbiguous)
{
    HistoryRepository repository;
    repository.commit_zone(1, "www IN A 192.0.2.10\n");
    repository.commit_zone(1, "www IN A 192.0.2.11\n");
    const auto head = repository.commit_zone(2, "www IN A 192.0.2.12\n");
    auto history = repository.history();

    EXPECT_EQ(history.steps(*HistoryRepository::served(head), 1), nullptr);
}

TEST(ZoneHistory, NewestVersionOfSerialCounts)
{
    HistoryRepository repository;
    repository.commit_zone(1, "");
    repository.commit_zone(2, "www IN A 192.0.2.10\n");
    repository.commit_zone(2, "www IN A 192.0.2.11\n"); // serial not raised
    const auto head = repository.commit_zone(3, "www IN A 192.0.2.11\nmail IN A 192.0.2.20\n");
    auto history = repository.history();

    const auto steps = history.steps(*HistoryRepository::served(head), 1);
    ASSERT_NE(steps, nullptr);
    ASSERT_EQ(steps->size(), 2U);
    EXPECT_EQ(describe((*steps)[0].added),
              (std::vector<std::string>{"www.example.com. 300 IN A 192.0.2.11"}));
    EXPECT_EQ(describe((*steps)[1].added),
              (std::vector<std::string>{"mail.example.com. 300 IN A 192.0.2.20"}));
}

TEST(ZoneHistory, BrokenVersionsAreSkipped)
{
    HistoryRepository repository;
    repository.commit_zone(1, "");
    repository.commit_zone(2, "www IN A not-an-address\n"); // rejected by the server
    const auto served = repository.commit_zone(3, "www IN A 192.0.2.10\n");
    repository.commit_zone(4, "mail IN CNAME\n"); // the branch head fails to load
    auto history = repository.history();

    const auto steps = history.steps(*HistoryRepository::served(served), 1);
    ASSERT_NE(steps, nullptr);
    ASSERT_EQ(steps->size(), 1U);
    EXPECT_EQ(serial((*steps)[0].old_soa), 1U);
    EXPECT_EQ(serial((*steps)[0].new_soa), 3U);
}

TEST(ZoneHistory, ServedRecordsPickTheVersion)
{
    HistoryRepository repository;
    repository.commit_zone(1, "");
    const auto served = repository.commit_zone(2, "www IN A 192.0.2.10\n");
    repository.commit_zone(2, "www IN A 192.0.2.99\n"); // not served yet
    auto history = repository.history();

    const auto steps = history.steps(*HistoryRepository::served(served), 1);
    ASSERT_NE(steps, nullptr);
    ASSERT_EQ(steps->size(), 1U);
    EXPECT_EQ(describe((*steps)[0].added),
              (std::vector<std::string>{"www.example.com. 300 IN A 192.0.2.10"}));
}

TEST(ZoneHistory, CommitLimitGivesNull)
{
    HistoryRepository repository;
    for (std::uint32_t serial = 1; serial <= 5; ++serial) {
        repository.commit_zone(serial, fmt::format("www IN A 192.0.2.{}\n", serial));
    }
    auto history = repository.history(ZoneHistoryLimits{.max_commits = 3});

    EXPECT_EQ(history.steps(name("example.com."), 1, 5), nullptr);
    const auto near = history.steps(name("example.com."), 3, 5);
    ASSERT_NE(near, nullptr);
    EXPECT_EQ(near->size(), 2U);
}

TEST(ZoneHistory, TimeLimitGivesNull)
{
    HistoryRepository repository;
    repository.commit_zone(1, "");
    const auto head = repository.commit_zone(2, "www IN A 192.0.2.10\n");
    auto history = repository.history(ZoneHistoryLimits{.max_time = std::chrono::milliseconds(-1)});

    EXPECT_EQ(history.steps(*HistoryRepository::served(head), 1), nullptr);
}

TEST(ZoneHistory, MissingBranchGivesNull)
{
    HistoryRepository repository;
    const auto head = repository.commit_zone(1, "");
    auto history = ZoneHistory(store::Repository::open(repository.root()).value(), "other");

    EXPECT_EQ(history.steps(*HistoryRepository::served(head), 1), nullptr);
    EXPECT_EQ(history.walk_count(), 0U);
}

TEST(ZoneHistory, CachesUntilBranchMoves)
{
    HistoryRepository repository;
    repository.commit_zone(1, "");
    const auto head = repository.commit_zone(2, "www IN A 192.0.2.10\n");
    auto history = repository.history();
    const auto zone = HistoryRepository::served(head);

    const auto first = history.steps(*zone, 1);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(history.steps(*zone, 1), first);
    }
    EXPECT_EQ(history.walk_count(), 1U);
    EXPECT_EQ(history.steps(*zone, 9), nullptr); // a miss is cached too
    EXPECT_EQ(history.steps(*zone, 9), nullptr);
    EXPECT_EQ(history.walk_count(), 2U);

    const auto next = HistoryRepository::served(repository.commit_zone(3, ""));
    const auto steps = history.steps(*next, 1);
    ASSERT_NE(steps, nullptr);
    EXPECT_EQ(steps->size(), 2U);
    EXPECT_EQ(history.walk_count(), 3U);
}

TEST(TransferRecords, SoaFirstThenCanonicalOrderOnce)
{
    test::ZoneBuilder builder("example.com.");
    builder.a("b", "192.0.2.2")
        .a("A", "192.0.2.1")
        .a("a", "192.0.2.1", 600) // the same record with another TTL: sent once
        .a("outside.example.org.", "192.0.2.9")
        .add("c", zone::rrtype::txt, {1, 'x'}, 300, zone::rrclass::ch);
    const auto records = transfer_records(builder.zone());

    std::vector<std::string> lines;
    for (const auto* record : records) {
        lines.push_back(line(*record));
    }
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(records[0]->type, zone::rrtype::soa);
    EXPECT_EQ(lines[1], "A.example.com. 3600 IN A 192.0.2.1");
    EXPECT_EQ(lines[2], "b.example.com. 3600 IN A 192.0.2.2");
}

TEST(TransferRecords, NoApexSoaGivesNothing)
{
    zone::Zone zone;
    zone.origin = name("example.com.");
    zone.records.push_back(zone::Record{.owner = name("www.example.com."),
                                        .type = zone::rrtype::a,
                                        .rclass = zone::rrclass::in,
                                        .ttl = 300,
                                        .rdata = {192, 0, 2, 1},
                                        .where = {}});
    EXPECT_TRUE(transfer_records(zone).empty());
}

} // namespace
} // namespace robur::dns
