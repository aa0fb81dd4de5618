#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "store/repository.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::store {
namespace {

using testing::commit_files;
using testing::git;
using testing::git_init;
using testing::git_rev;
using testing::TempDir;

std::vector<std::string> paths_of(const std::vector<Entry>& entries)
{
    std::vector<std::string> paths;
    for (const auto& entry : entries) {
        paths.push_back(entry.path);
    }
    return paths;
}

class SnapshotTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        work_ = temp_.path() / "work";
        git_init(work_);
        commit_files(work_,
                     {{"robur.conf", "[dns]\n"},
                      {"zones/example.com.zone", "old\n"},
                      {"zones/sub/nested.zone", "nested\n"},
                      {"keys/tsig.key", "secret\n"}},
                     "First");
        commit_files(work_, {{"zones/example.com.zone", "new\n"}}, "Second");
        auto repo = Repository::open(work_);
        ASSERT_TRUE(repo) << repo.error().message;
        repo_.emplace(std::move(*repo));
    }

    TempDir temp_;
    std::filesystem::path work_;
    std::optional<Repository> repo_;
};

TEST_F(SnapshotTest, ReadsHeadAndOlderCommit)
{
    auto head = repo_->snapshot();
    ASSERT_TRUE(head) << head.error().message;
    EXPECT_EQ(head->commit_id().to_string(), git_rev(work_, "HEAD"));
    EXPECT_EQ(*head->read("zones/example.com.zone"), "new\n");

    auto older = repo_->snapshot("HEAD~1");
    ASSERT_TRUE(older) << older.error().message;
    EXPECT_EQ(older->commit_id().to_string(), git_rev(work_, "HEAD~1"));
    EXPECT_EQ(*older->read("zones/example.com.zone"), "old\n");
}

TEST_F(SnapshotTest, IgnoresWorkTreeAndIndex)
{
    testing::write_file(work_ / "zones/example.com.zone", "edited\n");
    git(work_, "add zones/example.com.zone");
    testing::write_file(work_ / "zones/example.com.zone", "edited again\n");

    auto head = repo_->snapshot();
    ASSERT_TRUE(head);
    EXPECT_EQ(*head->read("zones/example.com.zone"), "new\n");
}

TEST_F(SnapshotTest, ListsFolderEntries)
{
    auto head = repo_->snapshot();
    ASSERT_TRUE(head);

    auto root = head->list("");
    ASSERT_TRUE(root) << root.error().message;
    EXPECT_EQ(paths_of(*root), (std::vector<std::string>{"keys", "robur.conf", "zones"}));
    EXPECT_TRUE((*root)[0].is_folder());
    EXPECT_EQ((*root)[1].mode, mode_file);

    auto zones = head->list("zones");
    ASSERT_TRUE(zones);
    EXPECT_EQ(paths_of(*zones),
              (std::vector<std::string>{"zones/example.com.zone", "zones/sub"}));
    EXPECT_EQ((*zones)[0].id.to_string(), git_rev(work_, "HEAD:zones/example.com.zone"));
}

TEST_F(SnapshotTest, ListsRecursively)
{
    auto head = repo_->snapshot();
    ASSERT_TRUE(head);

    auto all = head->list("", true);
    ASSERT_TRUE(all);
    EXPECT_EQ(paths_of(*all),
              (std::vector<std::string>{"keys/tsig.key", "robur.conf", "zones/example.com.zone",
                                        "zones/sub/nested.zone"}));

    auto zones = head->list("zones/", true);
    ASSERT_TRUE(zones);
    EXPECT_EQ(paths_of(*zones),
              (std::vector<std::string>{"zones/example.com.zone", "zones/sub/nested.zone"}));
}

TEST_F(SnapshotTest, ListRejectsMissingFolderAndFile)
{
    auto head = repo_->snapshot();
    ASSERT_TRUE(head);

    auto missing = head->list("calendars");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::not_found);

    auto file = head->list("robur.conf");
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().code, Errc::invalid_argument);
}

TEST_F(SnapshotTest, ReadRejectsMissingFileAndFolder)
{
    auto head = repo_->snapshot();
    ASSERT_TRUE(head);

    auto missing = head->read("zones/missing.zone");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_NE(missing.error().message.find("zones/missing.zone"), std::string::npos);

    auto folder = head->read("zones");
    ASSERT_FALSE(folder);
    EXPECT_EQ(folder.error().code, Errc::invalid_argument);

    for (const std::string path : {"/etc/passwd", "../x", "zones/../robur.conf", ".git/config"}) {
        auto outside = head->read(path);
        ASSERT_FALSE(outside) << path;
        EXPECT_EQ(outside.error().code, Errc::invalid_argument) << path;
    }
}

TEST_F(SnapshotTest, ReportsBlobIdsAndExistence)
{
    auto head = repo_->snapshot();
    ASSERT_TRUE(head);

    auto id = head->blob_id("zones/example.com.zone");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->to_string(), git_rev(work_, "HEAD:zones/example.com.zone"));
    EXPECT_FALSE(head->blob_id("zones"));
    EXPECT_FALSE(head->blob_id("zones/missing.zone"));

    EXPECT_TRUE(head->exists("zones"));
    EXPECT_TRUE(head->exists("zones/sub/nested.zone"));
    EXPECT_FALSE(head->exists("zones/missing.zone"));
}

TEST_F(SnapshotTest, OutlivesRepositoryAndServesThreads)
{
    auto head = repo_->snapshot();
    ASSERT_TRUE(head);
    const Snapshot copy = *head;
    repo_.reset();

    std::vector<std::thread> readers;
    std::vector<int> failures(4, 0);
    for (std::size_t i = 0; i < failures.size(); ++i) {
        readers.emplace_back([&copy, &failures, i] {
            for (int round = 0; round < 200; ++round) {
                auto text = copy.read("zones/sub/nested.zone");
                if (!text || *text != "nested\n") {
                    ++failures[i];
                }
            }
        });
    }
    for (auto& reader : readers) {
        reader.join();
    }
    EXPECT_EQ(std::count(failures.begin(), failures.end(), 0), 4);
}

} // namespace
} // namespace robur::store
