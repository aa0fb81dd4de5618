#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "servers/caldav/calendar_zone.hpp"
#include "servers/caldav/handler.hpp"
#include "servers/caldav/password.hpp"
#include "servers/caldav/user_file.hpp"

namespace robur::caldav {
namespace {

namespace fs = std::filesystem;

// A bare repository in a temporary folder with users alice and bob, and a handler on it.
class HandlerFixture : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::random_device random;
        folder_ = fs::temp_directory_path() / fmt::format("robur-caldav-{}", random());
        auto repository = store::Repository::init(folder_, true);
        ASSERT_TRUE(repository) << repository.error().message;
        const PasswordCost cost{.pbkdf2_iterations = 1000};
        std::vector<store::FileChange> changes;
        for (const char* name : {"alice", "bob"}) {
            auto hash = hash_password("secret", PasswordScheme::pbkdf2_sha256, cost);
            ASSERT_TRUE(hash);
            users_.push_back({name, *hash, "", ""});
            changes.push_back({user_file_path(name), write_user_file(users_.back()),
                               store::mode_file});
        }
        store::CommitRequest request{.branch = "main",
                                     .expected_head = std::nullopt,
                                     .changes = changes,
                                     .author = {"Test", "test@example.com", 0, 0},
                                     .committer = std::nullopt,
                                     .message = "Add users"};
        ASSERT_TRUE(repository->commit(request));
        auto handler_repository = store::Repository::open(folder_);
        ASSERT_TRUE(handler_repository);
        handler_ = std::make_unique<Handler>(
            std::move(*handler_repository),
            HandlerSettings{.branch = "refs/heads/main", .host_name = "test.example"});
        repository_.emplace(std::move(*repository));
    }

    void TearDown() override
    {
        handler_.reset();
        repository_.reset();
        std::error_code error;
        fs::remove_all(folder_, error);
    }

    Response send(http::verb method, const std::string& target, std::string body = {},
                  std::vector<std::pair<std::string, std::string>> headers = {},
                  std::size_t user = 0)
    {
        Request request{method, target, 11};
        for (const auto& [name, value] : headers) {
            request.set(name, value);
        }
        request.body() = std::move(body);
        request.prepare_payload();
        return handler_->handle(request, users_.at(user));
    }

    // Replaces the handler by one with other limits on the same repository.
    void use_limits(std::size_t max_resource_size, std::size_t max_collection_size)
    {
        auto handler_repository = store::Repository::open(folder_);
        ASSERT_TRUE(handler_repository);
        HandlerSettings settings{.branch = "refs/heads/main", .host_name = "test.example"};
        settings.max_resource_size = max_resource_size;
        settings.max_collection_size = max_collection_size;
        handler_ = std::make_unique<Handler>(std::move(*handler_repository), std::move(settings));
    }

    std::size_t commit_count()
    {
        auto log = repository_->log("refs/heads/main", {}, 1000);
        return log ? log->size() : 0;
    }

    // Returns the commit the branch points to, or an empty string before the first commit.
    std::string head_commit()
    {
        auto head = repository_->branch_head("main");
        return head && *head ? (*head)->to_string() : std::string{};
    }

    std::string last_commit_summary()
    {
        auto log = repository_->log("refs/heads/main", {}, 1);
        return log && !log->empty() ? log->front().summary : std::string{};
    }

    fs::path folder_;
    std::vector<UserRecord> users_;
    std::optional<store::Repository> repository_;
    std::unique_ptr<Handler> handler_;
};

