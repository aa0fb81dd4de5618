#include <atomic>
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
using testing::test_author;

FileChange write(std::string path, std::string content, std::uint32_t mode = mode_file)
{
    return FileChange{std::move(path), std::move(content), mode};
}

FileChange remove(std::string path)
{
    return FileChange{std::move(path), std::nullopt, mode_file};
}

CommitRequest request_on(const std::optional<ObjectId>& head, std::vector<FileChange> changes,
                         std::string message = "Change zones")
{
    return CommitRequest{.branch = "",
                         .expected_head = head,
                         .changes = std::move(changes),
                         .author = test_author(),
                         .committer = std::nullopt,
                         .message = std::move(message)};
}

// A bare repository with one commit, so commits never touch a work tree.
class CommitTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        const auto seed = temp_.path() / "seed";
        git_init(seed);
        commit_files(seed, {{"robur.conf", "[dns]\n"}, {"zones/a.zone", "a\n"}}, "Seed");
        git(temp_.path(), "clone -q --bare seed bare.git");
        bare_ = temp_.path() / "bare.git";
        git(bare_, "config core.logAllRefUpdates true");

        auto repo = Repository::open(bare_);
        ASSERT_TRUE(repo) << repo.error().message;
        repo_.emplace(std::move(*repo));
        head_ = *repo_->resolve("HEAD");
    }

    std::string read_at(const std::string& revision, const std::string& path)
    {
        auto snapshot = repo_->snapshot(revision);
        EXPECT_TRUE(snapshot) << snapshot.error().message;
        auto text = snapshot->read(path);
        return text ? *text : "<" + text.error().message + ">";
    }

    TempDir temp_;
    std::filesystem::path bare_;
    std::optional<Repository> repo_;
    ObjectId head_;
};

TEST_F(CommitTest, AddsChangesAndRemovesNestedFiles)
{
    auto first = repo_->commit(request_on(
        head_, {write("zones/sub/deep/b.zone", "b\n"), write("zones/a.zone", "a2\n")}));
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_NE(*first, head_);
    EXPECT_EQ(read_at("HEAD", "zones/sub/deep/b.zone"), "b\n");
    EXPECT_EQ(read_at("HEAD", "zones/a.zone"), "a2\n");
    EXPECT_EQ(read_at("HEAD", "robur.conf"), "[dns]\n");

    auto second = repo_->commit(request_on(*first, {remove("zones/sub/deep/b.zone")}));
    ASSERT_TRUE(second) << second.error().message;
    auto snapshot = repo_->snapshot();
    ASSERT_TRUE(snapshot);
    EXPECT_FALSE(snapshot->exists("zones/sub"));
    EXPECT_TRUE(snapshot->exists("zones/a.zone"));

    auto parent = repo_->parent(*second);
    ASSERT_TRUE(parent);
    ASSERT_TRUE(*parent);
    EXPECT_EQ(**parent, *first);
    EXPECT_EQ(git(bare_, "fsck --no-progress"), "");
}

TEST_F(CommitTest, RecordsAuthorMessageAndReflog)
{
    auto request = request_on(head_, {write("zones/a.zone", "a2\n")}, "Update a\n\nDetails.");
    request.committer = Signature{.name = "Robur Server", .email = "robur@localhost",
                                  .time = 1700000000, .utc_offset_minutes = 60};
    auto id = repo_->commit(request);
    ASSERT_TRUE(id) << id.error().message;

    auto info = repo_->commit_info(*id);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->author.name, "Robur Test");
    EXPECT_EQ(info->author.email, "robur-test@example.com");
    EXPECT_EQ(info->committer.name, "Robur Server");
    EXPECT_EQ(info->committer.time, 1700000000);
    EXPECT_EQ(info->committer.utc_offset_minutes, 60);
    EXPECT_EQ(info->summary, "Update a");
    EXPECT_EQ(info->message, "Update a\n\nDetails.\n");

    EXPECT_EQ(git(bare_, "reflog show --format=%gs -n 1 refs/heads/main"),
              "commit: Update a\n");
}

