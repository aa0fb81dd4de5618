#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "store/background_packer.hpp"
#include "store/pack.hpp"
#include "store/repository.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::store {
namespace {

namespace fs = std::filesystem;

using testing::git;
using testing::read_file;
using testing::shell_quote;
using testing::TempDir;
using testing::test_author;
using testing::write_file;

// Parses `git count-objects -v` into its fields ("count", "in-pack", "packs", ...). Warnings,
// such as the one git prints for a lock file in objects/pack, are skipped.
std::map<std::string, long> count_objects(const fs::path& git_dir)
{
    std::map<std::string, long> fields;
    std::istringstream lines(git(git_dir, "count-objects -v"));
    std::string line;
    while (std::getline(lines, line)) {
        const auto colon = line.find(": ");
        const auto value = colon == std::string::npos ? std::string() : line.substr(colon + 2);
        if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        fields[line.substr(0, colon)] = std::stol(value);
    }
    return fields;
}

// Lists every object in the repository, reachable or not.
std::set<std::string> all_objects(const fs::path& git_dir)
{
    std::set<std::string> ids;
    std::istringstream lines(
        git(git_dir, "cat-file --batch-all-objects --batch-check='%(objectname)'"));
    std::string line;
    while (std::getline(lines, line)) {
        ids.insert(line);
    }
    return ids;
}

std::size_t files_in(const fs::path& folder, const std::string& extension)
{
    std::size_t count = 0;
    for (const auto& entry : fs::directory_iterator(folder)) {
        count += entry.path().extension() == extension ? 1 : 0;
    }
    return count;
}

// A bare repository written through Repository::commit, with automatic packing off unless a
// test turns it on.
class PackTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        git_dir_ = temp_.path() / "data.git";
        auto repo = Repository::init(git_dir_, true);
        ASSERT_TRUE(repo) << repo.error().message;
        repo_.emplace(std::move(*repo));
        repo_->set_auto_pack(AutoPack::off);
    }

    // Makes `count` commits that each rewrite `files_per_commit` files of calendars/u/c/.
    void make_commits(int count, int files_per_commit = 3)
    {
        for (int i = 0; i < count; ++i) {
            CommitRequest request{.branch = "main",
                                  .expected_head = head_,
                                  .changes = {},
                                  .author = test_author(),
                                  .committer = std::nullopt,
                                  .message = "Change events"};
            for (int file = 0; file < files_per_commit; ++file) {
                request.changes.push_back(FileChange{
                    fmt::format("calendars/u/c/{}-{}.ics", commits_made_ % 7, file),
                    fmt::format("BEGIN:VCALENDAR\nX-VERSION:{}-{}\nEND:VCALENDAR\n", commits_made_,
                                file),
                    mode_file});
            }
            auto id = repo_->commit(request);
            ASSERT_TRUE(id) << id.error().message;
            head_ = *id;
            ++commits_made_;
        }
    }

    // Writes a blob that no commit refers to and returns its id.
    std::string write_unreachable_blob(const std::string& content)
    {
        const fs::path file = temp_.path() / "unreachable.txt";
        write_file(file, content);
        std::string id = git(git_dir_, "hash-object -w " + shell_quote(file.string()));
        while (!id.empty() && id.back() == '\n') {
            id.pop_back();
        }
        return id;
    }

    void set_config(const std::string& name, const std::string& value)
    {
        git(git_dir_, "config " + name + " " + shell_quote(value));
    }

    // Creates an empty file named like a loose object in objects/17.
    void add_fake_sample_object(int n)
    {
        add_fake_object("17", n, 0);
    }

    // Creates a file of `bytes` bytes named like a loose object in objects/<folder>.
    void add_fake_object(const std::string& folder, int n, std::size_t bytes)
    {
        write_file(git_dir_ / "objects" / folder / fmt::format("{:038x}", n),
                   std::string(bytes, 'x'));
    }

    void expect_fsck_clean()
    {
        const auto result = testing::run_shell("git -C " + shell_quote(git_dir_.string()) +
                                               " fsck --full --no-dangling");
        EXPECT_EQ(result.status, 0) << result.output;
    }

    TempDir temp_;
    fs::path git_dir_;
    std::optional<Repository> repo_;
    std::optional<ObjectId> head_;
    int commits_made_ = 0;
};

