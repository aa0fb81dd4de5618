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

class RepositoryTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        work_ = temp_.path() / "work";
        git_init(work_);
        commit_files(work_, {{"zones/a.zone", "a1\n"}, {"robur.conf", "[dns]\n"}}, "First");
        commit_files(work_, {{"zones/b.zone", "b1\n"}}, "Second");
        commit_files(work_, {{"zones/a.zone", "a2\n"}}, "Third");
    }

    TempDir temp_;
    std::filesystem::path work_;
};

TEST_F(RepositoryTest, OpensWorkTree)
{
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo) << repo.error().message;
    EXPECT_FALSE(repo->is_bare());
    ASSERT_TRUE(repo->workdir());
    EXPECT_EQ(std::filesystem::canonical(*repo->workdir()), std::filesystem::canonical(work_));
    EXPECT_EQ(std::filesystem::canonical(repo->git_dir()),
              std::filesystem::canonical(work_ / ".git"));
}

TEST_F(RepositoryTest, OpensBareClone)
{
    const auto bare = temp_.path() / "bare.git";
    git(temp_.path(), "clone -q --bare work bare.git");

    auto repo = Repository::open(bare);
    ASSERT_TRUE(repo) << repo.error().message;
    EXPECT_TRUE(repo->is_bare());
    EXPECT_FALSE(repo->workdir());
    auto head = repo->resolve("HEAD");
    ASSERT_TRUE(head) << head.error().message;
    EXPECT_EQ(head->to_string(), git_rev(work_, "HEAD"));
}

TEST_F(RepositoryTest, OpenRejectsSubfolder)
{
    auto repo = Repository::open(work_ / "zones");
    ASSERT_FALSE(repo);
    EXPECT_EQ(repo.error().code, Errc::not_found);
}

TEST_F(RepositoryTest, OpenReportsMissingRepository)
{
    auto repo = Repository::open(temp_.path() / "nothing-here");
    ASSERT_FALSE(repo);
    EXPECT_EQ(repo.error().code, Errc::not_found);
}

TEST_F(RepositoryTest, DiscoversFromSubfolder)
{
    std::filesystem::create_directories(work_ / "zones" / "deeper");
    auto repo = Repository::discover(work_ / "zones" / "deeper");
    ASSERT_TRUE(repo) << repo.error().message;
    EXPECT_EQ(std::filesystem::canonical(*repo->workdir()), std::filesystem::canonical(work_));
}

TEST_F(RepositoryTest, DiscoverStopsAtCeiling)
{
    const auto outside = temp_.path() / "outside";
    std::filesystem::create_directories(outside / "sub");
    ::setenv("GIT_CEILING_DIRECTORIES", temp_.path().c_str(), 1);
    auto repo = Repository::discover(outside / "sub");
    ::unsetenv("GIT_CEILING_DIRECTORIES");

    ASSERT_FALSE(repo);
    EXPECT_EQ(repo.error().code, Errc::not_found);
}

TEST_F(RepositoryTest, DiscoverHonoursGitDir)
{
    const auto bare = temp_.path() / "bare.git";
    git(temp_.path(), "clone -q --bare work bare.git");
    ::setenv("GIT_DIR", bare.c_str(), 1);
    auto repo = Repository::discover(temp_.path());
    ::unsetenv("GIT_DIR");

    ASSERT_TRUE(repo) << repo.error().message;
    EXPECT_TRUE(repo->is_bare());
}

TEST_F(RepositoryTest, DiscoverReadsQuarantinedObjects)
{
    // git runs pre-receive hooks with the pushed objects in a quarantine folder named by
    // GIT_OBJECT_DIRECTORY, and the repository's own objects as an alternate.
    const auto bare = temp_.path() / "bare.git";
    const auto quarantine = temp_.path() / "incoming";
    git(temp_.path(), "clone -q --bare work bare.git");
    std::filesystem::create_directories(quarantine / "pack");
    const std::string environment = "GIT_DIR=" + testing::shell_quote(bare.string()) +
                                    " GIT_OBJECT_DIRECTORY=" +
                                    testing::shell_quote(quarantine.string()) +
                                    " GIT_ALTERNATE_OBJECT_DIRECTORIES=" +
                                    testing::shell_quote((bare / "objects").string());
    const std::string script =
        environment + " sh -c 'blob=$(echo pushed | git hash-object -w --stdin) && "
                      "tree=$(printf \"100644 blob %s\\tnew.zone\\n\" $blob | git mktree) && "
                      "git commit-tree -p HEAD -m Pushed $tree'";
    const testing::CommandResult created = testing::run_shell(script);
    ASSERT_EQ(created.status, 0) << created.output;
    const std::string pushed = created.output.substr(0, 40);

    auto plain = Repository::open(bare);
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->resolve(pushed));

    ::setenv("GIT_DIR", bare.c_str(), 1);
    ::setenv("GIT_OBJECT_DIRECTORY", quarantine.c_str(), 1);
    ::setenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", (bare / "objects").c_str(), 1);
    auto hooked = Repository::discover(temp_.path());
    ::unsetenv("GIT_DIR");
    ::unsetenv("GIT_OBJECT_DIRECTORY");
    ::unsetenv("GIT_ALTERNATE_OBJECT_DIRECTORIES");

    ASSERT_TRUE(hooked) << hooked.error().message;
    auto snapshot = hooked->snapshot(pushed);
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    EXPECT_EQ(*snapshot->read("new.zone"), "pushed\n");
    auto parent = hooked->parent(snapshot->commit_id());
    ASSERT_TRUE(parent);
    ASSERT_TRUE(*parent);
    EXPECT_EQ((*parent)->to_string(), git_rev(work_, "HEAD"));
}