TEST_F(HandlerFixture, PutCreatesThenReplacesWithEtag)
{
    ASSERT_EQ(send(http::verb::mkcol, "/alice/files/docs/").result(), http::status::created);
    auto created = send(http::verb::put, "/alice/files/docs/a.txt", "one");
    EXPECT_EQ(created.result(), http::status::created);
    const auto etag = std::string(as_std(created[http::field::etag]));
    EXPECT_EQ(etag.size(), 42U);
    EXPECT_EQ(last_commit_summary(), "PUT /alice/files/docs/a.txt");

    auto stale = send(http::verb::put, "/alice/files/docs/a.txt", "two",
                      {{"If-Match", "\"0000000000000000000000000000000000000000\""}});
    EXPECT_EQ(stale.result(), http::status::precondition_failed);
    auto exists = send(http::verb::put, "/alice/files/docs/a.txt", "two", {{"If-None-Match", "*"}});
    EXPECT_EQ(exists.result(), http::status::precondition_failed);
    auto replaced = send(http::verb::put, "/alice/files/docs/a.txt", "two", {{"If-Match", etag}});
    EXPECT_EQ(replaced.result(), http::status::no_content);

    auto get = send(http::verb::get, "/alice/files/docs/a.txt");
    EXPECT_EQ(get.body(), "two");
}

TEST_F(HandlerFixture, PutWithoutParentIsConflict)
{
    EXPECT_EQ(send(http::verb::put, "/alice/files/missing/a.txt", "x").result(),
              http::status::conflict);
}

TEST_F(HandlerFixture, OtherUsersTreeIsForbidden)
{
    EXPECT_EQ(send(http::verb::mkcol, "/alice/files/x/", {}, {}, 1).result(),
              http::status::forbidden);
    EXPECT_EQ(send(http::verb::propfind, "/alice/files/", {}, {{"Depth", "0"}}, 1).result(),
              http::status::forbidden);
}

TEST_F(HandlerFixture, MkcolRules)
{
    EXPECT_EQ(send(http::verb::mkcol, "/alice/files/c/").result(), http::status::created);
    EXPECT_EQ(send(http::verb::mkcol, "/alice/files/c/").result(),
              http::status::method_not_allowed);
    EXPECT_EQ(send(http::verb::mkcol, "/alice/files/no/c/").result(), http::status::conflict);
    EXPECT_EQ(send(http::verb::mkcol, "/alice/files/d/", "junk").result(),
              http::status::unsupported_media_type);
    EXPECT_EQ(send(http::verb::mkcol, "/alice/calendars/plain/").result(),
              http::status::forbidden);
}

TEST_F(HandlerFixture, PropfindInfinityIsRefused)
{
    auto response = send(http::verb::propfind, "/alice/files/", {}, {{"Depth", "infinity"}});
    EXPECT_EQ(response.result(), http::status::forbidden);
    EXPECT_NE(response.body().find("propfind-finite-depth"), std::string::npos);
}

TEST_F(HandlerFixture, PrincipalPropertiesLeadToHomes)
{
    auto response = send(http::verb::propfind, "/alice/",
                         R"(<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><prop>
<current-user-principal/><C:calendar-home-set/><unknown xmlns="urn:x"/></prop></propfind>)",
                         {{"Depth", "0"}});
    EXPECT_EQ(response.result(), http::status::multi_status);
    EXPECT_NE(response.body().find("<D:href>/alice/calendars/</D:href>"), std::string::npos);
    EXPECT_NE(response.body().find("<D:href>/alice/</D:href>"), std::string::npos);
    EXPECT_NE(response.body().find("404"), std::string::npos);
}

TEST_F(HandlerFixture, ProppatchStoresDeadPropertiesAllOrNothing)
{
    ASSERT_EQ(send(http::verb::mkcol, "/alice/files/p/").result(), http::status::created);
    const std::string set = R"(<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
<x:color xmlns:x="urn:x">red</x:color></D:prop></D:set></D:propertyupdate>)";
    EXPECT_EQ(send(http::verb::proppatch, "/alice/files/p/", set).result(),
              http::status::multi_status);
    auto found = send(http::verb::propfind, "/alice/files/p/",
                      R"(<propfind xmlns="DAV:"><prop><color xmlns="urn:x"/></prop></propfind>)",
                      {{"Depth", "0"}});
    EXPECT_NE(found.body().find(">red</color>"), std::string::npos) << found.body();

    const std::string mixed = R"(<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
