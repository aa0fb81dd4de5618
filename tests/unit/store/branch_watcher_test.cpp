#include "store/branch_watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/unit/store/fixture.hpp"

namespace robur::store {
namespace {

using testing::commit_files;
using testing::git;
using testing::git_init;
using testing::TempDir;

namespace fs = std::filesystem;

// Long enough for a loaded machine; a passing test returns as soon as the event arrives.
constexpr int event_timeout_ms = 5000;

// Returns whether fd becomes readable within timeout_ms.
bool readable_within(int fd, int timeout_ms)
{
    pollfd entry{fd, POLLIN, 0};
    return ::poll(&entry, 1, timeout_ms) == 1 && (entry.revents & POLLIN) != 0;
}

// The git CLI changes the repository in a process of its own, as a push or a user would, so
// only inotify events can tell the watcher about it.
class BranchWatcherTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (const int probe = ::inotify_init1(IN_CLOEXEC); probe < 0) {
            GTEST_SKIP() << "inotify is unavailable here";
        } else {
            ::close(probe);
        }
        git_init(repository_);
        commit_files(repository_, {{"a.txt", "one\n"}}, "First");
    }

    // Expects an event, then drains it and expects no further one.
    static void expect_one_wake_up(const BranchWatcher& watcher, const std::string& cause)
    {
        ASSERT_TRUE(readable_within(watcher.fd(), event_timeout_ms)) << "no event after " << cause;
        watcher.drain();
        EXPECT_FALSE(readable_within(watcher.fd(), 0)) << "events left after drain()";
    }

    TempDir folder_;
    fs::path repository_ = folder_.path() / "repo";
};

TEST_F(BranchWatcherTest, WakesOnCommitFromAnotherProcess)
{
    const BranchWatcher watcher(repository_ / ".git", "refs/heads/main");
    ASSERT_GE(watcher.fd(), 0) << watcher.error();
    EXPECT_TRUE(watcher.error().empty());
    EXPECT_FALSE(readable_within(watcher.fd(), 0)) << "event before any change";

    commit_files(repository_, {{"a.txt", "two\n"}}, "Second");
    expect_one_wake_up(watcher, "a commit");
}

TEST_F(BranchWatcherTest, WakesWhenGcPacksRefs)
{
    const BranchWatcher watcher(repository_ / ".git", "refs/heads/main");
    ASSERT_GE(watcher.fd(), 0) << watcher.error();

    // `git gc` moves the loose ref into a rewritten packed-refs and deletes the loose file.
    git(repository_, "gc -q");
    ASSERT_TRUE(fs::exists(repository_ / ".git" / "packed-refs"));
    ASSERT_FALSE(fs::exists(repository_ / ".git" / "refs" / "heads" / "main"));
    expect_one_wake_up(watcher, "git gc");

    // The next commit writes the loose ref again, in a folder the watcher still watches.
    commit_files(repository_, {{"a.txt", "three\n"}}, "After gc");
    expect_one_wake_up(watcher, "a commit after git gc");
}

TEST_F(BranchWatcherTest, WakesWhenBranchIsCreatedLater)
{
    // refs/heads/team/ does not exist yet, so only the watch on refs/heads/ can see the branch
    // appear.
    const BranchWatcher watcher(repository_ / ".git", "refs/heads/team/next");
    ASSERT_GE(watcher.fd(), 0) << watcher.error();
    ASSERT_FALSE(fs::exists(repository_ / ".git" / "refs" / "heads" / "team"));

    git(repository_, "branch team/next");
    expect_one_wake_up(watcher, "creating the branch");
}

TEST_F(BranchWatcherTest, WakesWhenUnbornBranchGetsFirstCommit)
{
    const fs::path empty = folder_.path() / "empty";
    git_init(empty);
    const BranchWatcher watcher(empty / ".git", "refs/heads/main");
    ASSERT_GE(watcher.fd(), 0) << watcher.error();

    commit_files(empty, {{"a.txt", "one\n"}}, "First");
    expect_one_wake_up(watcher, "the first commit");
}

TEST(BranchWatcher, DefaultWatchesNothing)
{
    const BranchWatcher watcher;
    EXPECT_EQ(watcher.fd(), -1);
    watcher.drain();
}

} // namespace
} // namespace robur::store