TEST_F(RepositoryTest, ResolvesRevisions)
{
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);
    git(work_, "tag -a v1 -m 'Version 1' HEAD~1");
    const std::string head = git_rev(work_, "HEAD");

    for (const std::string revision : {"HEAD~1", "v1", "main~1"}) {
        auto id = repo->resolve(revision);
        ASSERT_TRUE(id) << revision << ": " << id.error().message;
        EXPECT_EQ(id->to_string(), git_rev(work_, "HEAD~1")) << revision;
    }
    auto abbreviated = repo->resolve(head.substr(0, 10));
    ASSERT_TRUE(abbreviated) << abbreviated.error().message;
    EXPECT_EQ(abbreviated->to_string(), head);
    auto by_default = repo->resolve("");
    ASSERT_TRUE(by_default);
    EXPECT_EQ(by_default->to_string(), head);
}

TEST_F(RepositoryTest, ResolveRejectsUnknownRevision)
{
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);
    for (const std::string revision : {"no-such-branch", "HEAD~10", "HEAD:robur.conf"}) {
        auto id = repo->resolve(revision);
        ASSERT_FALSE(id) << revision;
        EXPECT_EQ(id.error().code, Errc::not_found) << revision;
    }
}

TEST_F(RepositoryTest, HeadBranchNamesBranch)
{
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);
    auto branch = repo->head_branch();
    ASSERT_TRUE(branch);
    EXPECT_EQ(*branch, "refs/heads/main");
}

TEST_F(RepositoryTest, HeadBranchRejectsDetachedHead)
{
    git(work_, "checkout -q --detach HEAD~1");
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);
    auto branch = repo->head_branch();
    ASSERT_FALSE(branch);
    EXPECT_EQ(branch.error().code, Errc::invalid_argument);
}

TEST_F(RepositoryTest, BranchHeadOfMissingBranchIsEmpty)
{
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);
    auto missing = repo->branch_head("other");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
    auto main = repo->branch_head("main");
    ASSERT_TRUE(main);
    ASSERT_TRUE(*main);
    EXPECT_EQ((*main)->to_string(), git_rev(work_, "main"));
    auto invalid = repo->branch_head("bad..name");
    ASSERT_FALSE(invalid);
    EXPECT_EQ(invalid.error().code, Errc::invalid_argument);
}

TEST_F(RepositoryTest, LogListsCommitsChangingPath)
{
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);

    auto all = repo->log();
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 3U);
    EXPECT_EQ((*all)[0].summary, "Third");
    EXPECT_EQ((*all)[2].summary, "First");
    EXPECT_TRUE((*all)[2].parents.empty());

    auto zone_a = repo->log("", "zones/a.zone");
    ASSERT_TRUE(zone_a);
    ASSERT_EQ(zone_a->size(), 2U);
    EXPECT_EQ((*zone_a)[0].summary, "Third");
    EXPECT_EQ((*zone_a)[1].summary, "First");
    EXPECT_EQ((*zone_a)[0].author.name, "Test Author");
    EXPECT_EQ((*zone_a)[0].message, "Third\n");

    auto folder = repo->log("HEAD~1", "zones");
    ASSERT_TRUE(folder);
    EXPECT_EQ(folder->size(), 2U);

    auto limited = repo->log("", "", 1);
    ASSERT_TRUE(limited);
    EXPECT_EQ(limited->size(), 1U);
}

TEST_F(RepositoryTest, LogSkipsMergeMatchingAParent)
{
    git(work_, "checkout -q -b side HEAD~1");
    commit_files(work_, {{"zones/c.zone", "c1\n"}}, "Side");
    git(work_, "checkout -q main");
    git(work_, "merge -q --no-ff -m Merge side");

    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);
    auto zone_c = repo->log("", "zones/c.zone");
    ASSERT_TRUE(zone_c);
    ASSERT_EQ(zone_c->size(), 1U);
    EXPECT_EQ((*zone_c)[0].summary, "Side");
}

