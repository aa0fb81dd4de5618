#include <sys/stat.h>

#include <gtest/gtest.h>

#include "store/repository.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::store {
namespace {

using testing::commit_files;
using testing::git;
using testing::git_init;
using testing::git_rev;
using testing::read_file;
using testing::TempDir;
using testing::test_author;
using testing::write_file;

namespace fs = std::filesystem;

CommitRequest request_on(const ObjectId& head, std::vector<FileChange> changes)
{
    return CommitRequest{.branch = "",
                         .expected_head = head,
                         .changes = std::move(changes),
                         .author = test_author(),
                         .committer = std::nullopt,
                         .message = "Change files"};
}

FileChange write(std::string path, std::string content)
{
    return FileChange{std::move(path), std::move(content), mode_file};
}

unsigned permissions_of(const fs::path& path)
{
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777U;
}

// A repository with a work tree checked out on main.
class WorktreeTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        work_ = temp_.path() / "work";
        git_init(work_);
        commit_files(work_,
                     {{"robur.conf", "[dns]\n"},
                      {"zones/a.zone", "a\n"},
                      {"zones/b.zone", "b\n"},
                      {"zones/old/c.zone", "c\n"}},
                     "Seed");
        auto repo = Repository::open(work_);
        ASSERT_TRUE(repo) << repo.error().message;
        repo_.emplace(std::move(*repo));
        head_ = *repo_->resolve("HEAD");
    }

    std::string status() { return git(work_, "status --porcelain --untracked-files=all"); }

    TempDir temp_;
    fs::path work_;
    std::optional<Repository> repo_;
    ObjectId head_;
};

TEST_F(WorktreeTest, UpdatesWorkTreeAndIndexOfChangedFiles)
{
    auto id = repo_->commit(request_on(
        head_, {write("zones/a.zone", "a2\n"), write("zones/new/d.zone", "d\n"),
                FileChange{"zones/old/c.zone", std::nullopt, mode_file}}));
    ASSERT_TRUE(id) << id.error().message;

    EXPECT_EQ(git_rev(work_, "HEAD"), id->to_string());
    EXPECT_EQ(read_file(work_ / "zones/a.zone"), "a2\n");
    EXPECT_EQ(read_file(work_ / "zones/new/d.zone"), "d\n");
    EXPECT_FALSE(fs::exists(work_ / "zones/old/c.zone"));
    EXPECT_FALSE(fs::exists(work_ / "zones/old"));
    EXPECT_EQ(status(), "");
    EXPECT_EQ(git(work_, "reflog show --format=%gs -n 1 HEAD"), "commit: Change files\n");
}

TEST_F(WorktreeTest, LeavesOtherDirtyFilesAlone)
{
    write_file(work_ / "zones/b.zone", "local edit\n");
    write_file(work_ / "notes.txt", "untracked\n");

    auto id = repo_->commit(request_on(head_, {write("zones/a.zone", "a2\n")}));
    ASSERT_TRUE(id) << id.error().message;

    EXPECT_EQ(read_file(work_ / "zones/b.zone"), "local edit\n");
    EXPECT_EQ(read_file(work_ / "notes.txt"), "untracked\n");
    EXPECT_EQ(status(), " M zones/b.zone\n?? notes.txt\n");
}

TEST_F(WorktreeTest, WritesPrivateFilesWithMode0600)
{
    auto id = repo_->commit(request_on(
        head_, {write("keys/tsig.example.key", "secret\n"), write("zones/c.zone", "c\n")}));
    ASSERT_TRUE(id) << id.error().message;

    EXPECT_EQ(permissions_of(work_ / "keys/tsig.example.key"), 0600U);
    EXPECT_NE(permissions_of(work_ / "zones/c.zone") & 0044U, 0U);
    EXPECT_EQ(status(), "");
}

TEST_F(WorktreeTest, RejectsEditedFileAndChangesNothing)
{
    write_file(work_ / "zones/a.zone", "local edit\n");
    const std::string index_before = git(work_, "ls-files -s");

    auto id = repo_->commit(request_on(head_, {write("zones/a.zone", "a2\n"),
                                               write("zones/b.zone", "b2\n")}));
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::dirty_worktree);
    EXPECT_NE(id.error().message.find("zones/a.zone (modified in the work tree)"),
              std::string::npos)
        << id.error().message;
    EXPECT_EQ(id.error().message.find("zones/b.zone"), std::string::npos);

    EXPECT_EQ(git_rev(work_, "HEAD"), head_.to_string());
    EXPECT_EQ(read_file(work_ / "zones/a.zone"), "local edit\n");
    EXPECT_EQ(read_file(work_ / "zones/b.zone"), "b\n");
    EXPECT_EQ(git(work_, "ls-files -s"), index_before);
}

TEST_F(WorktreeTest, RejectsStagedFile)
{
    write_file(work_ / "zones/a.zone", "staged\n");
    git(work_, "add zones/a.zone");
    write_file(work_ / "zones/a.zone", "a\n");

    auto id = repo_->commit(request_on(head_, {write("zones/a.zone", "a2\n")}));
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::dirty_worktree);
    EXPECT_NE(id.error().message.find("zones/a.zone (staged)"), std::string::npos)
        << id.error().message;
    EXPECT_EQ(git_rev(work_, "HEAD"), head_.to_string());
}

