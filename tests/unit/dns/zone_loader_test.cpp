#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/zone/diff.hpp"
#include "formats/zone/validate.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/repository.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::dns {
namespace {

namespace fs = std::filesystem;
using store::testing::read_file;
using store::testing::TempDir;
using store::testing::write_file;

constexpr std::string_view example_zone = "$TTL 300\n"
                                          "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                          "@ IN NS ns1\n"
                                          "ns1 IN A 192.0.2.1\n";

zone::Name name(std::string_view text)
{
    return zone::Name::parse(text).value();
}

std::string describe(const std::vector<Diagnostic>& diagnostics)
{
    std::string text;
    for (const auto& diagnostic : diagnostics) {
        text += diagnostic.to_string() + "\n";
    }
    return text.empty() ? std::string("no diagnostics") : text;
}

bool has_error(const std::vector<Diagnostic>& diagnostics, const std::string& path,
               std::uint32_t line, std::initializer_list<std::string_view> parts)
{
    return std::any_of(diagnostics.begin(), diagnostics.end(), [&](const Diagnostic& d) {
        return d.severity == Severity::error && d.where.path == path && d.where.line == line &&
               std::all_of(parts.begin(), parts.end(), [&](std::string_view part) {
                   return d.message.find(part) != std::string::npos;
               });
    });
}

fs::path corpus_dns()
{
    return fs::path(ROBUR_CORPUS_DIR) / "dns";
}

// A repository in a temporary folder that tests fill with commits.
class Repo {
public:
    explicit Repo(bool bare = false)
    {
        auto repository = store::Repository::init(temp_.path() / "repo", bare);
        EXPECT_TRUE(repository) << repository.error().message;
        repository_.emplace(std::move(*repository));
    }

    // Commits files (a nullopt content removes one) and returns the new snapshot.
    store::Snapshot commit(std::vector<store::FileChange> changes)
    {
        auto head = repository_->branch_head();
        EXPECT_TRUE(head) << head.error().message;
        store::CommitRequest request{.branch = {},
                                     .expected_head = *head,
                                     .changes = std::move(changes),
                                     .author = store::testing::test_author(),
                                     .committer = std::nullopt,
                                     .message = "Change zones"};
        auto id = repository_->commit(request);
        EXPECT_TRUE(id) << id.error().message;
        return repository_->snapshot(id->to_string()).value();
    }

    [[nodiscard]] fs::path root() const { return temp_.path() / "repo"; }
    [[nodiscard]] store::Repository& repository() { return *repository_; }

private:
    TempDir temp_;
    std::optional<store::Repository> repository_;
};

store::FileChange file(std::string path, std::string content)
{
    return store::FileChange{std::move(path), std::move(content), store::mode_file};
}

const LoadedZone* find_zone(const LoadedZones& zones, std::string_view origin)
{
    for (const auto& loaded : zones.zones) {
        if (loaded.origin == name(origin)) {
            return &loaded;
        }
    }
    return nullptr;
}

TEST(ZoneLoader, ZoneFilePathNamesTheZone)
{
    EXPECT_EQ(zone_file_path(name("example.com.")), "zones/example.com.zone");
    EXPECT_EQ(zone_file_path(zone::Name()), "zones/root.zone");
}

TEST(ZoneLoader, OriginFromZonePath)
{
    EXPECT_EQ(origin_from_zone_path("zones/example.com.zone").value(), name("example.com."));
    EXPECT_EQ(origin_from_zone_path("zones/root.zone").value(), zone::Name());
    EXPECT_FALSE(origin_from_zone_path("zones/common/hosts.zone").value().has_value());
    EXPECT_FALSE(origin_from_zone_path("zones/hosts.inc").value().has_value());
    EXPECT_FALSE(origin_from_zone_path("other/example.com.zone").value().has_value());
    EXPECT_FALSE(origin_from_zone_path("zones/.zone").value().has_value());

    const auto trailing_dot = origin_from_zone_path("zones/example.com..zone");
    ASSERT_FALSE(trailing_dot);
    EXPECT_NE(trailing_dot.error().message.find("zones/example.com..zone"), std::string::npos);
}

TEST(ZoneLoader, OriginFromFileName)
{
    EXPECT_EQ(origin_from_file_name("/tmp/example.com.zone").value(), name("example.com."));
    EXPECT_EQ(origin_from_file_name("example.org.db").value(), name("example.org."));
    EXPECT_EQ(origin_from_file_name("ISI.EDU.txt").value(), name("isi.edu."));
    EXPECT_EQ(origin_from_file_name("dir/db.example.net").value(), name("db.example.net."));
    EXPECT_EQ(origin_from_file_name("example.com").value(), name("example.com."));
    EXPECT_FALSE(origin_from_file_name("a..b.zone"));
}

TEST(ZoneLoader, LoadsEveryZoneOfACommit)
{
    Repo repo;
    const auto snapshot =
        repo.commit({file("zones/example.com.zone", std::string(example_zone)),
                     file("zones/example.org.zone", std::string(example_zone)),
                     file("zones/common/hosts.inc", "www A 192.0.2.80\n"),
                     file("zones/README", "not a zone\n"), file("robur.conf", "[dns]\n")});
    const auto loaded = load_zones(snapshot);
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->zones.size(), 2U);
    EXPECT_TRUE(loaded->diagnostics.empty()) << describe(loaded->diagnostics);
    EXPECT_EQ(loaded->zones[0].origin, name("example.com."));
    EXPECT_EQ(loaded->zones[0].path, "zones/example.com.zone");
    EXPECT_EQ(loaded->zones[1].origin, name("example.org."));
    EXPECT_TRUE(loaded->zones[0].result.ok()) << describe(loaded->zones[0].result.diagnostics);
    EXPECT_EQ(loaded->zones[0].result.zone.records.size(), 3U);
}