TEST_F(PackTest, LimitsDefaultToGit)
{
    auto limits = read_pack_limits(git_dir_);
    ASSERT_TRUE(limits) << limits.error().message;
    EXPECT_EQ(limits->loose_objects, 6700);
    EXPECT_EQ(limits->packs, 50);
    EXPECT_EQ(limits->loose_bytes, std::int64_t{32} << 20);
}

TEST_F(PackTest, LimitsReadFromConfig)
{
    set_config("gc.auto", "100");
    set_config("gc.autoPackLimit", "3");
    set_config("robur.autoPackSize", "2m");
    auto limits = read_pack_limits(git_dir_);
    ASSERT_TRUE(limits) << limits.error().message;
    EXPECT_EQ(limits->loose_objects, 100);
    EXPECT_EQ(limits->packs, 3);
    EXPECT_EQ(limits->loose_bytes, 2 * 1024 * 1024);
}

TEST_F(PackTest, NonNumericLimitRejected)
{
    set_config("gc.auto", "many");
    auto limits = read_pack_limits(git_dir_);
    ASSERT_FALSE(limits);
    EXPECT_EQ(limits.error().code, Errc::invalid_argument);
    EXPECT_NE(limits.error().message.find("gc.auto"), std::string::npos) << limits.error().message;
}

TEST_F(PackTest, MissingRepositoryNotFound)
{
    auto action = needs_packing(temp_.path() / "absent.git", PackLimits{});
    ASSERT_FALSE(action);
    EXPECT_EQ(action.error().code, Errc::not_found);
}

TEST_F(PackTest, ThresholdSamplesFolder17)
{
    // 512 / 256 = 2 objects allowed in objects/17; a third one means packing.
    const PackLimits limits{.loose_objects = 512, .packs = 50};
    add_fake_sample_object(1);
    add_fake_sample_object(2);
    write_file(git_dir_ / "objects" / "17" / "tmp_object_git2_abc", "");
    EXPECT_EQ(needs_packing(git_dir_, limits).value(), PackAction::none);

    add_fake_sample_object(3);
    EXPECT_EQ(needs_packing(git_dir_, limits).value(), PackAction::pack_loose_objects);
}

TEST_F(PackTest, ThresholdRoundsUpLikeGit)
{
    // ceil(6700 / 256) = 27 objects allowed in objects/17.
    for (int n = 0; n < 27; ++n) {
        add_fake_sample_object(n);
    }
    EXPECT_EQ(needs_packing(git_dir_, PackLimits{}).value(), PackAction::none);
    add_fake_sample_object(27);
    EXPECT_EQ(needs_packing(git_dir_, PackLimits{}).value(), PackAction::pack_loose_objects);
}

TEST_F(PackTest, ThresholdEstimatesBytesFromSixteenFolders)
{
    // Bytes in objects/10 to objects/1f count sixteen times; other folders are not read.
    const PackLimits limits{.loose_objects = 6700, .packs = 50, .loose_bytes = 16000};
    add_fake_object("1a", 1, 900);
    add_fake_object("20", 2, 1 << 20);
    add_fake_object("0f", 3, 1 << 20);
    EXPECT_EQ(needs_packing(git_dir_, limits).value(), PackAction::none);

    add_fake_object("10", 4, 100);
    EXPECT_EQ(needs_packing(git_dir_, limits).value(), PackAction::none);
    add_fake_object("1f", 5, 1);
    EXPECT_EQ(needs_packing(git_dir_, limits).value(), PackAction::pack_loose_objects);
}