<x:size xmlns:x="urn:x">9</x:size><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>)";
    auto rejected = send(http::verb::proppatch, "/alice/files/p/", mixed);
    EXPECT_NE(rejected.body().find("424"), std::string::npos);
    EXPECT_NE(rejected.body().find("403"), std::string::npos);
    auto absent = send(http::verb::propfind, "/alice/files/p/",
                       R"(<propfind xmlns="DAV:"><prop><size xmlns="urn:x"/></prop></propfind>)",
                       {{"Depth", "0"}});
    EXPECT_NE(absent.body().find("404"), std::string::npos);
}

TEST_F(HandlerFixture, CopyAndMoveHonourOverwrite)
{
    ASSERT_EQ(send(http::verb::mkcol, "/alice/files/m/").result(), http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/files/m/a", "a").result(), http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/files/m/b", "b").result(), http::status::created);
    EXPECT_EQ(send(http::verb::copy, "/alice/files/m/a", {},
                   {{"Destination", "/alice/files/m/b"}, {"Overwrite", "F"}})
                  .result(),
              http::status::precondition_failed);
    EXPECT_EQ(send(http::verb::copy, "/alice/files/m/a", {}, {{"Destination", "/alice/files/m/b"}})
                  .result(),
              http::status::no_content);
    EXPECT_EQ(send(http::verb::move, "/alice/files/m/", {}, {{"Destination", "/alice/files/n/"}})
                  .result(),
              http::status::created);
    EXPECT_EQ(send(http::verb::get, "/alice/files/n/b").body(), "a");
    EXPECT_EQ(send(http::verb::get, "/alice/files/m/a").result(), http::status::not_found);
    EXPECT_EQ(send(http::verb::copy, "/alice/files/n/", {},
                   {{"Destination", "/alice/files/nope/x/"}})
                  .result(),
              http::status::conflict);
}

TEST_F(HandlerFixture, MkcalendarAndSyncCollection)
{
    auto made = send(http::verb::mkcalendar, "/alice/calendars/work/",
                     R"(<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><D:displayname>Work</D:displayname></D:prop></D:set></C:mkcalendar>)");
    ASSERT_EQ(made.result(), http::status::created);
    auto first = send(http::verb::report, "/alice/calendars/work/",
                      R"(<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>
<D:prop><D:getetag/></D:prop></D:sync-collection>)");
    ASSERT_EQ(first.result(), http::status::multi_status);
    const auto begin = first.body().find("http://robur.dev/ns/sync/");
    ASSERT_NE(begin, std::string::npos);
    const auto token = first.body().substr(begin, first.body().find('<', begin) - begin);

    auto bad = send(http::verb::report, "/alice/calendars/work/",
                    R"(<D:sync-collection xmlns:D="DAV:"><D:sync-token>http://robur.dev/ns/sync/0123456789012345678901234567890123456789</D:sync-token><D:prop/></D:sync-collection>)");
    EXPECT_EQ(bad.result(), http::status::forbidden);
    EXPECT_NE(bad.body().find("valid-sync-token"), std::string::npos);

    auto again = send(http::verb::report, "/alice/calendars/work/",
                      "<D:sync-collection xmlns:D=\"DAV:\"><D:sync-token>" + token +
                          "</D:sync-token><D:prop><D:getetag/></D:prop></D:sync-collection>");
    ASSERT_EQ(again.result(), http::status::multi_status);
    EXPECT_EQ(again.body().find("<D:response>"), std::string::npos) << again.body();
}