TEST(ZoneLoader, CommitWithoutZonesFolderHasNoZones)
{
    Repo repo;
    const auto snapshot = repo.commit({file("robur.conf", "[dns]\n")});
    const auto loaded = load_zones(snapshot);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_TRUE(loaded->zones.empty());
}

TEST(ZoneLoader, LoadsOneZoneIgnoringCase)
{
    Repo repo;
    const auto snapshot = repo.commit({file("zones/Example.COM.zone", std::string(example_zone))});
    const auto loaded = load_zone(snapshot, name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    EXPECT_EQ((*loaded)->path, "zones/Example.COM.zone");

    const auto missing = load_zone(snapshot, name("example.net."));
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_FALSE(missing->has_value());
}

TEST(ZoneLoader, ResolvesIncludeRelativeToIncludingFile)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE common/hosts.inc\n";
    const auto snapshot =
        repo.commit({file("zones/example.com.zone", master),
                     file("zones/common/hosts.inc", "www A 192.0.2.80\n$INCLUDE more/mail.inc\n"),
                     file("zones/common/more/mail.inc", "mail A 192.0.2.25\n")});
    const auto loaded = load_zone(snapshot, name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    const LoadedZone& zone = **loaded;
    EXPECT_TRUE(zone.result.ok()) << describe(zone.result.diagnostics);
    EXPECT_EQ(zone.result.zone.records.size(), 5U);
    EXPECT_EQ(zone.files,
              (std::vector<std::string>{"zones/example.com.zone", "zones/common/hosts.inc",
                                        "zones/common/more/mail.inc"}));
    const auto& mail = zone.result.zone.records.back();
    EXPECT_EQ(mail.where.path, "zones/common/more/mail.inc");
    EXPECT_EQ(mail.where.line, 1U);
}

TEST(ZoneLoader, AllowsIncludeFromSiblingFolder)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE ../shared/hosts.inc\n";
    const auto snapshot = repo.commit(
        {file("zones/example.com.zone", master), file("shared/hosts.inc", "www A 192.0.2.80\n")});
    const auto loaded = load_zone(snapshot, name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    EXPECT_TRUE((*loaded)->result.ok()) << describe((*loaded)->result.diagnostics);
    EXPECT_EQ((*loaded)->files.back(), "shared/hosts.inc");
}

TEST(ZoneLoader, RejectsIncludeLeavingRepository)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE ../../etc/passwd\n";
    const auto snapshot = repo.commit({file("zones/example.com.zone", master)});
    const auto loaded = load_zone(snapshot, name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    EXPECT_TRUE(has_error((*loaded)->result.diagnostics, "zones/example.com.zone", 5,
                          {"../../etc/passwd", "leaves the repository"}))
        << describe((*loaded)->result.diagnostics);
}

TEST(ZoneLoader, RejectsAbsoluteIncludeWithoutWorkTree)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE /etc/hosts\n";
    const auto snapshot = repo.commit({file("zones/example.com.zone", master)});
    const auto loaded = load_zone(snapshot, name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    EXPECT_TRUE(has_error((*loaded)->result.diagnostics, "zones/example.com.zone", 5,
                          {"/etc/hosts", "not allowed"}))
        << describe((*loaded)->result.diagnostics);
}

TEST(ZoneLoader, AbsoluteIncludeMustStayInWorkTree)
{
    Repo repo;
    std::string master(example_zone);
    master += fmt::format("$INCLUDE {}/zones/hosts.inc\n", repo.root().string());
    master += "$INCLUDE /etc/hosts\n";
    const auto snapshot = repo.commit(
        {file("zones/example.com.zone", master), file("zones/hosts.inc", "www A 192.0.2.80\n")});
    const auto loaded = load_zone(snapshot, name("example.com."), repo.root());
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    const auto& diagnostics = (*loaded)->result.diagnostics;
    EXPECT_EQ(diagnostics.size(), 1U) << describe(diagnostics);
    EXPECT_TRUE(has_error(diagnostics, "zones/example.com.zone", 6,
                          {"/etc/hosts", "is outside the repository"}))
        << describe(diagnostics);
    EXPECT_EQ((*loaded)->result.zone.records.size(), 4U);
}

TEST(ZoneLoader, MissingIncludeNamesPathAndLine)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE hosts.inc\n";
    const auto snapshot = repo.commit({file("zones/example.com.zone", master)});
    const auto loaded = load_zone(snapshot, name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    EXPECT_TRUE(has_error((*loaded)->result.diagnostics, "zones/example.com.zone", 5,
                          {"zones/hosts.inc", "not found"}))
        << describe((*loaded)->result.diagnostics);
    // The missing file is listed, so that adding it later counts as a change of the zone.
    EXPECT_EQ((*loaded)->files.back(), "zones/hosts.inc");
}

TEST(ZoneLoader, RejectsSymbolicLinkInclude)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE hosts.inc\n";
    const auto snapshot =
        repo.commit({file("zones/example.com.zone", master),
                     store::FileChange{"zones/hosts.inc", "/etc/hosts", store::mode_symlink}});
    const auto loaded = load_zone(snapshot, name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    EXPECT_TRUE(has_error((*loaded)->result.diagnostics, "zones/example.com.zone", 5,
                          {"zones/hosts.inc", "symbolic link"}))
        << describe((*loaded)->result.diagnostics);
}

TEST(ZoneLoader, ReportsFileNamesThatNameNoZone)
{
    Repo repo;
    const auto snapshot = repo.commit({file("zones/bad..zone", std::string(example_zone)),
                                       file("zones/Example.com.zone", std::string(example_zone)),
                                       file("zones/example.com.zone", std::string(example_zone))});
    const auto loaded = load_zones(snapshot);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->zones.size(), 1U);
    EXPECT_TRUE(has_error(loaded->diagnostics, "zones/bad..zone", 0, {"does not name a zone"}))
        << describe(loaded->diagnostics);
    EXPECT_TRUE(has_error(loaded->diagnostics, "zones/example.com.zone", 0,
                          {"zones/Example.com.zone", "both hold the zone example.com."}))
        << describe(loaded->diagnostics);
}