TEST_F(PackTest, ZeroSizeLimitLeavesObjectCount)
{
    add_fake_object("13", 1, 1 << 20);
    const PackLimits no_size{.loose_objects = 512, .packs = 50, .loose_bytes = 0};
    EXPECT_EQ(needs_packing(git_dir_, no_size).value(), PackAction::none);
    for (int n = 0; n < 3; ++n) {
        add_fake_sample_object(n);
    }
    EXPECT_EQ(needs_packing(git_dir_, no_size).value(), PackAction::pack_loose_objects);
}

TEST_F(PackTest, ConfigZeroDisablesPacking)
{
    for (int n = 0; n < 40; ++n) {
        add_fake_sample_object(n);
    }
    add_fake_object("11", 1, 1 << 20);
    set_config("robur.autoPackSize", "1k");
    set_config("gc.auto", "0");
    auto limits = read_pack_limits(git_dir_);
    ASSERT_TRUE(limits) << limits.error().message;
    EXPECT_EQ(needs_packing(git_dir_, *limits).value(), PackAction::none);

    auto report = pack_if_needed(git_dir_);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_FALSE(*report);
}

TEST_F(PackTest, PackingKeepsEveryObjectReadable)
{
    make_commits(30);
    const std::string unreachable = write_unreachable_blob("not on any branch\n");
    const auto before = all_objects(git_dir_);
    ASSERT_EQ(count_objects(git_dir_)["count"], static_cast<long>(before.size()));

    auto report = pack_loose_objects(git_dir_);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->packed_objects, before.size());
    EXPECT_EQ(report->removed_loose_objects, before.size());
    EXPECT_TRUE(fs::exists(git_dir_ / "objects" / "pack" / (report->pack_name + ".pack")));
    EXPECT_TRUE(fs::exists(git_dir_ / "objects" / "pack" / (report->pack_name + ".idx")));
    EXPECT_FALSE(fs::exists(git_dir_ / "objects" / "pack" / pack_lock_name));

    auto counts = count_objects(git_dir_);
    EXPECT_EQ(counts["count"], 0);
    EXPECT_EQ(counts["packs"], 1);
    EXPECT_EQ(counts["in-pack"], static_cast<long>(before.size()));
    EXPECT_EQ(all_objects(git_dir_), before);
    EXPECT_EQ(git(git_dir_, "cat-file -t " + unreachable), "blob\n");
    expect_fsck_clean();

    // The Repository opened before packing still reads everything.
    auto snapshot = repo_->snapshot("main");
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    EXPECT_TRUE(snapshot->read("calendars/u/c/0-0.ics"));
}

TEST_F(PackTest, NothingLooseWritesNoPack)
{
    auto report = pack_loose_objects(git_dir_);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->pack_name.empty());
    EXPECT_EQ(files_in(git_dir_ / "objects" / "pack", ".pack"), 0U);
}

TEST_F(PackTest, LooseObjectsWrittenAfterPackStay)
{
    make_commits(5);
    ASSERT_TRUE(pack_loose_objects(git_dir_));
    make_commits(5);
    const long loose = count_objects(git_dir_)["count"];
    ASSERT_GT(loose, 0);

    auto second = pack_loose_objects(git_dir_);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->packed_objects, static_cast<std::size_t>(loose));
    EXPECT_EQ(count_objects(git_dir_)["packs"], 2);
    expect_fsck_clean();
}

TEST_F(PackTest, PackLimitTriggersConsolidation)
{
    for (int round = 0; round < 3; ++round) {
        make_commits(3);
        ASSERT_TRUE(pack_loose_objects(git_dir_));
    }
    EXPECT_EQ(needs_packing(git_dir_, PackLimits{.loose_objects = 6700, .packs = 2}).value(),
              PackAction::consolidate_packs);
    EXPECT_EQ(needs_packing(git_dir_, PackLimits{.loose_objects = 6700, .packs = 3}).value(),
              PackAction::none);
    EXPECT_EQ(needs_packing(git_dir_, PackLimits{.loose_objects = 6700, .packs = 0}).value(),
              PackAction::none);
}