TEST_F(HandlerFixture, DeleteRemovesCollections)
{
    ASSERT_EQ(send(http::verb::mkcol, "/alice/files/gone/").result(), http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/files/gone/a", "a").result(), http::status::created);
    EXPECT_EQ(send(http::verb::delete_, "/alice/files/gone/").result(), http::status::no_content);
    EXPECT_EQ(send(http::verb::delete_, "/alice/files/gone/").result(), http::status::not_found);
    EXPECT_EQ(last_commit_summary(), "DELETE /alice/files/gone/");
}

TEST_F(HandlerFixture, WellKnownRedirectsWithoutAuthentication)
{
    Request request{http::verb::propfind, "/.well-known/caldav", 11};
    auto response = handler_->handle_unauthenticated(request);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result(), http::status::moved_permanently);
    EXPECT_EQ(as_std((*response)[http::field::location]), "/");
}

TEST_F(HandlerFixture, AuthenticatesWithTheStoredHash)
{
    EXPECT_TRUE(handler_->authenticate("Basic YWxpY2U6c2VjcmV0")); // alice:secret
    EXPECT_FALSE(handler_->authenticate("Basic YWxpY2U6d3Jvbmc=")); // alice:wrong
    EXPECT_FALSE(handler_->authenticate("Basic Y2Fyb2w6c2VjcmV0")); // carol:secret
}

std::string event(std::string_view uid)
{
    return fmt::format("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
                       "UID:{}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\n"
                       "SUMMARY:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                       uid, uid);
}

TEST_F(HandlerFixture, PutRejectsMemberBeyondCollectionSize)
{
    use_limits(1024, 2);
    ASSERT_EQ(send(http::verb::mkcalendar, "/alice/calendars/work/").result(),
              http::status::created);
    // The .collection file does not count.
    ASSERT_EQ(send(http::verb::put, "/alice/calendars/work/a.ics", event("a")).result(),
              http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/calendars/work/b.ics", event("b")).result(),
              http::status::created);
    const auto commits = commit_count();

    auto full = send(http::verb::put, "/alice/calendars/work/c.ics", event("c"));
    EXPECT_EQ(full.result(), http::status::insufficient_storage);
    EXPECT_NE(full.body().find("quota-not-exceeded"), std::string::npos) << full.body();
    EXPECT_EQ(commit_count(), commits);
    EXPECT_EQ(send(http::verb::get, "/alice/calendars/work/c.ics").result(),
              http::status::not_found);

    // Replacing a member adds none, so it is allowed at the limit.
    EXPECT_EQ(send(http::verb::put, "/alice/calendars/work/b.ics", event("b")).result(),
              http::status::no_content);
}

TEST_F(HandlerFixture, CopyAndMoveRejectMemberBeyondCollectionSize)
{
    use_limits(1024, 2);
    ASSERT_EQ(send(http::verb::mkcol, "/alice/files/a/").result(), http::status::created);
    ASSERT_EQ(send(http::verb::mkcol, "/alice/files/b/").result(), http::status::created);
    EXPECT_EQ(send(http::verb::mkcol, "/alice/files/c/").result(),
              http::status::insufficient_storage);
    ASSERT_EQ(send(http::verb::put, "/alice/files/a/x", "x").result(), http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/files/b/y", "y").result(), http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/files/b/z", "z").result(), http::status::created);
    const auto commits = commit_count();

    auto copied = send(http::verb::copy, "/alice/files/a/x", {},
                       {{"Destination", "/alice/files/b/new"}});
    EXPECT_EQ(copied.result(), http::status::insufficient_storage);
    EXPECT_NE(copied.body().find("quota-not-exceeded"), std::string::npos) << copied.body();
    EXPECT_EQ(send(http::verb::move, "/alice/files/a/x", {},
                   {{"Destination", "/alice/files/b/new"}})
                  .result(),
              http::status::insufficient_storage);
    EXPECT_EQ(commit_count(), commits);

    // Overwriting a member and renaming inside the collection add none.
    EXPECT_EQ(send(http::verb::copy, "/alice/files/a/x", {}, {{"Destination", "/alice/files/b/y"}})
                  .result(),
              http::status::no_content);
    EXPECT_EQ(send(http::verb::move, "/alice/files/b/z", {}, {{"Destination", "/alice/files/b/w"}})
                  .result(),
              http::status::created);
}