TEST(ZoneLoader, LoadsWorkTreeFiles)
{
    Repo repo;
    repo.commit({file("zones/example.com.zone", std::string(example_zone))});
    std::string edited(example_zone);
    edited += "$INCLUDE hosts.inc\n";
    write_file(repo.root() / "zones/example.com.zone", edited);
    write_file(repo.root() / "zones/hosts.inc", "www A 192.0.2.80\n");
    write_file(repo.root() / "zones/example.net.zone", std::string(example_zone));

    const auto loaded = load_zones_from_folder(repo.root());
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->zones.size(), 2U);
    const LoadedZone* zone = find_zone(*loaded, "example.com.");
    ASSERT_NE(zone, nullptr);
    EXPECT_TRUE(zone->result.ok()) << describe(zone->result.diagnostics);
    EXPECT_EQ(zone->result.zone.records.size(), 4U);
    EXPECT_EQ(zone->files.back(), "zones/hosts.inc");
}

TEST(ZoneLoader, WorkTreeIncludeCannotLeaveWorkTree)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE ../../outside.inc\n";
    write_file(repo.root() / "zones/example.com.zone", master);
    write_file(repo.root().parent_path() / "outside.inc", "www A 192.0.2.80\n");
    const auto loaded = load_zone_from_folder(repo.root(), name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    EXPECT_TRUE(has_error((*loaded)->result.diagnostics, "zones/example.com.zone", 5,
                          {"leaves the work tree"}))
        << describe((*loaded)->result.diagnostics);
}