TEST_F(PackTest, KeptPackNotCounted)
{
    for (int round = 0; round < 3; ++round) {
        make_commits(2);
        ASSERT_TRUE(pack_loose_objects(git_dir_));
    }
    const PackLimits limits{.loose_objects = 6700, .packs = 2};
    ASSERT_EQ(needs_packing(git_dir_, limits).value(), PackAction::consolidate_packs);

    const auto pack_folder = git_dir_ / "objects" / "pack";
    fs::path kept_pack;
    for (const auto& entry : fs::directory_iterator(pack_folder)) {
        if (entry.path().extension() == ".pack") {
            kept_pack = entry.path();
            break;
        }
    }
    write_file(fs::path(kept_pack).replace_extension(".keep"), "");
    EXPECT_EQ(needs_packing(git_dir_, limits).value(), PackAction::none);

    auto report = consolidate_packs(git_dir_);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->removed_packs, 2U);
    EXPECT_TRUE(fs::exists(kept_pack));
    expect_fsck_clean();
}

TEST_F(PackTest, ConsolidationKeepsUnreachableObjects)
{
    std::vector<std::string> unreachable;
    for (int round = 0; round < 3; ++round) {
        make_commits(4);
        unreachable.push_back(write_unreachable_blob(fmt::format("orphan {}\n", round)));
        ASSERT_TRUE(pack_loose_objects(git_dir_));
    }
    make_commits(2);
    unreachable.push_back(write_unreachable_blob("loose orphan\n"));
    const auto before = all_objects(git_dir_);
    ASSERT_EQ(count_objects(git_dir_)["packs"], 3);

    set_config("gc.autoPackLimit", "2");
    auto report = pack_if_needed(git_dir_);
    ASSERT_TRUE(report) << report.error().message;
    ASSERT_TRUE(*report);
    EXPECT_EQ((*report)->removed_packs, 3U);
    EXPECT_EQ((*report)->packed_objects, before.size());

    auto counts = count_objects(git_dir_);
    EXPECT_EQ(counts["packs"], 1);
    EXPECT_EQ(counts["count"], 0);
    EXPECT_EQ(all_objects(git_dir_), before);
    for (const auto& id : unreachable) {
        EXPECT_EQ(git(git_dir_, "cat-file -t " + id), "blob\n") << id;
    }
    expect_fsck_clean();
}

TEST_F(PackTest, HeldLockMeansConflict)
{
    make_commits(3);
    const long loose = count_objects(git_dir_)["count"];
    const auto lock = git_dir_ / "objects" / "pack" / pack_lock_name;
    write_file(lock, "4242 elsewhere\n");

    auto report = pack_loose_objects(git_dir_);
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, Errc::conflict);
    EXPECT_NE(report.error().message.find(pack_lock_name), std::string::npos);
    EXPECT_EQ(count_objects(git_dir_)["count"], loose);
    EXPECT_TRUE(fs::exists(lock));

    // pack_if_needed() leaves the work to the lock's holder.
    set_config("gc.auto", "1");
    for (int n = 0; n < 3; ++n) {
        add_fake_sample_object(n);
    }
    auto skipped = pack_if_needed(git_dir_);
    ASSERT_TRUE(skipped) << skipped.error().message;
    EXPECT_FALSE(*skipped);
}

TEST_F(PackTest, StaleLockTakenOver)
{
    make_commits(3);
    const auto lock = git_dir_ / "objects" / "pack" / pack_lock_name;
    write_file(lock, "4242 elsewhere\n");
    const auto two_hours_ago = std::chrono::file_clock::now() - std::chrono::hours(2);
    fs::last_write_time(lock, two_hours_ago);

    auto report = pack_loose_objects(git_dir_);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(count_objects(git_dir_)["count"], 0);
    EXPECT_FALSE(fs::exists(lock));
}