TEST_F(HandlerFixture, CopyChecksSourceSize)
{
    ASSERT_EQ(send(http::verb::mkcol, "/alice/files/big/").result(), http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/files/big/a", std::string(64, 'x')).result(),
              http::status::created);
    ASSERT_EQ(send(http::verb::mkcalendar, "/alice/calendars/work/").result(),
              http::status::created);
    ASSERT_EQ(send(http::verb::mkcalendar, "/alice/calendars/home/").result(),
              http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/calendars/work/a.ics", event("a")).result(),
              http::status::created);
    use_limits(32, 100);
    const auto commits = commit_count();

    EXPECT_EQ(send(http::verb::copy, "/alice/files/big/a", {}, {{"Destination", "/alice/files/b"}})
                  .result(),
              http::status::insufficient_storage);
    EXPECT_EQ(send(http::verb::copy, "/alice/files/big/", {}, {{"Destination", "/alice/files/c/"}})
                  .result(),
              http::status::insufficient_storage);
    auto calendar = send(http::verb::move, "/alice/calendars/work/a.ics", {},
                         {{"Destination", "/alice/calendars/home/a.ics"}});
    EXPECT_EQ(calendar.result(), http::status::forbidden);
    EXPECT_NE(calendar.body().find("max-resource-size"), std::string::npos) << calendar.body();
    EXPECT_EQ(commit_count(), commits);
}

TEST_F(HandlerFixture, MoveReplacesCollectionInOneCommit)
{
    ASSERT_EQ(send(http::verb::mkcol, "/alice/files/dir/").result(), http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/files/dir/a", "a").result(), http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/files/f", "f").result(), http::status::created);
    auto commits = commit_count();

    EXPECT_EQ(send(http::verb::move, "/alice/files/f", {}, {{"Destination", "/alice/files/dir"}})
                  .result(),
              http::status::no_content);
    EXPECT_EQ(commit_count(), commits + 1);
    EXPECT_EQ(last_commit_summary(), "MOVE /alice/files/f to /alice/files/dir");
    EXPECT_EQ(send(http::verb::get, "/alice/files/dir").body(), "f");
    EXPECT_EQ(send(http::verb::get, "/alice/files/dir/a").result(), http::status::not_found);

    // And the reverse: a collection copied over a resource.
    ASSERT_EQ(send(http::verb::mkcol, "/alice/files/tree/").result(), http::status::created);
    ASSERT_EQ(send(http::verb::put, "/alice/files/tree/b", "b").result(), http::status::created);
    commits = commit_count();
    EXPECT_EQ(send(http::verb::copy, "/alice/files/tree/", {},
                   {{"Destination", "/alice/files/dir/"}})
                  .result(),
              http::status::no_content);
    EXPECT_EQ(commit_count(), commits + 1);
    EXPECT_EQ(send(http::verb::get, "/alice/files/dir/b").body(), "b");
}

// A zone five hours east of UTC all year, under a TZID that is in no tz database.
const std::string plus_five_zone = "BEGIN:VTIMEZONE\r\nTZID:Test/Plus_Five\r\n"
                                   "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
                                   "TZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\nTZNAME:PLUS5\r\n"
                                   "END:STANDARD\r\nEND:VTIMEZONE\r\n";

std::string vcalendar(std::string_view components)
{
    return fmt::format("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{}END:VCALENDAR\r\n",
                       components);
}

// A PROPPATCH that sets CALDAV:calendar-timezone to `value` and DAV:displayname to "Renamed".
std::string set_calendar_timezone(std::string_view value)
{
    return fmt::format(R"(<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><D:displayname>Renamed</D:displayname>
<C:calendar-timezone><![CDATA[{}]]></C:calendar-timezone></D:prop></D:set></D:propertyupdate>)",
                       value);
}

