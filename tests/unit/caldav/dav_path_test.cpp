#include <gtest/gtest.h>

#include "servers/caldav/auth.hpp"
#include "servers/caldav/dav_path.hpp"
#include "servers/caldav/uid_index.hpp"
#include "servers/caldav/user_file.hpp"

namespace robur::caldav {
namespace {

TEST(DavPath, MapsAreasToRepositoryFolders)
{
    auto calendar = parse_dav_path("/alice/calendars/work/abc%40example.com.ics");
    ASSERT_TRUE(calendar);
    EXPECT_EQ(calendar->owner, "alice");
    EXPECT_EQ(calendar->area, Area::calendars);
    EXPECT_EQ(calendar->repository_path(), "calendars/alice/work/abc@example.com.ics");
    EXPECT_EQ(calendar->href(false), "/alice/calendars/work/abc@example.com.ics");

    auto file = parse_dav_path("http://127.0.0.1:8008/alice/files/litmus/a%20b/c?x=1");
    ASSERT_TRUE(file);
    EXPECT_EQ(file->repository_path(), "files/alice/litmus/a b/c");
    EXPECT_EQ(file->href(false), "/alice/files/litmus/a%20b/c");

    auto principal = parse_dav_path("/bob/");
    ASSERT_TRUE(principal);
    EXPECT_EQ(principal->area, Area::none);
    EXPECT_EQ(principal->repository_path(), "");
    EXPECT_EQ(principal->href(true), "/bob/");
}

TEST(DavPath, RejectsEscapesFromTheLayout)
{
    for (const char* target : {"/alice/files/../../users/alice.conf", "/alice/files/%2e%2e/x",
                               "/alice/files/.collection", "/alice/files/a%2Fb",
                               "/alice/files/a%00b", "/alice/files/%zz", "/Alice/files/x",
                               "/alice/other/x", "/alice/calendars/work/sub/x.ics", "relative",
                               "/alice/files//x"}) {
        EXPECT_FALSE(parse_dav_path(target)) << target;
    }
}

TEST(DavPath, EncodeSegmentRoundTrips)
{
    const std::string name = "a b/ü%?#.ics";
    auto path = parse_dav_path("/alice/files/" + encode_segment(name));
    ASSERT_FALSE(path); // the '/' inside makes it invalid once decoded
    const std::string safe = "a b ü%?#.ics";
    auto parsed = parse_dav_path("/alice/files/" + encode_segment(safe));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->segments.back(), safe);
}

TEST(UserName, AcceptsSafeNamesOnly)
{
    EXPECT_TRUE(is_valid_user_name("alice"));
    EXPECT_TRUE(is_valid_user_name("a.b-c_9"));
    for (const char* name : {"", ".alice", "-x", "Alice", "a/b", "a b", "ä"}) {
        EXPECT_FALSE(is_valid_user_name(name)) << name;
    }
    EXPECT_FALSE(is_valid_user_name(std::string(65, 'a')));
}

TEST(UserFile, RoundTripsWithQuoting)
{
    const UserRecord user{.name = "alice",
                          .password_hash = "$pbkdf2-sha256$i=1000$AAAA$BBBB",
                          .displayname = "Alice \"Al\" Example; #1 \\ x",
                          .email = "alice@example.com"};
    auto parsed = parse_user_file(write_user_file(user), "alice");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->password_hash, user.password_hash);
    EXPECT_EQ(parsed->displayname, user.displayname);
    EXPECT_EQ(parsed->email, user.email);
}

TEST(UserFile, RejectsMissingPassword)
{
    auto parsed = parse_user_file("[user]\n\tdisplayname = x\n", "bob");
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("users/bob.conf"), std::string::npos);
}

TEST(BasicAuthorization, DecodesCredentials)
{
    auto credentials = parse_basic_authorization("Basic YWxpY2U6czNjcjN0OnBhcnQ=");
    ASSERT_TRUE(credentials);
    EXPECT_EQ(credentials->user, "alice");
    EXPECT_EQ(credentials->password, "s3cr3t:part");
    EXPECT_FALSE(parse_basic_authorization("Bearer abc"));
    EXPECT_FALSE(parse_basic_authorization("Basic !!!!"));
    EXPECT_FALSE(parse_basic_authorization("Basic YWxpY2U=")); // no colon
}

TEST(CredentialCache, HitsOnlyForTheSameHash)
{
    CredentialCache cache(std::chrono::seconds(60));
    EXPECT_FALSE(cache.contains("alice", "pw", "hash1"));
    cache.insert("alice", "pw", "hash1");
    EXPECT_TRUE(cache.contains("alice", "pw", "hash1"));
    EXPECT_FALSE(cache.contains("alice", "pw", "hash2"));
    EXPECT_FALSE(cache.contains("alice", "pw2", "hash1"));
    EXPECT_FALSE(cache.contains("alicepw", "", "hash1"));
}

TEST(CredentialCache, ExpiresEntries)
{
    CredentialCache cache(std::chrono::seconds(0));
    // With a lifetime of zero, any time passed since the insert expires the entry.
    cache.insert("alice", "pw", "hash");
    EXPECT_FALSE(cache.contains("alice", "pw", "hash"));
}

TEST(FindUid, ReadsFoldedValues)
{
    EXPECT_EQ(find_uid("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:abc\r\n de\r\nEND:VEVENT\r\n"),
              "abcde");
    EXPECT_EQ(find_uid("BEGIN:VCARD\nuid;VALUE=text:x-1\nEND:VCARD\n"), "x-1");
    EXPECT_FALSE(find_uid("BEGIN:VCARD\nUIDX:y\nEND:VCARD\n"));
}

} // namespace
} // namespace robur::caldav