TEST_F(CommitTest, RecordsExecutableAndSymlinkModes)
{
    auto id = repo_->commit(request_on(head_, {write("hooks/run", "#!/bin/sh\n", mode_executable),
                                               write("current.zone", "zones/a.zone",
                                                     mode_symlink)}));
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(git(bare_, "ls-tree HEAD hooks/run current.zone --format='%(objectmode) %(path)'"),
              "120000 current.zone\n100755 hooks/run\n");
}

TEST_F(CommitTest, UnchangedTreeMakesNoCommit)
{
    auto same = repo_->commit(request_on(head_, {write("zones/a.zone", "a\n")}));
    ASSERT_TRUE(same) << same.error().message;
    EXPECT_EQ(*same, head_);

    auto empty = repo_->commit(request_on(head_, {}));
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, head_);
    EXPECT_EQ(git_rev(bare_, "HEAD"), head_.to_string());
}

TEST_F(CommitTest, SecondWriterFromSameHeadConflicts)
{
    auto first = repo_->commit(request_on(head_, {write("zones/a.zone", "first\n")}));
    ASSERT_TRUE(first) << first.error().message;

    auto second = repo_->commit(request_on(head_, {write("zones/b.zone", "second\n")}));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, Errc::conflict);
    EXPECT_NE(second.error().message.find("refs/heads/main"), std::string::npos);

    EXPECT_EQ(git_rev(bare_, "HEAD"), first->to_string());
    EXPECT_EQ(read_at("HEAD", "zones/a.zone"), "first\n");
    auto snapshot = repo_->snapshot();
    EXPECT_FALSE(snapshot->exists("zones/b.zone"));
}

TEST_F(CommitTest, GitCliCommitBetweenSnapshotAndCommitConflicts)
{
    auto snapshot = repo_->snapshot();
    ASSERT_TRUE(snapshot);

    const auto clone = temp_.path() / "clone";
    git(temp_.path(), "clone -q bare.git clone");
    commit_files(clone, {{"zones/a.zone", "from git\n"}}, "Edit with git");
    git(clone, "push -q origin main");

    auto ours = repo_->commit(
        request_on(snapshot->commit_id(), {write("zones/a.zone", "from robur\n")}));
    ASSERT_FALSE(ours);
    EXPECT_EQ(ours.error().code, Errc::conflict);
    EXPECT_EQ(git_rev(bare_, "main"), git_rev(clone, "HEAD"));
    EXPECT_EQ(read_at("HEAD", "zones/a.zone"), "from git\n");
}