// A calendar-query for the events that overlap 2026-01-04 21:30Z to 23:30Z.
const std::string late_january_fourth_query =
    R"(<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">
<C:comp-filter name="VEVENT"><C:time-range start="20260104T213000Z" end="20260104T233000Z"/>
</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>)";

const std::string displayname_propfind =
    R"(<propfind xmlns="DAV:"><prop><displayname/></prop></propfind>)";

TEST_F(HandlerFixture, CalendarTimezoneReadsFloatingTimes)
{
    ASSERT_EQ(send(http::verb::mkcalendar, "/alice/calendars/work/").result(),
              http::status::created);
    // 03:00 to 04:00 floating: 22:00Z to 23:00Z the day before in the +05:00 zone.
    const auto floating = vcalendar("BEGIN:VEVENT\r\nUID:floating\r\nDTSTAMP:20260101T000000Z\r\n"
                                    "DTSTART:20260105T030000\r\nDTEND:20260105T040000\r\n"
                                    "SUMMARY:floating\r\nEND:VEVENT\r\n");
    ASSERT_EQ(send(http::verb::put, "/alice/calendars/work/floating.ics", floating).result(),
              http::status::created);
    auto in_utc = send(http::verb::report, "/alice/calendars/work/", late_january_fourth_query,
                       {{"Depth", "1"}});
    ASSERT_EQ(in_utc.result(), http::status::multi_status);
    EXPECT_EQ(in_utc.body().find("floating.ics"), std::string::npos) << in_utc.body();
    const auto commits = commit_count();

    auto patched = send(http::verb::proppatch, "/alice/calendars/work/",
                        set_calendar_timezone(vcalendar(plus_five_zone)));
    ASSERT_EQ(patched.result(), http::status::multi_status);
    EXPECT_NE(patched.body().find("200 OK"), std::string::npos) << patched.body();
    EXPECT_EQ(patched.body().find("valid-calendar-data"), std::string::npos) << patched.body();
    EXPECT_EQ(commit_count(), commits + 1);
    EXPECT_EQ(last_commit_summary(), "PROPPATCH /alice/calendars/work/");

    auto in_zone = send(http::verb::report, "/alice/calendars/work/", late_january_fourth_query,
                        {{"Depth", "1"}});
    ASSERT_EQ(in_zone.result(), http::status::multi_status);
    EXPECT_NE(in_zone.body().find("floating.ics"), std::string::npos) << in_zone.body();
}

TEST_F(HandlerFixture, ProppatchRejectsInvalidCalendarTimezone)
{
    ASSERT_EQ(send(http::verb::mkcalendar, "/alice/calendars/work/").result(),
              http::status::created);
    const std::string event_component = "BEGIN:VEVENT\r\nUID:e\r\nDTSTAMP:20260101T000000Z\r\n"
                                        "DTSTART:20260105T090000Z\r\nEND:VEVENT\r\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"not iCalendar", "Europe/Berlin"},
        {"two VTIMEZONEs",
         vcalendar(plus_five_zone + "BEGIN:VTIMEZONE\r\nTZID:Test/Plus_Six\r\n"
                                    "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
                                    "TZOFFSETFROM:+0600\r\nTZOFFSETTO:+0600\r\n"
                                    "END:STANDARD\r\nEND:VTIMEZONE\r\n")},
        {"a VEVENT instead of a VTIMEZONE", vcalendar(event_component)},
        {"two iCalendar objects", vcalendar(plus_five_zone) + vcalendar(plus_five_zone)},
        {"a VTIMEZONE without rules", vcalendar("BEGIN:VTIMEZONE\r\nTZID:Test/None\r\n"
                                                "END:VTIMEZONE\r\n")},
    };
    for (const auto& [name, value] : cases) {
        SCOPED_TRACE(name);
        const auto head = head_commit();

        auto rejected =
            send(http::verb::proppatch, "/alice/calendars/work/", set_calendar_timezone(value));
        EXPECT_EQ(rejected.result(), http::status::multi_status);
        EXPECT_NE(rejected.body().find("409 Conflict"), std::string::npos) << rejected.body();
        EXPECT_NE(rejected.body().find("<C:valid-calendar-data>"), std::string::npos)
            << rejected.body();
        EXPECT_NE(rejected.body().find("424 Failed Dependency"), std::string::npos)
            << rejected.body();
        EXPECT_EQ(head_commit(), head);
    }
    auto unchanged = send(http::verb::propfind, "/alice/calendars/work/", displayname_propfind,
                          {{"Depth", "0"}});
    EXPECT_EQ(unchanged.body().find("Renamed"), std::string::npos) << unchanged.body();
}