TEST(ZoneLoader, WorkTreeSymlinkIsRejected)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE hosts.inc\n";
    write_file(repo.root() / "zones/example.com.zone", master);
    write_file(repo.root().parent_path() / "secret.inc", "www A 192.0.2.80\n");
    fs::create_symlink(repo.root().parent_path() / "secret.inc", repo.root() / "zones/hosts.inc");
    const auto loaded = load_zone_from_folder(repo.root(), name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    EXPECT_TRUE(
        has_error((*loaded)->result.diagnostics, "zones/example.com.zone", 5, {"symbolic link"}))
        << describe((*loaded)->result.diagnostics);
}

TEST(ZoneLoader, FileIncludesStayInItsFolder)
{
    TempDir temp;
    std::string master(example_zone);
    master += "$INCLUDE sub/hosts.inc\n$INCLUDE ../escape.inc\n";
    write_file(temp.path() / "zones/example.com.zone", master);
    write_file(temp.path() / "zones/sub/hosts.inc", "www A 192.0.2.80\n");
    write_file(temp.path() / "escape.inc", "mail A 192.0.2.25\n");

    const fs::path path = temp.path() / "zones/example.com.zone";
    const auto loaded = load_zone_file(path, name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->path, path.string());
    EXPECT_EQ(loaded->result.zone.records.size(), 4U);
    EXPECT_TRUE(has_error(loaded->result.diagnostics, path.string(), 6,
                          {"../escape.inc", "leaves the folder"}))
        << describe(loaded->result.diagnostics);
}

TEST(ZoneLoader, MissingFileIsAnError)
{
    const auto loaded = load_zone_file("/nonexistent/example.com.zone", name("example.com."));
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, Errc::not_found);
    EXPECT_NE(loaded.error().message.find("/nonexistent/example.com.zone"), std::string::npos);
}