TEST_F(PackTest, ConcurrentPackersNeverLoseObjects)
{
    make_commits(40);
    const auto before = all_objects(git_dir_);

    std::atomic<int> packed{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> packers;
    for (int i = 0; i < 4; ++i) {
        packers.emplace_back([&] {
            auto report = pack_loose_objects(git_dir_, PackOptions{.threads = 1, .cancelled = {}});
            if (report) {
                ++packed;
            } else if (report.error().code == Errc::conflict) {
                ++refused;
            } else {
                ADD_FAILURE() << report.error().message;
            }
        });
    }
    for (auto& packer : packers) {
        packer.join();
    }
    EXPECT_GE(packed.load(), 1);
    EXPECT_EQ(packed.load() + refused.load(), 4);
    EXPECT_EQ(count_objects(git_dir_)["count"], 0);
    EXPECT_EQ(all_objects(git_dir_), before);
    expect_fsck_clean();
}

TEST_F(PackTest, CancelledPackLeavesRepositoryAlone)
{
    make_commits(10);
    const long loose = count_objects(git_dir_)["count"];

    auto report = pack_loose_objects(git_dir_,
                                     PackOptions{.threads = 1, .cancelled = [] { return true; }});
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, Errc::io_error);
    EXPECT_EQ(count_objects(git_dir_)["count"], loose);
    EXPECT_EQ(files_in(git_dir_ / "objects" / "pack", ".pack"), 0U);
    EXPECT_EQ(files_in(git_dir_ / "objects" / "pack", ".idx"), 0U);
    EXPECT_FALSE(fs::exists(git_dir_ / "objects" / "pack" / pack_lock_name));
}

// Reads every file of every commit through its own Repository, as a server does, while the
// packer moves the objects under it. Stops after the first full pass that began once
// `packing_done` was set, or at the first failure.
struct Reader {
    std::atomic<bool> packing_done{false};
    std::atomic<bool> stopped{false};
    std::atomic<long> files_read{0};
    std::string failure; // read after join()

    void run(const fs::path& git_dir)
    {
        read_until_done(git_dir);
        stopped = true;
    }

    void read_until_done(const fs::path& git_dir)
    {
        auto reader = Repository::open(git_dir);
        if (!reader) {
            failure = reader.error().message;
            return;
        }
        bool last_pass = false;
        while (!last_pass) {
            last_pass = packing_done.load();
            auto commits = reader->log("main", "", 100000);
            if (!commits) {
                failure = "log: " + commits.error().message;
                return;
            }
            for (const auto& commit : *commits) {
                if (!read_commit(*reader, commit.id)) {
                    return;
                }
            }
        }
    }

    bool read_commit(const Repository& reader, const ObjectId& commit)
    {
        auto snapshot = reader.snapshot(commit.to_string());
        if (!snapshot) {
            failure = "snapshot: " + snapshot.error().message;
            return false;
        }
        auto files = snapshot->list("", true);
        if (!files) {
            failure = "list: " + files.error().message;
            return false;
        }
        for (const auto& file : *files) {
            if (auto content = snapshot->read(file.path); !content) {
                failure = file.path + ": " + content.error().message;
                return false;
            }
            ++files_read;
        }
        return true;
    }
};