TEST_F(HandlerFixture, ProppatchRejectsCalendarTimezoneNotUtf8)
{
    ASSERT_EQ(send(http::verb::mkcalendar, "/alice/calendars/work/").result(),
              http::status::created);
    const auto head = head_commit();
    const auto latin1 = vcalendar("BEGIN:VTIMEZONE\r\nTZID:Z\xFCrich\r\nBEGIN:STANDARD\r\n"
                                  "DTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\n"
                                  "TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n");

    // The XML parser rejects a body that is not UTF-8 before any property is read.
    auto rejected =
        send(http::verb::proppatch, "/alice/calendars/work/", set_calendar_timezone(latin1));
    EXPECT_EQ(rejected.result(), http::status::bad_request) << rejected.body();
    EXPECT_EQ(head_commit(), head);

    // The property check rejects such bytes on its own as well.
    auto checked = check_calendar_timezone(latin1);
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().find("UTF-8"), std::string::npos) << checked.error();
}

TEST_F(HandlerFixture, MkcalendarChecksCalendarTimezone)
{
    const auto head = head_commit();
    auto rejected = send(http::verb::mkcalendar, "/alice/calendars/bad/",
                         R"(<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><D:displayname>Bad</D:displayname>
<C:calendar-timezone>not a calendar</C:calendar-timezone></D:prop></D:set></C:mkcalendar>)");
    EXPECT_EQ(rejected.result(), http::status::forbidden);
    EXPECT_NE(rejected.body().find("409 Conflict"), std::string::npos) << rejected.body();
    EXPECT_NE(rejected.body().find("<C:valid-calendar-data>"), std::string::npos)
        << rejected.body();
    EXPECT_NE(rejected.body().find("424 Failed Dependency"), std::string::npos) << rejected.body();
    EXPECT_EQ(head_commit(), head);
    EXPECT_EQ(
        send(http::verb::propfind, "/alice/calendars/bad/", displayname_propfind, {{"Depth", "0"}})
            .result(),
        http::status::not_found);

    auto created =
        send(http::verb::mkcalendar, "/alice/calendars/good/",
             fmt::format(R"(<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><C:calendar-timezone><![CDATA[{}]]></C:calendar-timezone></D:prop></D:set>
</C:mkcalendar>)",
                         vcalendar(plus_five_zone)));
    EXPECT_EQ(created.result(), http::status::created) << created.body();
}

TEST_F(HandlerFixture, CalendarTimezoneIdIsProtected)
{
    ASSERT_EQ(send(http::verb::mkcalendar, "/alice/calendars/work/").result(),
              http::status::created);
    const auto head = head_commit();
    auto rejected =
        send(http::verb::proppatch, "/alice/calendars/work/",
             R"(<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><C:calendar-timezone-id>Europe/Berlin</C:calendar-timezone-id></D:prop></D:set>
</D:propertyupdate>)");
    EXPECT_EQ(rejected.result(), http::status::multi_status);
    EXPECT_NE(rejected.body().find("403 Forbidden"), std::string::npos) << rejected.body();
    EXPECT_NE(rejected.body().find("cannot-modify-protected-property"), std::string::npos)
        << rejected.body();
    EXPECT_EQ(head_commit(), head);
}

} // namespace
} // namespace robur::caldav
