#include <gtest/gtest.h>

#include "store/repository.hpp"
#include "store/revert.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::store {
namespace {

using testing::commit_files;
using testing::git;
using testing::git_init;
using testing::git_rev;
using testing::TempDir;

// A work tree with three commits: "Seed" (a, b), "Edit" (a edited, c added, b removed) and
// "Other" (d added).
class RevertTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        work_ = temp_.path() / "work";
        git_init(work_);
        commit_files(work_, {{"contacts/a.vcf", "a1\n"}, {"contacts/b.vcf", "b1\n"}}, "Seed");
        commit_files(work_, {{"contacts/a.vcf", "a2\n"}, {"contacts/c.vcf", "c1\n"}}, "Edit");
        git(work_, "rm -q contacts/b.vcf");
        git(work_, "commit -q --amend --no-edit");
        commit_files(work_, {{"d.txt", "d\n"}}, "Other");

        auto repo = Repository::open(work_);
        ASSERT_TRUE(repo) << repo.error().message;
        repo_.emplace(std::move(*repo));
    }

    ObjectId id_of(const std::string& revision) { return *repo_->resolve(revision); }

    TempDir temp_;
    std::filesystem::path work_;
    std::optional<Repository> repo_;
};

TEST_F(RevertTest, PlansInverseOfEachFile)
{
    auto plan = plan_revert(*repo_, id_of("HEAD~1"));
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_TRUE(plan->conflicts.empty());
    EXPECT_EQ(plan->reverted.summary, "Edit");
    EXPECT_EQ(plan->head, id_of("HEAD"));
    ASSERT_EQ(plan->changes.size(), 3U);
    EXPECT_EQ(plan->changes[0].path, "contacts/a.vcf");
    EXPECT_EQ(plan->changes[0].content, std::optional<std::string>("a1\n"));
    EXPECT_EQ(plan->changes[1].path, "contacts/b.vcf");
    EXPECT_EQ(plan->changes[1].content, std::optional<std::string>("b1\n"));
    EXPECT_EQ(plan->changes[2].path, "contacts/c.vcf");
    EXPECT_FALSE(plan->changes[2].content);
}

TEST_F(RevertTest, ReportsFilesChangedSince)
{
    commit_files(work_, {{"contacts/a.vcf", "a3\n"}}, "Edit again");
    auto plan = plan_revert(*repo_, id_of("HEAD~2"));
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_EQ(plan->conflicts, std::vector<std::string>{"contacts/a.vcf"});
}

TEST_F(RevertTest, SkipsFilesAlreadyReverted)
{
    commit_files(work_, {{"contacts/a.vcf", "a1\n"}}, "Undo a by hand");
    auto plan = plan_revert(*repo_, id_of("HEAD~2"));
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_TRUE(plan->conflicts.empty());
    ASSERT_EQ(plan->changes.size(), 2U);
    EXPECT_EQ(plan->changes[0].path, "contacts/b.vcf");
}

TEST_F(RevertTest, RevertsModeChange)
{
    git(work_, "update-index --chmod=+x contacts/a.vcf");
    git(work_, "commit -q -m Mode");
    auto plan = plan_revert(*repo_, id_of("HEAD"));
    ASSERT_TRUE(plan) << plan.error().message;
    ASSERT_EQ(plan->changes.size(), 1U);
    EXPECT_EQ(plan->changes[0].mode, mode_file);
    EXPECT_EQ(plan->changes[0].content, std::optional<std::string>("a2\n"));
}

TEST_F(RevertTest, RemovesFilesOfRootCommit)
{
    commit_files(work_, {{"contacts/b.vcf", "b1\n"}}, "Bring b back");
    git(work_, "rm -q contacts/c.vcf");
    git(work_, "commit -q -m 'Remove c'");
    commit_files(work_, {{"contacts/a.vcf", "a1\n"}}, "Seed a again");
    auto plan = plan_revert(*repo_, id_of("HEAD~5"));
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_TRUE(plan->conflicts.empty());
    ASSERT_EQ(plan->changes.size(), 2U);
    EXPECT_FALSE(plan->changes[0].content);
    EXPECT_FALSE(plan->changes[1].content);
}

TEST_F(RevertTest, RejectsMergeCommit)
{
    git(work_, "checkout -q -b side HEAD~1");
    commit_files(work_, {{"side.txt", "s\n"}}, "Side");
    git(work_, "checkout -q main");
    git(work_, "merge -q --no-edit side");
    auto plan = plan_revert(*repo_, id_of("HEAD"));
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().code, Errc::unsupported);
}

TEST_F(RevertTest, FormatsGitMessage)
{
    auto plan = plan_revert(*repo_, id_of("HEAD"));
    ASSERT_TRUE(plan);
    EXPECT_EQ(revert_message(plan->reverted),
              "Revert \"Other\"\n\nThis reverts commit " + git_rev(work_, "HEAD") + ".\n");
}

} // namespace
} // namespace robur::store