TEST(ZoneLoader, CorpusIncludeRelativeToFile)
{
    const fs::path path = corpus_dns() / "ok/nsd-include-rel/example.com.zone";
    if (!fs::exists(path)) {
        GTEST_SKIP() << "corpus not found at " << ROBUR_CORPUS_DIR << ", skipping";
    }
    const auto loaded = load_zone_file(path, name("example.com."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_TRUE(loaded->result.ok()) << describe(loaded->result.diagnostics);
    EXPECT_EQ(loaded->files.size(), 3U);
    const auto findings = zone::validate_zone(loaded->result.zone);
    EXPECT_FALSE(has_errors(findings)) << describe(findings);
}

TEST(ZoneLoader, CorpusMissingIncludeIsReported)
{
    const fs::path path = corpus_dns() / "bad/rfc1035-5.3-isi.edu-with-include.zone";
    if (!fs::exists(path)) {
        GTEST_SKIP() << "corpus not found at " << ROBUR_CORPUS_DIR << ", skipping";
    }
    const auto loaded = load_zone_file(path, name("ISI.EDU."));
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_TRUE(has_error(loaded->result.diagnostics, path.string(), 23,
                          {"<SUBSYS>ISI-MAILBOXES.TXT", "not found"}))
        << describe(loaded->result.diagnostics);
}

// Faults of a kind DNS tools have shipped, each with the behaviour robur must show.

// Validates a zone against its previous version as `robur zone validate` does: the serial must
// increase whenever the records changed.
std::vector<Diagnostic> validate_change(const LoadedZone& before, const LoadedZone& after)
{
    zone::ValidateOptions options;
    if (!zone::diff_zones(before.result.zone, after.result.zone).empty()) {
        options.previous_serial = before.result.zone.serial();
        options.previous_source = "HEAD~1";
    }
    return zone::validate_zone(after.result.zone, options);
}

TEST(ZoneLoaderFaults, IncludeChangeIsAZoneChange)
{
    const fs::path folder = corpus_dns() / "faults/include-change-reloads";
    if (!fs::exists(folder)) {
        GTEST_SKIP() << "corpus not found at " << ROBUR_CORPUS_DIR << ", skipping";
    }
    Repo repo;
    const auto first =
        repo.commit({file("zones/example.com.zone", read_file(folder / "example.com.zone")),
                     file("zones/hosts.inc", read_file(folder / "hosts.inc"))});
    const auto second = repo.commit({file("zones/hosts.inc", "www IN A 192.0.2.81\n")});

    const auto before = load_zone(first, name("example.com.")).value().value();
    const auto after = load_zone(second, name("example.com.")).value().value();
    EXPECT_TRUE(zone_files_changed(before, first, second));
    EXPECT_FALSE(zone::diff_zones(before.result.zone, after.result.zone).empty());

    // Only the included file changed, and the serial did not: that change is rejected.
    const auto diagnostics = validate_change(before, after);
    EXPECT_TRUE(
        has_error(diagnostics, "zones/example.com.zone", 3, {"serial 1", "previous serial 1"}))
        << describe(diagnostics);

    std::string bumped = read_file(folder / "example.com.zone");
    bumped.replace(bumped.find("hostmaster 1 "), 13, "hostmaster 2 ");
    const auto third = repo.commit({file("zones/example.com.zone", bumped)});
    const auto fixed = load_zone(third, name("example.com.")).value().value();
    const auto accepted = validate_change(before, fixed);
    EXPECT_FALSE(has_errors(accepted)) << describe(accepted);
}

TEST(ZoneLoaderFaults, UnrelatedFileIsNotAZoneChange)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE hosts.inc\n";
    const auto first = repo.commit({file("zones/example.com.zone", master),
                                    file("zones/hosts.inc", "www A 192.0.2.80\n"),
                                    file("zones/other.inc", "x A 192.0.2.1\n")});
    const auto second = repo.commit({file("zones/other.inc", "x A 192.0.2.2\n")});
    const auto before = load_zone(first, name("example.com.")).value().value();
    EXPECT_FALSE(zone_files_changed(before, first, second));
}

TEST(ZoneLoaderFaults, AddingMissingIncludeIsAZoneChange)
{
    Repo repo;
    std::string master(example_zone);
    master += "$INCLUDE hosts.inc\n";
    const auto first = repo.commit({file("zones/example.com.zone", master)});
    const auto second = repo.commit({file("zones/hosts.inc", "www A 192.0.2.80\n")});
    const auto before = load_zone(first, name("example.com.")).value().value();
    EXPECT_FALSE(before.result.ok());
    EXPECT_TRUE(zone_files_changed(before, first, second));
}

TEST(ZoneLoaderFaults, IncludedRecordsAreKept)
{
    const fs::path folder = corpus_dns() / "faults/include-records-kept";
    if (!fs::exists(folder)) {
        GTEST_SKIP() << "corpus not found at " << ROBUR_CORPUS_DIR << ", skipping";
    }
    Repo repo;
    const auto snapshot =
        repo.commit({file("zones/example.com.zone", read_file(folder / "example.com.zone")),
                     file("zones/hosts.inc", read_file(folder / "hosts.inc"))});
    const auto loaded = load_zone(snapshot, name("example.com.")).value().value();
    ASSERT_TRUE(loaded.result.ok()) << describe(loaded.result.diagnostics);
    EXPECT_TRUE(zone::validate_zone(loaded.result.zone).empty());
    std::vector<std::string> owners;
    for (const auto& record : loaded.result.zone.records) {
        owners.push_back(record.owner.to_string());
    }
    EXPECT_NE(std::find(owners.begin(), owners.end(), "www.example.com."), owners.end());
    EXPECT_NE(std::find(owners.begin(), owners.end(), "mail.example.com."), owners.end());
    EXPECT_EQ(loaded.result.zone.records.size(), 5U);
}

TEST(ZoneLoaderFaults, ParentAndChildKeepTheirOwnData)
{
    const fs::path folder = corpus_dns() / "faults/parent-and-child-zone";
    if (!fs::exists(folder)) {
        GTEST_SKIP() << "corpus not found at " << ROBUR_CORPUS_DIR << ", skipping";
    }
    Repo repo;
    const auto first =
        repo.commit({file("zones/example.com.zone", read_file(folder / "example.com")),
                     file("zones/sub.example.com.zone", read_file(folder / "sub.example.com"))});
    const auto loaded = load_zones(first).value();
    ASSERT_EQ(loaded.zones.size(), 2U);
    const LoadedZone* parent = find_zone(loaded, "example.com.");
    const LoadedZone* child = find_zone(loaded, "sub.example.com.");
    ASSERT_NE(parent, nullptr);
    ASSERT_NE(child, nullptr);

    for (const LoadedZone* zone : {parent, child}) {
        const auto diagnostics = zone::validate_zone(zone->result.zone);
        EXPECT_TRUE(diagnostics.empty()) << zone->path << ":\n" << describe(diagnostics);
    }
    // The delegation's NS records belong to the parent; the child holds only its own data.
    for (const auto& record : child->result.zone.records) {
        EXPECT_TRUE(record.owner.is_subdomain_of(name("sub.example.com.")));
        EXPECT_EQ(record.where.path, "zones/sub.example.com.zone");
    }
    EXPECT_EQ(child->result.zone.records.size(), 4U);

    // A change in the parent is no change of the child, and the reverse.
    std::string parent_text = read_file(folder / "example.com");
    parent_text.replace(parent_text.find("hostmaster 1 "), 13, "hostmaster 2 ");
    parent_text += "ftp  IN A   192.0.2.21\n";
    const auto second = repo.commit({file("zones/example.com.zone", parent_text)});
    const auto reloaded = load_zones(second).value();
    EXPECT_TRUE(zone_files_changed(*parent, first, second));
    EXPECT_FALSE(zone_files_changed(*child, first, second));
    EXPECT_TRUE(
        zone::diff_zones(child->result.zone, find_zone(reloaded, "sub.example.com.")->result.zone)
            .empty());
}

TEST(ZoneLoaderFaults, GlueInParentIsNotChildData)
{
    Repo repo;
    std::string parent(example_zone);
    parent += "sub IN NS ns.sub\nns.sub IN A 192.0.2.53\n";
    const std::string child = "$TTL 300\n"
                              "@ IN SOA ns hostmaster 1 3600 600 86400 300\n"
                              "@ IN NS ns\n"
                              "ns IN A 192.0.2.53\n"
                              "www IN A 192.0.2.80\n";
    const auto snapshot = repo.commit(
        {file("zones/example.com.zone", parent), file("zones/sub.example.com.zone", child)});
    const auto loaded = load_zones(snapshot).value();
    const LoadedZone* parent_zone = find_zone(loaded, "example.com.");
    const LoadedZone* child_zone = find_zone(loaded, "sub.example.com.");
    ASSERT_NE(parent_zone, nullptr);
    ASSERT_NE(child_zone, nullptr);
    const auto parent_findings = zone::validate_zone(parent_zone->result.zone);
    EXPECT_TRUE(parent_findings.empty()) << describe(parent_findings);
    const auto child_findings = zone::validate_zone(child_zone->result.zone);
    EXPECT_TRUE(child_findings.empty()) << describe(child_findings);

    // The child's data (www) in the parent's file would be occluded, never served.
    parent += "www.sub IN A 192.0.2.99\n";
    const auto occluded = repo.commit({file("zones/example.com.zone", parent)});
    const auto reloaded = load_zone(occluded, name("example.com.")).value().value();
    const auto findings = zone::validate_zone(reloaded.result.zone);
    ASSERT_EQ(findings.size(), 1U) << describe(findings);
    EXPECT_EQ(findings[0].severity, Severity::warning);
    EXPECT_NE(findings[0].message.find("occluded"), std::string::npos);
}

} // namespace
} // namespace robur::dns