TEST_F(CommitTest, ConcurrentWritersLoseNoChange)
{
    constexpr int writers = 4;
    constexpr int commits_per_writer = 8;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int writer = 0; writer < writers; ++writer) {
        threads.emplace_back([this, writer, &failures] {
            // Each writer has its own Repository, so only the branch's lock file orders them.
            auto repo = Repository::open(bare_);
            if (!repo) {
                ++failures;
                return;
            }
            for (int n = 0; n < commits_per_writer; ++n) {
                const std::string path = "zones/w" + std::to_string(writer) + "-" +
                                         std::to_string(n) + ".zone";
                bool committed = false;
                for (int attempt = 0; attempt < 1000 && !committed; ++attempt) {
                    auto head = repo->branch_head("main");
                    auto id = repo->commit(request_on(**head, {write(path, path)}));
                    if (!id && id.error().code != Errc::conflict) {
                        break;
                    }
                    committed = id.has_value();
                }
                if (!committed) {
                    ++failures;
                    return;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }

    EXPECT_EQ(failures.load(), 0);
    auto snapshot = repo_->snapshot();
    ASSERT_TRUE(snapshot);
    auto zones = snapshot->list("zones");
    ASSERT_TRUE(zones);
    EXPECT_EQ(zones->size(), 1U + writers * commits_per_writer);
    auto log = repo_->log();
    ASSERT_TRUE(log);
    EXPECT_EQ(log->size(), 1U + writers * commits_per_writer);
}

TEST_F(CommitTest, ComparesPackedBranch)
{
    git(bare_, "pack-refs --all");
    ASSERT_FALSE(std::filesystem::exists(bare_ / "refs/heads/main"));

    auto stale = repo_->commit(request_on(ObjectId(), {write("zones/a.zone", "x\n")}));
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, Errc::conflict);

    auto id = repo_->commit(request_on(head_, {write("zones/a.zone", "packed\n")}));
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(git_rev(bare_, "main"), id->to_string());
}

TEST_F(CommitTest, CommitsToOtherBranch)
{
    auto missing = repo_->commit(CommitRequest{.branch = "staging",
                                               .expected_head = head_,
                                               .changes = {write("zones/a.zone", "x\n")},
                                               .author = test_author(),
                                               .committer = std::nullopt,
                                               .message = "Stage"});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::conflict);

    auto created = repo_->commit(CommitRequest{.branch = "refs/heads/staging",
                                               .expected_head = std::nullopt,
                                               .changes = {write("zones/a.zone", "x\n")},
                                               .author = test_author(),
                                               .committer = std::nullopt,
                                               .message = "Stage"});
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(git_rev(bare_, "staging"), created->to_string());
    EXPECT_EQ(git_rev(bare_, "main"), head_.to_string());
    auto parent = repo_->parent(*created);
    ASSERT_TRUE(parent);
    EXPECT_FALSE(*parent);
}

TEST_F(CommitTest, ReplacesFolderByFileInOneCommit)
{
    auto seeded = repo_->commit(request_on(
        head_, {write("cal/work/.collection", "c\n"), write("cal/work/a.ics", "a\n")}));
    ASSERT_TRUE(seeded) << seeded.error().message;

    auto replaced = repo_->commit(request_on(*seeded, {remove("cal/work/.collection"),
                                                       write("cal/work", "file\n"),
                                                       remove("cal/work/a.ics")}));
    ASSERT_TRUE(replaced) << replaced.error().message;
    EXPECT_EQ(read_at("HEAD", "cal/work"), "file\n");
    EXPECT_EQ(git(bare_, "ls-tree -r --name-only HEAD cal"), "cal/work\n");
    auto parent = repo_->parent(*replaced);
    ASSERT_TRUE(parent);
    ASSERT_TRUE(*parent);
    EXPECT_EQ(**parent, *seeded);
    EXPECT_EQ(git(bare_, "fsck --no-progress"), "");
}

TEST_F(CommitTest, ReplacesFileByFolderInOneCommit)
{
    auto replaced = repo_->commit(request_on(
        head_, {write("zones/a.zone/x", "x\n"), remove("zones/a.zone"),
                write("zones/a.zone/y/z", "z\n")}));
    ASSERT_TRUE(replaced) << replaced.error().message;
    EXPECT_EQ(read_at("HEAD", "zones/a.zone/x"), "x\n");
    EXPECT_EQ(read_at("HEAD", "zones/a.zone/y/z"), "z\n");
    EXPECT_EQ(git(bare_, "ls-tree -r --name-only HEAD zones"),
              "zones/a.zone/x\nzones/a.zone/y/z\n");
    // The intermediate tree without zones/a.zone is left unreachable, for git gc to prune.
    EXPECT_EQ(git(bare_, "fsck --no-progress --no-dangling"), "");
}

TEST_F(CommitTest, RejectsFolderReplacementKeepingFiles)
{
    auto seeded = repo_->commit(request_on(
        head_, {write("cal/work/a.ics", "a\n"), write("cal/work/b.ics", "b\n")}));
    ASSERT_TRUE(seeded) << seeded.error().message;

    auto replaced = repo_->commit(
        request_on(*seeded, {remove("cal/work/a.ics"), write("cal/work", "file\n")}));
    ASSERT_FALSE(replaced);
    EXPECT_EQ(replaced.error().code, Errc::invalid_argument);
    EXPECT_NE(replaced.error().message.find("'cal/work' is a folder"), std::string::npos)
        << replaced.error().message;
    EXPECT_EQ(git_rev(bare_, "HEAD"), seeded->to_string());
}

TEST_F(CommitTest, RejectsInvalidRequests)
{
    struct Case {
        const char* name;
        CommitRequest request;
        Errc code;
    };
    const std::vector<Case> cases = {
        {"parent folder", request_on(head_, {write("../x", "x")}), Errc::invalid_argument},
        {"absolute", request_on(head_, {write("/etc/x", "x")}), Errc::invalid_argument},
        {"git folder", request_on(head_, {write("a/.GIT/config", "x")}), Errc::invalid_argument},
        {"empty component", request_on(head_, {write("zones//a", "x")}), Errc::invalid_argument},
        {"twice", request_on(head_, {write("b", "1"), write("b", "2")}), Errc::invalid_argument},
        {"file and below", request_on(head_, {write("c", "1"), write("c/d", "2")}),
         Errc::invalid_argument},
        {"file and below a removal",
         request_on(head_, {write("zones/a.zone", "1"), write("zones/a.zone/d", "2"),
                            remove("zones/a.zone/e")}),
         Errc::invalid_argument},
        {"removed file and below",
         request_on(head_, {remove("zones/a.zone"), remove("zones/a.zone/d")}),
         Errc::not_found},
        {"folder below a kept file",
         request_on(head_, {remove("robur.conf/x"), write("robur.conf/y", "y")}),
         Errc::not_found},
        {"mode", request_on(head_, {write("x", "x", 0100600)}), Errc::invalid_argument},
        {"empty message", request_on(head_, {write("x", "x")}, ""), Errc::invalid_argument},
        {"remove missing", request_on(head_, {remove("zones/none.zone")}), Errc::not_found},
        {"remove folder", request_on(head_, {remove("zones")}), Errc::invalid_argument},
        {"write folder", request_on(head_, {write("zones", "x")}), Errc::invalid_argument},
        {"file in the way", request_on(head_, {write("robur.conf/x", "x")}),
         Errc::invalid_argument},
        {"tag as branch",
         CommitRequest{.branch = "refs/tags/v1", .expected_head = head_,
                       .changes = {write("x", "x")}, .author = test_author(),
                       .committer = std::nullopt, .message = "m"},
         Errc::invalid_argument},
    };
    for (const auto& c : cases) {
        auto id = repo_->commit(c.request);
        ASSERT_FALSE(id) << c.name;
        EXPECT_EQ(id.error().code, c.code) << c.name << ": " << id.error().message;
    }
    EXPECT_EQ(git_rev(bare_, "HEAD"), head_.to_string());
}

TEST(CommitUnborn, FirstCommitNeedsNoHead)
{
    TempDir temp;
    auto repo = Repository::init(temp.path() / "bare.git", true);
    ASSERT_TRUE(repo);

    auto nothing = repo->commit(request_on(std::nullopt, {}));
    ASSERT_FALSE(nothing);
    EXPECT_EQ(nothing.error().code, Errc::invalid_argument);

    auto first = repo->commit(request_on(std::nullopt, {write("robur.conf", "[dns]\n")}, "Init"));
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(git_rev(temp.path() / "bare.git", "main"), first->to_string());
    EXPECT_EQ(git(temp.path() / "bare.git", "reflog show --format=%gs main"),
              "commit (initial): Init\n");

    auto again = repo->commit(request_on(std::nullopt, {write("robur.conf", "[x]\n")}, "Init"));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::conflict);
}

} // namespace
} // namespace robur::store