TEST_F(RepositoryTest, ChangedFilesBetweenCommits)
{
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);
    const ObjectId first = *repo->resolve("HEAD~2");
    const ObjectId head = *repo->resolve("HEAD");
    git(work_, "rm -q robur.conf");
    git(work_, "commit -q -m 'Remove configuration'");
    const ObjectId last = *repo->resolve("HEAD");

    auto zones = repo->changed_files(first, head, "zones");
    ASSERT_TRUE(zones) << zones.error().message;
    ASSERT_EQ(zones->size(), 2U);
    EXPECT_EQ((*zones)[0].path, "zones/a.zone");
    EXPECT_EQ((*zones)[0].old_id->to_string(), git_rev(work_, "HEAD~3:zones/a.zone"));
    EXPECT_EQ((*zones)[0].new_id->to_string(), git_rev(work_, "HEAD~1:zones/a.zone"));
    EXPECT_EQ((*zones)[1].path, "zones/b.zone");
    EXPECT_FALSE((*zones)[1].old_id);
    EXPECT_TRUE((*zones)[1].new_id);

    auto removed = repo->changed_files(head, last);
    ASSERT_TRUE(removed);
    ASSERT_EQ(removed->size(), 1U);
    EXPECT_EQ((*removed)[0].path, "robur.conf");
    EXPECT_TRUE((*removed)[0].old_id);
    EXPECT_FALSE((*removed)[0].new_id);

    auto everything = repo->changed_files(std::nullopt, first);
    ASSERT_TRUE(everything);
    EXPECT_EQ(everything->size(), 2U);

    auto prefix_only = repo->changed_files(first, head, "zone");
    ASSERT_TRUE(prefix_only);
    EXPECT_TRUE(prefix_only->empty());

    auto one_file = repo->changed_files(first, head, "zones/b.zone");
    ASSERT_TRUE(one_file);
    EXPECT_EQ(one_file->size(), 1U);
}

TEST_F(RepositoryTest, ParentFollowsFirstParent)
{
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);
    auto head = repo->resolve("HEAD");
    ASSERT_TRUE(head);
    auto parent = repo->parent(*head);
    ASSERT_TRUE(parent);
    ASSERT_TRUE(*parent);
    EXPECT_EQ((*parent)->to_string(), git_rev(work_, "HEAD~1"));

    auto root = repo->resolve("HEAD~2");
    ASSERT_TRUE(root);
    auto none = repo->parent(*root);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);

    auto missing = repo->parent(ObjectId());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(RepositoryTest, DefaultSignatureReadsEnvironmentThenConfig)
{
    auto repo = Repository::open(work_);
    ASSERT_TRUE(repo);
    auto from_environment = repo->default_signature();
    ASSERT_TRUE(from_environment);
    EXPECT_EQ(from_environment->name, "Test Author");
    EXPECT_EQ(from_environment->email, "author@example.com");

    ::unsetenv("GIT_AUTHOR_NAME");
    ::unsetenv("GIT_AUTHOR_EMAIL");
    auto unset = repo->default_signature();
    git(work_, "config user.name 'Config Name'");
    git(work_, "config user.email config@example.com");
    auto from_config = repo->default_signature();
    ::setenv("GIT_AUTHOR_NAME", "Test Author", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);

    ASSERT_FALSE(unset);
    EXPECT_EQ(unset.error().code, Errc::not_found);
    EXPECT_NE(unset.error().message.find("user.name"), std::string::npos);
    ASSERT_TRUE(from_config) << from_config.error().message;
    EXPECT_EQ(from_config->name, "Config Name");
    EXPECT_EQ(from_config->email, "config@example.com");
}

TEST(RepositoryInit, CreatesUnbornBranch)
{
    TempDir temp;
    auto repo = Repository::init(temp.path() / "new" / "repo", false, "main");
    ASSERT_TRUE(repo) << repo.error().message;
    auto branch = repo->head_branch();
    ASSERT_TRUE(branch);
    EXPECT_EQ(*branch, "refs/heads/main");
    auto head = repo->branch_head();
    ASSERT_TRUE(head);
    EXPECT_FALSE(*head);

    auto snapshot = repo->snapshot();
    ASSERT_FALSE(snapshot);
    EXPECT_EQ(snapshot.error().code, Errc::not_found);
    EXPECT_NE(snapshot.error().message.find("no commits yet"), std::string::npos);
}

TEST(RepositoryInit, BareRepositoryLogsRefUpdates)
{
    TempDir temp;
    auto repo = Repository::init(temp.path() / "bare.git", true, "trunk");
    ASSERT_TRUE(repo) << repo.error().message;
    EXPECT_TRUE(repo->is_bare());
    EXPECT_EQ(*repo->head_branch(), "refs/heads/trunk");
    EXPECT_EQ(git(temp.path() / "bare.git", "config core.logAllRefUpdates"), "true\n");
}

TEST(FullBranchName, AddsRefsHeads)
{
    EXPECT_EQ(full_branch_name(""), "");
    EXPECT_EQ(full_branch_name("main"), "refs/heads/main");
    EXPECT_EQ(full_branch_name("refs/heads/x"), "refs/heads/x");
}

} // namespace
} // namespace robur::store