TEST_F(WorktreeTest, RejectsUntrackedFileInTheWay)
{
    write_file(work_ / "zones/new.zone", "mine\n");

    auto id = repo_->commit(request_on(head_, {write("zones/new.zone", "theirs\n")}));
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::dirty_worktree);
    EXPECT_NE(id.error().message.find("zones/new.zone (untracked)"), std::string::npos)
        << id.error().message;
    EXPECT_EQ(read_file(work_ / "zones/new.zone"), "mine\n");
}

TEST_F(WorktreeTest, RejectsRemovalOfEditedFile)
{
    write_file(work_ / "zones/b.zone", "local edit\n");

    auto id = repo_->commit(request_on(head_, {FileChange{"zones/b.zone", std::nullopt,
                                                          mode_file}}));
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::dirty_worktree);
    EXPECT_EQ(read_file(work_ / "zones/b.zone"), "local edit\n");
}

TEST_F(WorktreeTest, RejectsFileWhereFolderBelongs)
{
    write_file(work_ / "certs", "not a folder\n");
    fs::create_directories(temp_.path() / "outside");
    fs::create_directory_symlink(temp_.path() / "outside", work_ / "vpn");

    auto id = repo_->commit(request_on(head_, {write("certs/host/cert.pem", "c\n"),
                                               write("vpn/server.conf", "v\n")}));
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::dirty_worktree);
    EXPECT_NE(id.error().message.find("file or symlink at certs"), std::string::npos)
        << id.error().message;
    EXPECT_NE(id.error().message.find("file or symlink at vpn"), std::string::npos)
        << id.error().message;
    EXPECT_TRUE(fs::is_empty(temp_.path() / "outside"));
    EXPECT_EQ(git_rev(work_, "HEAD"), head_.to_string());
}

TEST_F(WorktreeTest, ReplacesFolderAndFileInWorkTree)
{
    const FileChange removal{"zones/old/c.zone", std::nullopt, mode_file};
    auto folder_to_file = repo_->commit(request_on(head_, {write("zones/old", "file\n"), removal}));
    ASSERT_TRUE(folder_to_file) << folder_to_file.error().message;
    EXPECT_EQ(read_file(work_ / "zones/old"), "file\n");
    EXPECT_EQ(status(), "");

    const FileChange file_removal{"zones/old", std::nullopt, mode_file};
    auto file_to_folder = repo_->commit(
        request_on(*folder_to_file, {write("zones/old/d.zone", "d\n"), file_removal}));
    ASSERT_TRUE(file_to_folder) << file_to_folder.error().message;
    EXPECT_EQ(read_file(work_ / "zones/old/d.zone"), "d\n");
    EXPECT_EQ(status(), "");
}

TEST_F(WorktreeTest, RejectsFolderReplacementOverUntrackedFile)
{
    write_file(work_ / "zones/old/mine.txt", "mine\n");
    const FileChange removal{"zones/old/c.zone", std::nullopt, mode_file};

    auto id = repo_->commit(request_on(head_, {write("zones/old", "file\n"), removal}));
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::dirty_worktree);
    EXPECT_EQ(read_file(work_ / "zones/old/mine.txt"), "mine\n");
    EXPECT_EQ(git_rev(work_, "HEAD"), head_.to_string());
}

TEST_F(WorktreeTest, GitCommitAfterSnapshotConflicts)
{
    auto snapshot = repo_->snapshot();
    ASSERT_TRUE(snapshot);
    commit_files(work_, {{"zones/a.zone", "from git\n"}}, "Edit with git");
    const std::string git_head = git_rev(work_, "HEAD");

    auto id = repo_->commit(request_on(snapshot->commit_id(), {write("zones/b.zone", "b2\n")}));
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::conflict);
    EXPECT_EQ(git_rev(work_, "HEAD"), git_head);
    EXPECT_EQ(read_file(work_ / "zones/a.zone"), "from git\n");
    EXPECT_EQ(read_file(work_ / "zones/b.zone"), "b\n");
    EXPECT_EQ(status(), "");
}

TEST_F(WorktreeTest, OtherBranchLeavesWorkTreeAlone)
{
    git(work_, "branch staging");
    write_file(work_ / "zones/a.zone", "local edit\n");

    auto id = repo_->commit(CommitRequest{.branch = "staging",
                                          .expected_head = head_,
                                          .changes = {write("zones/a.zone", "staged a\n")},
                                          .author = test_author(),
                                          .committer = std::nullopt,
                                          .message = "Stage"});
    ASSERT_TRUE(id) << id.error().message;

    EXPECT_EQ(git_rev(work_, "staging"), id->to_string());
    EXPECT_EQ(git_rev(work_, "HEAD"), head_.to_string());
    EXPECT_EQ(read_file(work_ / "zones/a.zone"), "local edit\n");
    EXPECT_EQ(status(), " M zones/a.zone\n");
}

TEST(WorktreeUnborn, FirstCommitPopulatesWorkTree)
{
    TempDir temp;
    auto repo = Repository::init(temp.path() / "work", false);
    ASSERT_TRUE(repo);

    auto id = repo->commit(CommitRequest{.branch = "",
                                         .expected_head = std::nullopt,
                                         .changes = {write("robur.conf", "[dns]\n"),
                                                     write("keys/README", "keys\n")},
                                         .author = test_author(),
                                         .committer = std::nullopt,
                                         .message = "Initialise"});
    ASSERT_TRUE(id) << id.error().message;

    const auto work = temp.path() / "work";
    EXPECT_EQ(read_file(work / "robur.conf"), "[dns]\n");
    EXPECT_EQ(git(work, "status --porcelain --untracked-files=all"), "");
    EXPECT_EQ(git(work, "log --format=%s"), "Initialise\n");
}

} // namespace
} // namespace robur::store