TEST_F(PackTest, ReadersSeeEveryObjectWhilePacking)
{
    make_commits(60, 5);
    for (const bool merge : {false, true}) {
        if (merge) {
            make_commits(20, 5);
        }
        Reader reader;
        std::thread thread([&] { reader.run(git_dir_); });
        // Let the reader load its pack list and start reading loose objects first.
        while (reader.files_read.load() == 0 && !reader.stopped.load()) {
            std::this_thread::yield();
        }

        auto report = merge ? consolidate_packs(git_dir_) : pack_loose_objects(git_dir_);
        reader.packing_done = true;
        thread.join();
        ASSERT_TRUE(report) << report.error().message;
        EXPECT_TRUE(reader.failure.empty()) << (merge ? "merge: " : "pack: ") << reader.failure;
        EXPECT_GT(reader.files_read.load(), 0);
    }
    EXPECT_EQ(count_objects(git_dir_)["packs"], 1);
    EXPECT_EQ(count_objects(git_dir_)["count"], 0);
    expect_fsck_clean();
}

TEST_F(PackTest, CommitPacksWhenThresholdReached)
{
    repo_->set_auto_pack(AutoPack::synchronous);
    // gc.auto = 1 allows one object in objects/17; 3000 blobs put about 12 there.
    set_config("gc.auto", "1");
    CommitRequest request{.branch = "main",
                          .expected_head = std::nullopt,
                          .changes = {},
                          .author = test_author(),
                          .committer = std::nullopt,
                          .message = "Import events"};
    for (int n = 0; n < 3000; ++n) {
        request.changes.push_back(
            FileChange{fmt::format("calendars/u/c/{}.ics", n), fmt::format("event {}\n", n)});
    }
    auto id = repo_->commit(request);
    ASSERT_TRUE(id) << id.error().message;

    auto counts = count_objects(git_dir_);
    EXPECT_EQ(counts["count"], 0);
    EXPECT_EQ(counts["packs"], 1);
    EXPECT_GT(counts["in-pack"], 3000);
    expect_fsck_clean();
}

TEST_F(PackTest, CommitInsideHookNeverPacks)
{
    repo_->set_auto_pack(AutoPack::synchronous);
    set_config("gc.auto", "1");
    // git sets GIT_QUARANTINE_PATH for pre-receive hooks; the value here is never read.
    ::setenv("GIT_QUARANTINE_PATH", (temp_.path() / "quarantine").c_str(), 1);
    make_commits(200);
    ::unsetenv("GIT_QUARANTINE_PATH");

    EXPECT_EQ(needs_packing(git_dir_, PackLimits{.loose_objects = 1, .packs = 50}).value(),
              PackAction::pack_loose_objects);
    EXPECT_GT(count_objects(git_dir_)["count"], 0);
    EXPECT_EQ(count_objects(git_dir_)["packs"], 0);
}

TEST_F(PackTest, AutoPackOffKeepsLooseObjects)
{
    set_config("gc.auto", "1");
    make_commits(200);

    EXPECT_EQ(needs_packing(git_dir_, PackLimits{.loose_objects = 1, .packs = 50}).value(),
              PackAction::pack_loose_objects);
    EXPECT_GT(count_objects(git_dir_)["count"], 0);
    EXPECT_EQ(count_objects(git_dir_)["packs"], 0);
}

TEST_F(PackTest, BackgroundModePacksAfterCommit)
{
    set_config("gc.auto", "1");
    repo_->set_auto_pack(AutoPack::background);
    make_commits(200);
    repo_->wait_for_packing();
    make_commits(1);
    repo_->wait_for_packing();

    auto counts = count_objects(git_dir_);
    EXPECT_GE(counts["packs"], 1);
    EXPECT_GT(counts["in-pack"], 0);
    EXPECT_FALSE(fs::exists(git_dir_ / "objects" / "pack" / pack_lock_name));
    expect_fsck_clean();
}

TEST_F(PackTest, BackgroundPackerIdleWithoutWork)
{
    make_commits(3);
    BackgroundPacker packer(git_dir_);
    packer.schedule();
    packer.wait_until_idle();
    EXPECT_EQ(packer.packs_written(), 0U);
    EXPECT_GT(count_objects(git_dir_)["count"], 0);
}

} // namespace
} // namespace robur::store
