#include <chrono>
#include <filesystem>
#include <thread>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/zone/rdata.hpp"
#include "formats/zone/record.hpp"
#include "formats/zone/serial.hpp"
#include "formats/zone/tokenizer.hpp"
#include "servers/dns/update.hpp"
#include "servers/dns/update_message.hpp"
#include "servers/dns/update_serial.hpp"
#include "store/config.hpp"
#include "tests/unit/store/fixture.hpp"

namespace robur::dns {
namespace {

namespace fs = std::filesystem;
namespace rrtype = zone::rrtype;
namespace rrclass = zone::rrclass;
using store::testing::commit_files;
using store::testing::git;
using store::testing::git_rev;
using store::testing::read_file;
using store::testing::TempDir;
using store::testing::write_file;

const std::string zone_path = "zones/example.com.zone";

const std::string zone_text = "$TTL 3600\n"
                              "; example.com, served by robur\n"
                              "@   IN SOA ns1 hostmaster (\n"
                              "        2024010101 ; serial\n"
                              "        7200 900 1209600 300 )\n"
                              "    IN NS ns1\n"
                              "    IN NS ns2\n"
                              "\n"
                              "ns1 IN A 192.0.2.1\n"
                              "ns2 IN A 192.0.2.2\n"
                              "www 300 IN A 192.0.2.10\n"
                              "alias IN CNAME www\n";

zone::Name name(std::string_view text)
{
    return zone::Name::parse(text, zone::Name::parse("example.com.").value()).value();
}

std::vector<std::uint8_t> rdata(std::uint16_t type, std::string_view text)
{
    auto tokens = zone::tokenize_rdata(text).value();
    return zone::rdata_from_text(type, tokens, zone::Name::parse("example.com.").value()).value();
}

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

// Builds UPDATE requests (RFC 2136 section 2) record by record.
class UpdateBuilder {
public:
    explicit UpdateBuilder(std::string_view zone = "example.com.",
                           std::uint16_t zone_class = rrclass::in)
        : zone_(name(zone)), zone_class_(zone_class)
    {
    }

    UpdateBuilder& prerequisite(std::string_view owner, std::uint16_t type, std::uint16_t rclass,
                                std::vector<std::uint8_t> data = {}, std::uint32_t ttl = 0)
    {
        prerequisites_.push_back({name(owner), type, rclass, ttl, std::move(data)});
        return *this;
    }
    UpdateBuilder& add(std::string_view owner, std::uint32_t ttl, std::uint16_t type,
                       std::string_view data)
    {
        updates_.push_back({name(owner), type, rrclass::in, ttl, rdata(type, data)});
        return *this;
    }
    UpdateBuilder& delete_rrset(std::string_view owner, std::uint16_t type)
    {
        updates_.push_back({name(owner), type, rrclass::any, 0, {}});
        return *this;
    }
    UpdateBuilder& delete_record(std::string_view owner, std::uint16_t type, std::string_view data)
    {
        updates_.push_back({name(owner), type, rrclass::none, 0, rdata(type, data)});
        return *this;
    }
    UpdateBuilder& raw_update(UpdateRecord record)
    {
        updates_.push_back(std::move(record));
        return *this;
    }

    [[nodiscard]] std::vector<std::uint8_t> build() const
    {
        std::vector<std::uint8_t> message;
        append_u16(message, 0x4242);
        append_u16(message, 5 << 11); // opcode UPDATE
        append_u16(message, 1);
        append_u16(message, static_cast<std::uint16_t>(prerequisites_.size()));
        append_u16(message, static_cast<std::uint16_t>(updates_.size()));
        append_u16(message, 0);
        const auto zone_wire = zone_.wire();
        message.insert(message.end(), zone_wire.begin(), zone_wire.end());
        append_u16(message, rrtype::soa);
        append_u16(message, zone_class_);
        for (const auto* section : {&prerequisites_, &updates_}) {
            for (const auto& record : *section) {
                const auto owner = record.owner.wire();
                message.insert(message.end(), owner.begin(), owner.end());
                append_u16(message, record.type);
                append_u16(message, record.rclass);
                append_u16(message, static_cast<std::uint16_t>(record.ttl >> 16));
                append_u16(message, static_cast<std::uint16_t>(record.ttl));
                append_u16(message, static_cast<std::uint16_t>(record.rdata.size()));
                message.insert(message.end(), record.rdata.begin(), record.rdata.end());
            }
        }
        return message;
    }

private:
    zone::Name zone_;
    std::uint16_t zone_class_;
    std::vector<UpdateRecord> prerequisites_;
    std::vector<UpdateRecord> updates_;
};

// A data repository with a work tree holding example.com, and an updater on its branch.
class ZoneUpdateTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        store::testing::git_init(root());
        commit_files(root(), {{zone_path, zone_text}}, "Add example.com");
        updater_.emplace(store::Repository::open(root()).value(),
                         UpdateOptions{"refs/heads/main", 3, std::nullopt, {}});
    }

    [[nodiscard]] const fs::path& root() const { return folder_.path(); }
    [[nodiscard]] std::string head() const { return git_rev(root(), "main"); }
    [[nodiscard]] std::string committed_zone() const
    {
        return git(root(), "show main:" + zone_path);
    }

    UpdateResult apply(const UpdateBuilder& builder, const std::string& author = "key.example")
    {
        return updater_->apply(builder.build(), author);
    }

    // Applies an update that must change nothing and checks that no commit was made.
    void expect_no_change(const UpdateBuilder& builder, Rcode rcode)
    {
        const std::string before = head();
        const UpdateResult result = apply(builder);
        EXPECT_EQ(result.rcode, rcode) << result.summary;
        EXPECT_FALSE(result.commit) << result.summary;
        EXPECT_EQ(head(), before);
        EXPECT_EQ(committed_zone(), zone_text);
    }

    TempDir folder_;
    std::optional<ZoneUpdater> updater_;
};

TEST(UpdateMessage, ParsesSectionsAndDecompressesRdata)
{
    // Zone section, one prerequisite and one update whose NS rdata points back at the zone name.
    std::vector<std::uint8_t> message = UpdateBuilder().prerequisite("www", rrtype::a, rrclass::any)
                                            .build();
    message[9] = 1; // NSCOUNT 1
    const zone::Name owner = name("sub");
    message.insert(message.end(), owner.wire().begin(), owner.wire().end());
    for (const std::uint16_t field : {rrtype::ns, rrclass::in, std::uint16_t{0}, std::uint16_t{60},
                                      std::uint16_t{6}}) {
        append_u16(message, field);
    }
    message.insert(message.end(), {3, 'n', 's', '1', 0xC0, 12});

    auto parsed = parse_update(message);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->id, 0x4242);
    EXPECT_EQ(parsed->zone, name("@"));
    ASSERT_EQ(parsed->prerequisites.size(), 1U);
    EXPECT_EQ(parsed->prerequisites[0].rclass, rrclass::any);
    ASSERT_EQ(parsed->updates.size(), 1U);
    EXPECT_EQ(parsed->updates[0].ttl, 60U);
    EXPECT_EQ(parsed->updates[0].rdata, rdata(rrtype::ns, "ns1"));
}

// An UPDATE as BIND 9.18's nsupdate sends it, signed with hmac-sha256: "prereq nxdomain
// new.example.com", "update add new.example.com. 300 IN A 192.0.2.55", "update add
// new.example.com. 300 IN MX 10 mail.example.com." (the MX target compressed) and "update
// delete www.example.com. A", with the TSIG record last in the additional section.
std::vector<std::uint8_t> nsupdate_message()
{
    const std::string hex =
        "ac4f28000001000100030001076578616d706c6503636f6d0000060001036e6577c00c00ff00fe00"
        "0000000000c01d000100010000012c0004c0000237c01d000f00010000012c0009000a046d61696c"
        "c00c03777777c00c000100ff00000000000005686f737431075f757064617465076578616d706c65"
        "03636f6d0000fa00ff00000000003d0b686d61632d7368613235360000006b134708012c00205806"
        "ff24890c1d127407cfb4137dbfe76fec93eb1290788718532e32c79b84fcac4f00000000";
    std::vector<std::uint8_t> message;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        message.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return message;
}

TEST(UpdateMessage, ReadsNsupdateRequest)
{
    auto parsed = parse_update(nsupdate_message());
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->zone, name("@"));
    ASSERT_EQ(parsed->prerequisites.size(), 1U);
    EXPECT_EQ(parsed->prerequisites[0].rclass, rrclass::none);
    EXPECT_EQ(parsed->prerequisites[0].type, rrtype::any);
    ASSERT_EQ(parsed->updates.size(), 3U);
    EXPECT_EQ(parsed->updates[0].rdata, rdata(rrtype::a, "192.0.2.55"));
    EXPECT_EQ(parsed->updates[1].rdata, rdata(rrtype::mx, "10 mail"));
    EXPECT_EQ(parsed->updates[2].rclass, rrclass::any);
}

TEST(UpdateMessage, RejectsMalformedMessages)
{
    const std::vector<std::uint8_t> good = UpdateBuilder().add("a", 60, rrtype::a, "192.0.2.1")
                                               .build();
    ASSERT_TRUE(parse_update(good));

    auto two_zones = good;
    two_zones[5] = 2;
    EXPECT_FALSE(parse_update(two_zones));

    auto not_soa = good;
    not_soa[12 + name("@").wire_length() + 1] = rrtype::a;
    EXPECT_FALSE(parse_update(not_soa));

    auto query = good;
    query[2] = 0;
    EXPECT_FALSE(parse_update(query));

    auto truncated = good;
    truncated.resize(truncated.size() - 2);
    EXPECT_FALSE(parse_update(truncated));

    auto missing_additional = good;
    missing_additional[11] = 1;
    EXPECT_FALSE(parse_update(missing_additional));

    // Glue in the additional section is allowed; a second OPT record is not.
    auto glue = good;
    glue[11] = 1;
    const zone::Name glue_owner = name("ns.child");
    glue.insert(glue.end(), glue_owner.wire().begin(), glue_owner.wire().end());
    for (const std::uint16_t field : {rrtype::a, rrclass::in, std::uint16_t{0}, std::uint16_t{60},
                                      std::uint16_t{4}}) {
        append_u16(glue, field);
    }
    glue.insert(glue.end(), {192, 0, 2, 53});
    EXPECT_TRUE(parse_update(glue));

    auto two_opt = good;
    two_opt[11] = 2;
    for (int i = 0; i < 2; ++i) {
        two_opt.push_back(0);
        for (const std::uint16_t field : {rrtype::opt, std::uint16_t{1232}, std::uint16_t{0},
                                          std::uint16_t{0}, std::uint16_t{0}}) {
            append_u16(two_opt, field);
        }
    }
    EXPECT_FALSE(parse_update(two_opt));
}

TEST_F(ZoneUpdateTest, AddsRecordAndCommitsInPlace)
{
    const UpdateResult result =
        apply(UpdateBuilder().add("www", 300, rrtype::a, "192.0.2.11"), "host1._update.example.com");
    ASSERT_EQ(result.rcode, Rcode::noerror) << result.summary;
    ASSERT_TRUE(result.commit);
    EXPECT_EQ(result.commit->to_string(), head());

    const std::string text = committed_zone();
    EXPECT_NE(text.find("www 300 IN A 192.0.2.10\nwww 300 IN A 192.0.2.11\nalias"),
              std::string::npos)
        << text;
    const std::string diff = git(root(), "diff --unified=0 main~1 main -- " + zone_path);
    EXPECT_NE(diff.find("-        2024010101 ; serial"), std::string::npos) << diff;
    EXPECT_NE(diff.find("+www 300 IN A 192.0.2.11"), std::string::npos) << diff;
    EXPECT_EQ(git(root(), "diff --numstat main~1 main"), "2\t1\t" + zone_path + "\n");

    EXPECT_EQ(git(root(), "log -1 --format=%an%n%ae%n%s main"),
              "host1._update.example.com\nhost1._update.example.com\n"
              "Update example.com: 1 added, 0 removed\n");
    const std::string body = git(root(), "log -1 --format=%b main");
    EXPECT_NE(body.find("+ www.example.com. 300 IN A 192.0.2.11"), std::string::npos) << body;
    EXPECT_NE(body.find("serial 2024010101 -> "), std::string::npos) << body;
    EXPECT_EQ(read_file(root() / zone_path), text); // the work tree follows the branch
}

TEST_F(ZoneUpdateTest, AppliesNsupdateRequest)
{
    const UpdateResult result = updater_->apply(nsupdate_message(), "host1._update.example.com");
    ASSERT_TRUE(result.commit) << result.summary;
    const std::string text = committed_zone();
    EXPECT_EQ(text.find("www 300 IN A"), std::string::npos) << text;
    EXPECT_NE(text.find("alias IN CNAME www\nnew 300 IN A 192.0.2.55\n"
                        "new 300 IN MX 10 mail.example.com.\n"),
              std::string::npos)
        << text;
}

TEST_F(ZoneUpdateTest, UnknownZoneIsNotAuth)
{
    const UpdateResult result =
        apply(UpdateBuilder("example.org.").add("www.example.org.", 60, rrtype::a, "192.0.2.1"));
    EXPECT_EQ(result.rcode, Rcode::notauth);
    EXPECT_FALSE(result.commit);
}

TEST_F(ZoneUpdateTest, ZoneNameIgnoresCase)
{
    const UpdateResult result =
        apply(UpdateBuilder("EXAMPLE.com.").add("new", 60, rrtype::a, "192.0.2.1"));
    EXPECT_EQ(result.rcode, Rcode::noerror) << result.summary;
    EXPECT_TRUE(result.commit);
}

TEST_F(ZoneUpdateTest, NameOutsideZoneIsNotZone)
{
    expect_no_change(UpdateBuilder().add("www.example.org.", 60, rrtype::a, "192.0.2.1"),
                     Rcode::notzone);
    expect_no_change(UpdateBuilder().prerequisite("example.org.", rrtype::any, rrclass::any),
                     Rcode::notzone);
}

TEST_F(ZoneUpdateTest, MalformedRequestIsFormErr)
{
    auto message = UpdateBuilder().add("new", 60, rrtype::a, "192.0.2.1").build();
    message.resize(message.size() - 1);
    const UpdateResult result = updater_->apply(message, "key.example");
    EXPECT_EQ(result.rcode, Rcode::formerr);
    EXPECT_FALSE(result.commit);
}

TEST_F(ZoneUpdateTest, PrerequisitesGiveTheirRcodes)
{
    struct Case {
        const char* owner;
        std::uint16_t type;
        std::uint16_t rclass;
        Rcode failure; // noerror: the prerequisite is met
    };
    const std::vector<Case> cases = {
        {"www", rrtype::any, rrclass::any, Rcode::noerror},    // name is in use
        {"nothere", rrtype::any, rrclass::any, Rcode::nxdomain},
        {"www", rrtype::a, rrclass::any, Rcode::noerror},      // RRset exists
        {"www", rrtype::aaaa, rrclass::any, Rcode::nxrrset},
        {"nothere", rrtype::any, rrclass::none, Rcode::noerror}, // name is not in use
        {"www", rrtype::any, rrclass::none, Rcode::yxdomain},
        {"www", rrtype::aaaa, rrclass::none, Rcode::noerror},  // RRset does not exist
        {"www", rrtype::a, rrclass::none, Rcode::yxrrset},
    };
    for (const auto& item : cases) {
        SCOPED_TRACE(fmt::format("{} {} {}", item.owner, item.type, item.rclass));
        UpdateBuilder builder;
        builder.prerequisite(item.owner, item.type, item.rclass)
            .add("marker", 60, rrtype::txt, fmt::format("\"{}-{}-{}\"", item.owner, item.type,
                                                          item.rclass));
        const UpdateResult result = apply(builder);
        EXPECT_EQ(result.rcode, item.failure) << result.summary;
        EXPECT_EQ(result.commit.has_value(), item.failure == Rcode::noerror);
    }
}

TEST_F(ZoneUpdateTest, ValueDependentPrerequisiteComparesWholeRrset)
{
    const auto ns = [](std::string_view target) { return rdata(rrtype::ns, target); };
    expect_no_change(UpdateBuilder()
                         .prerequisite("@", rrtype::ns, rrclass::in, ns("ns1"))
                         .add("new", 60, rrtype::a, "192.0.2.1"),
                     Rcode::nxrrset);

    const UpdateResult result = apply(UpdateBuilder()
                                          .prerequisite("@", rrtype::ns, rrclass::in, ns("NS2"))
                                          .prerequisite("@", rrtype::ns, rrclass::in, ns("ns1"))
                                          .add("new", 60, rrtype::a, "192.0.2.1"));
    EXPECT_EQ(result.rcode, Rcode::noerror) << result.summary;
    EXPECT_TRUE(result.commit);
}

TEST_F(ZoneUpdateTest, BadPrerequisiteFieldsAreFormErr)
{
    expect_no_change(UpdateBuilder().prerequisite("www", rrtype::a, rrclass::any, {}, 60),
                     Rcode::formerr);
    expect_no_change(
        UpdateBuilder().prerequisite("www", rrtype::a, rrclass::any, rdata(rrtype::a, "192.0.2.10")),
        Rcode::formerr);
    expect_no_change(UpdateBuilder().prerequisite("www", rrtype::a, rrclass::ch,
                                                  rdata(rrtype::a, "192.0.2.10")),
                     Rcode::formerr);
    expect_no_change(UpdateBuilder().prerequisite("www", rrtype::any, rrclass::in), Rcode::formerr);
}

TEST_F(ZoneUpdateTest, BadUpdateFieldsAreFormErr)
{
    // Class ANY with rdata, class ANY with a TTL, a meta type added, class NONE with a TTL.
    expect_no_change(UpdateBuilder().raw_update(
                         {name("www"), rrtype::a, rrclass::any, 0, rdata(rrtype::a, "192.0.2.10")}),
                     Rcode::formerr);
    expect_no_change(UpdateBuilder().raw_update({name("www"), rrtype::a, rrclass::any, 60, {}}),
                     Rcode::formerr);
    expect_no_change(UpdateBuilder().raw_update({name("www"), rrtype::any, rrclass::in, 60, {}}),
                     Rcode::formerr);
    expect_no_change(UpdateBuilder().raw_update({name("www"), rrtype::axfr, rrclass::any, 0, {}}),
                     Rcode::formerr);
    expect_no_change(UpdateBuilder().raw_update(
                         {name("www"), rrtype::a, rrclass::none, 60, rdata(rrtype::a, "192.0.2.10")}),
                     Rcode::formerr);
    expect_no_change(UpdateBuilder().raw_update({name("www"), rrtype::a, rrclass::ch, 0, {}}),
                     Rcode::formerr);
}

TEST_F(ZoneUpdateTest, AllOrNothing)
{
    // The first record is fine; the second is malformed, so neither is applied.
    expect_no_change(UpdateBuilder()
                         .add("first", 60, rrtype::a, "192.0.2.50")
                         .raw_update({name("www"), rrtype::a, rrclass::any, 60, {}}),
                     Rcode::formerr);
    expect_no_change(UpdateBuilder()
                         .add("first", 60, rrtype::a, "192.0.2.50")
                         .add("second.example.org.", 60, rrtype::a, "192.0.2.51"),
                     Rcode::notzone);
}

TEST_F(ZoneUpdateTest, CnameBesideDataIsIgnored)
{
    expect_no_change(UpdateBuilder().add("www", 300, rrtype::cname, "elsewhere"), Rcode::noerror);
    expect_no_change(UpdateBuilder().add("alias", 300, rrtype::a, "192.0.2.99"), Rcode::noerror);
}

TEST_F(ZoneUpdateTest, CnameReplacesCname)
{
    const UpdateResult result = apply(UpdateBuilder().add("alias", 3600, rrtype::cname, "ns1"));
    ASSERT_TRUE(result.commit) << result.summary;
    const std::string text = committed_zone();
    EXPECT_EQ(text.find("alias IN CNAME www\n"), std::string::npos) << text;
    EXPECT_NE(text.find("alias 3600 IN CNAME ns1.example.com.\n"), std::string::npos) << text;
}

TEST_F(ZoneUpdateTest, DuplicateAddChangesNothing)
{
    expect_no_change(UpdateBuilder().add("www", 300, rrtype::a, "192.0.2.10"), Rcode::noerror);
}

TEST_F(ZoneUpdateTest, DeletesRrsetNameAndRecord)
{
    const UpdateResult result = apply(UpdateBuilder()
                                          .delete_rrset("www", rrtype::a)
                                          .delete_record("ns2", rrtype::a, "192.0.2.2")
                                          .raw_update({name("alias"), rrtype::any, rrclass::any,
                                                       0, {}}));
    ASSERT_TRUE(result.commit) << result.summary;
    const std::string text = committed_zone();
    EXPECT_EQ(text.find("www"), std::string::npos) << text;
    EXPECT_EQ(text.find("alias"), std::string::npos) << text;
    EXPECT_EQ(text.find("192.0.2.2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ns1 IN A 192.0.2.1\n"), std::string::npos) << text;
    EXPECT_EQ(git(root(), "log -1 --format=%s main"), "Update example.com: 0 added, 3 removed\n");
}

TEST_F(ZoneUpdateTest, ApexSoaAndNsAreKept)
{
    // Deleting every RRset of the apex keeps SOA and NS; deleting the SOA or the NS RRset is
    // ignored; the last apex NS cannot go.
    expect_no_change(UpdateBuilder().raw_update({name("@"), rrtype::any, rrclass::any, 0, {}}),
                     Rcode::noerror);
    expect_no_change(UpdateBuilder().delete_rrset("@", rrtype::soa), Rcode::noerror);
    expect_no_change(UpdateBuilder().delete_rrset("@", rrtype::ns), Rcode::noerror);

    const UpdateResult result = apply(UpdateBuilder()
                                          .delete_record("@", rrtype::ns, "ns1")
                                          .delete_record("@", rrtype::ns, "ns2"));
    ASSERT_TRUE(result.commit) << result.summary;
    const std::string text = committed_zone();
    EXPECT_EQ(text.find("IN NS ns1"), std::string::npos) << text;
    EXPECT_NE(text.find("IN NS ns2"), std::string::npos) << text;
}

TEST_F(ZoneUpdateTest, SoaAddReplacesOnlyWithNewerSerial)
{
    expect_no_change(UpdateBuilder().add("@", 3600, rrtype::soa,
                                         "ns1 hostmaster 2024010101 7200 900 1209600 300"),
                     Rcode::noerror);
    expect_no_change(UpdateBuilder().add("www", 3600, rrtype::soa,
                                         "ns1 hostmaster 2024010105 7200 900 1209600 300"),
                     Rcode::noerror);

    const UpdateResult serial_only = apply(UpdateBuilder().add(
        "@", 3600, rrtype::soa, "ns1 hostmaster 2024010105 7200 900 1209600 300"));
    ASSERT_TRUE(serial_only.commit) << serial_only.summary;
    EXPECT_EQ(git(root(), "diff --numstat main~1 main"), "1\t1\t" + zone_path + "\n");
    EXPECT_NE(committed_zone().find("        2024010105 ; serial\n"), std::string::npos);

    const UpdateResult refresh = apply(UpdateBuilder().add(
        "@", 3600, rrtype::soa, "ns1 hostmaster 2024010106 3600 900 1209600 300"));
    ASSERT_TRUE(refresh.commit) << refresh.summary;
    EXPECT_NE(committed_zone().find(
                  "@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010106 3600"),
              std::string::npos)
        << committed_zone();
}

TEST_F(ZoneUpdateTest, RrsetTakesTheNewTtl)
{
    const UpdateResult result = apply(UpdateBuilder().add("www", 60, rrtype::a, "192.0.2.11"));
    ASSERT_TRUE(result.commit) << result.summary;
    const std::string text = committed_zone();
    EXPECT_NE(text.find("www 60 IN A 192.0.2.10\nwww 60 IN A 192.0.2.11\n"), std::string::npos)
        << text;
}

TEST_F(ZoneUpdateTest, InvalidResultIsRefused)
{
    // A delegation whose name server lies inside it needs glue.
    expect_no_change(UpdateBuilder().add("child", 3600, rrtype::ns, "ns.child"), Rcode::refused);
}

TEST_F(ZoneUpdateTest, GeneratedRecordIsRefused)
{
    commit_files(root(), {{zone_path, zone_text + "$GENERATE 1-3 host$ A 192.0.2.$\n"}},
                 "Add generated hosts");
    const std::string before = head();
    const UpdateResult result = apply(UpdateBuilder().delete_rrset("host2", rrtype::a));
    EXPECT_EQ(result.rcode, Rcode::refused);
    EXPECT_NE(result.summary.find("zones/example.com.zone:13"), std::string::npos)
        << result.summary;
    EXPECT_EQ(head(), before);
}

TEST_F(ZoneUpdateTest, OnlineZoneRefusesSignerRecords)
{
    commit_files(root(), {{"robur.conf", "[dns]\n\tdnssec = online\n"}}, "Sign online");
    const std::string before = head();
    const UpdateResult rrsig = apply(UpdateBuilder().raw_update(
        {name("www"), rrtype::rrsig, rrclass::in, 300, std::vector<std::uint8_t>(24, 1)}));
    EXPECT_EQ(rrsig.rcode, Rcode::refused);
    EXPECT_NE(rrsig.summary.find("RRSIG"), std::string::npos) << rrsig.summary;
    const UpdateResult nsec3param = apply(UpdateBuilder().delete_rrset("@", rrtype::nsec3param));
    EXPECT_EQ(nsec3param.rcode, Rcode::refused);
    const UpdateResult dnskey = apply(UpdateBuilder().raw_update(
        {name("@"), rrtype::dnskey, rrclass::in, 300, {1, 0, 3, 13, 1, 2, 3, 4}}));
    EXPECT_EQ(dnskey.rcode, Rcode::refused);
    EXPECT_NE(dnskey.summary.find("apex DNSKEY"), std::string::npos) << dnskey.summary;
    EXPECT_EQ(head(), before);
}

TEST_F(ZoneUpdateTest, OnlineZoneTakesOrdinaryRecords)
{
    commit_files(root(), {{"robur.conf", "[dns]\n\tdnssec = online\n"}}, "Sign online");
    const UpdateResult result = apply(UpdateBuilder().add("new", 300, rrtype::a, "192.0.2.50"));
    EXPECT_EQ(result.rcode, Rcode::noerror) << result.summary;
    EXPECT_TRUE(result.commit) << result.summary;
}

TEST_F(ZoneUpdateTest, OfflineZoneIsRefused)
{
    commit_files(root(), {{"robur.conf", "[zone \"example.com\"]\n\tdnssec = offline\n"}},
                 "Sign offline");
    const std::string before = head();
    const UpdateResult result = apply(UpdateBuilder().add("new", 300, rrtype::a, "192.0.2.50"));
    EXPECT_EQ(result.rcode, Rcode::refused);
    EXPECT_NE(result.summary.find("dnssec = online"), std::string::npos) << result.summary;
    EXPECT_EQ(head(), before);
}

TEST_F(ZoneUpdateTest, ZoneWithSignaturesIsRefused)
{
    commit_files(root(),
                 {{zone_path, zone_text + "www 300 IN RRSIG A 13 3 300 20300101000000 "
                                          "20200101000000 1 example.com. AAAA\n"}},
                 "Add a signature");
    const std::string before = head();
    const UpdateResult result = apply(UpdateBuilder().add("new", 300, rrtype::a, "192.0.2.50"));
    EXPECT_EQ(result.rcode, Rcode::refused);
    EXPECT_EQ(head(), before);
}

TEST_F(ZoneUpdateTest, EditsIncludedFile)
{
    commit_files(root(),
                 {{"zones/hosts/web.inc", "web 300 IN A 192.0.2.40\n"},
                  {zone_path, zone_text + "$INCLUDE hosts/web.inc\n"}},
                 "Include web hosts");
    const UpdateResult result = apply(UpdateBuilder().add("web", 300, rrtype::a, "192.0.2.41"));
    ASSERT_TRUE(result.commit) << result.summary;
    EXPECT_EQ(git(root(), "show main:zones/hosts/web.inc"),
              "web 300 IN A 192.0.2.40\nweb.example.com. 300 IN A 192.0.2.41\n");
}

TEST_F(ZoneUpdateTest, DirtyWorkTreeIsServFail)
{
    write_file(root() / zone_path, zone_text + "; edited by hand\n");
    const std::string before = head();
    const UpdateResult result = apply(UpdateBuilder().add("new", 60, rrtype::a, "192.0.2.1"));
    EXPECT_EQ(result.rcode, Rcode::servfail);
    EXPECT_FALSE(result.commit);
    EXPECT_EQ(head(), before);
    EXPECT_EQ(read_file(root() / zone_path), zone_text + "; edited by hand\n");
}

TEST_F(ZoneUpdateTest, ReappliesWhenBranchMoved)
{
    const std::string pushed = zone_text + "pushed IN A 192.0.2.77\n";
    updater_.emplace(store::Repository::open(root()).value(),
                     UpdateOptions{"refs/heads/main", 3, std::nullopt,
                                   [&](std::size_t attempt) {
                                       if (attempt == 1) {
                                           commit_files(root(), {{zone_path, pushed}}, "Push");
                                       }
                                   }});
    const UpdateResult result = apply(UpdateBuilder().add("new", 60, rrtype::a, "192.0.2.1"));
    ASSERT_EQ(result.rcode, Rcode::noerror) << result.summary;
    ASSERT_TRUE(result.commit);
    EXPECT_EQ(git(root(), "log -1 --format=%s main~1"), "Push\n");
    const std::string text = committed_zone();
    EXPECT_NE(text.find("pushed IN A 192.0.2.77\n"), std::string::npos) << text;
    EXPECT_NE(text.find("new 60 IN A 192.0.2.1\n"), std::string::npos) << text;
}

TEST_F(ZoneUpdateTest, PrerequisitesAreCheckedAgainAfterBranchMoved)
{
    updater_.emplace(store::Repository::open(root()).value(),
                     UpdateOptions{"refs/heads/main", 3, std::nullopt,
                                   [&](std::size_t attempt) {
                                       if (attempt == 1) {
                                           commit_files(root(),
                                                        {{zone_path,
                                                          zone_text + "new IN A 192.0.2.9\n"}},
                                                        "Push");
                                       }
                                   }});
    const UpdateResult result = apply(UpdateBuilder()
                                          .prerequisite("new", rrtype::any, rrclass::none)
                                          .add("new", 60, rrtype::a, "192.0.2.1"));
    EXPECT_EQ(result.rcode, Rcode::yxdomain) << result.summary;
    EXPECT_FALSE(result.commit);
    EXPECT_EQ(git(root(), "log -1 --format=%s main"), "Push\n");
}

TEST_F(ZoneUpdateTest, GivesUpAfterMaxAttempts)
{
    std::size_t moves = 0;
    updater_.emplace(store::Repository::open(root()).value(),
                     UpdateOptions{"refs/heads/main", 2, std::nullopt, [&](std::size_t) {
                                       ++moves;
                                       commit_files(root(),
                                                    {{fmt::format("notes/{}.txt", moves), "x\n"}},
                                                    "Unrelated push");
                                   }});
    const UpdateResult result = apply(UpdateBuilder().add("new", 60, rrtype::a, "192.0.2.1"));
    EXPECT_EQ(result.rcode, Rcode::servfail);
    EXPECT_FALSE(result.commit);
    EXPECT_EQ(moves, 2U);
    EXPECT_EQ(committed_zone(), zone_text);
}

TEST_F(ZoneUpdateTest, PushesCommitToRemote)
{
    TempDir remote;
    store::testing::git_init(remote.path() / "mirror.git", true);
    const std::string mirror = store::testing::shell_quote((remote.path() / "mirror.git").string());
    git(root(), "remote add mirror " + mirror);
    updater_.emplace(store::Repository::open(root()).value(),
                     UpdateOptions{"refs/heads/main", 3, std::string("mirror"), {}});
    const UpdateResult result = apply(UpdateBuilder().add("new", 60, rrtype::a, "192.0.2.1"));
    ASSERT_TRUE(result.commit) << result.summary;

    // The push runs in the background: poll the mirror for up to 10 seconds.
    const std::string expected = result.commit->to_string() + "\n";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string pushed;
    while (pushed != expected && std::chrono::steady_clock::now() < deadline) {
        pushed = store::testing::run_shell("git -C " + mirror + " rev-parse -q --verify main").output;
        std::this_thread::yield();
    }
    EXPECT_EQ(pushed, expected);
}

TEST_F(ZoneUpdateTest, FailedPushKeepsTheCommit)
{
    updater_.emplace(store::Repository::open(root()).value(),
                     UpdateOptions{"refs/heads/main", 3, std::string("missing-remote"), {}});
    const UpdateResult result = apply(UpdateBuilder().add("new", 60, rrtype::a, "192.0.2.1"));
    EXPECT_EQ(result.rcode, Rcode::noerror);
    ASSERT_TRUE(result.commit) << result.summary;
    EXPECT_EQ(result.commit->to_string(), head());
}

// Reads an nsupdate script and returns one UPDATE request per "send". Only the commands that
// the fault cases use are read (zone, update add, update delete, send), and server lines are
// ignored.
std::vector<std::vector<std::uint8_t>> read_nsupdate_script(const fs::path& path)
{
    std::ifstream stream(path);
    std::vector<std::vector<std::uint8_t>> messages;
    std::string zone = "example.com.";
    std::optional<UpdateBuilder> builder;
    std::string line;
    while (std::getline(stream, line)) {
        std::istringstream words(line);
        std::string command;
        words >> command;
        if (command == "zone") {
            words >> zone;
            zone += zone.back() == '.' ? "" : ".";
        } else if (command == "update") {
            std::string action;
            std::string owner;
            std::uint32_t ttl = 0;
            std::string rclass;
            std::string type;
            words >> action >> owner >> ttl >> rclass >> type;
            std::string data;
            std::getline(words, data);
            if (!builder) {
                builder.emplace(zone);
            }
            const auto type_number = zone::type_from_string(type).value();
            if (action == "add") {
                builder->add(owner, ttl, type_number, data);
            } else {
                builder->delete_record(owner, type_number, data);
            }
        } else if (command == "send" && builder) {
            messages.push_back(builder->build());
            builder.reset();
        }
    }
    return messages;
}

std::optional<fs::path> fault_case(const std::string& file)
{
    const fs::path path = fs::path(ROBUR_CORPUS_DIR) / "dns" / "faults" / file;
    if (!fs::exists(path)) {
        return std::nullopt;
    }
    return path;
}

TEST_F(ZoneUpdateTest, FaultCnameBesideAIsNotApplied)
{
    const auto path = fault_case("update-cname-beside-a.nsupdate");
    if (!path) {
        GTEST_SKIP() << "corpus not found at " << ROBUR_CORPUS_DIR << ", skipping";
    }
    const auto messages = read_nsupdate_script(*path);
    ASSERT_EQ(messages.size(), 2U);
    const UpdateResult first = updater_->apply(messages[0], "key.example");
    ASSERT_TRUE(first.commit) << first.summary;
    const std::string after_first = head();
    const std::string text = committed_zone();

    const UpdateResult second = updater_->apply(messages[1], "key.example");
    EXPECT_EQ(second.rcode, Rcode::noerror) << second.summary;
    EXPECT_FALSE(second.commit);
    EXPECT_EQ(head(), after_first);
    EXPECT_EQ(committed_zone(), text);
    EXPECT_EQ(text.find("CNAME target"), std::string::npos) << text;
}

TEST_F(ZoneUpdateTest, FaultRrsetTtlStaysSingle)
{
    const auto path = fault_case("update-rrset-ttl.nsupdate");
    if (!path) {
        GTEST_SKIP() << "corpus not found at " << ROBUR_CORPUS_DIR << ", skipping";
    }
    const auto messages = read_nsupdate_script(*path);
    ASSERT_EQ(messages.size(), 2U);
    for (const auto& message : messages) {
        const UpdateResult result = updater_->apply(message, "key.example");
        ASSERT_TRUE(result.commit) << result.summary;
    }
    const std::string text = committed_zone();
    EXPECT_NE(text.find("test 3600 IN A 192.0.2.111\ntest 3600 IN A 192.0.2.112\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("test 60"), std::string::npos) << text;
}

TEST(SerialPolicy, ZoneSettingWinsOverDnsSetting)
{
    auto config = store::Config::parse("[dns]\n\tserial = auto\n"
                                       "[zone \"example.org\"]\n\tserial = manual\n"
                                       "[zone \"Example.NET.\"]\n\tserial = auto\n",
                                       "robur.conf")
                      .value();
    EXPECT_TRUE(serial_is_auto(config, zone::Name::parse("example.com.").value()).value());
    EXPECT_FALSE(serial_is_auto(config, zone::Name::parse("example.org.").value()).value());
    EXPECT_TRUE(serial_is_auto(config, zone::Name::parse("example.net.").value()).value());

    auto manual = store::Config::parse("[dns]\n\tlisten = 127.0.0.1:5300\n", "robur.conf").value();
    EXPECT_FALSE(serial_is_auto(manual, zone::Name::parse("example.com.").value()).value());

    auto invalid = store::Config::parse("[dns]\n\tserial = sometimes\n", "robur.conf").value();
    auto result = serial_is_auto(invalid, zone::Name::parse("example.com.").value());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("expected auto or manual"), std::string::npos);
}

TEST_F(ZoneUpdateTest, RaisesStaleSerialWhenAuto)
{
    commit_files(root(), {{"robur.conf", "[dns]\n\tserial = auto\n"}}, "Set serial = auto");
    const auto before = store::ObjectId::from_hex(head()).value();
    commit_files(root(), {{zone_path, zone_text + "pushed IN A 192.0.2.77\n"}}, "Push");
    const auto after = store::ObjectId::from_hex(head()).value();

    auto repository = store::Repository::open(root()).value();
    auto raised = raise_stale_serials(repository, "refs/heads/main", before, after);
    ASSERT_TRUE(raised) << raised.error().message;
    ASSERT_TRUE(*raised);
    EXPECT_EQ((*raised)->to_string(), head());
    EXPECT_EQ(git(root(), "diff --numstat main~1 main"), "1\t1\t" + zone_path + "\n");
    EXPECT_NE(git(root(), "log -1 --format=%s main").find("Raise serial of example.com to "),
              std::string::npos);

    // Nothing left to raise: the serial now increased.
    const auto now = store::ObjectId::from_hex(head()).value();
    auto again = raise_stale_serials(repository, "refs/heads/main", before, now);
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);
}

TEST_F(ZoneUpdateTest, LeavesManualSerialAlone)
{
    const auto before = store::ObjectId::from_hex(head()).value();
    commit_files(root(), {{zone_path, zone_text + "pushed IN A 192.0.2.77\n"}}, "Push");
    const auto after = store::ObjectId::from_hex(head()).value();
    auto repository = store::Repository::open(root()).value();
    auto raised = raise_stale_serials(repository, "refs/heads/main", before, after);
    ASSERT_TRUE(raised) << raised.error().message;
    EXPECT_FALSE(*raised);
    EXPECT_EQ(head(), after.to_string());
}

TEST_F(ZoneUpdateTest, RaiseGivesWayWhenBranchMoved)
{
    commit_files(root(), {{"robur.conf", "[dns]\n\tserial = auto\n"}}, "Set serial = auto");
    const auto before = store::ObjectId::from_hex(head()).value();
    commit_files(root(), {{zone_path, zone_text + "pushed IN A 192.0.2.77\n"}}, "Push");
    const auto after = store::ObjectId::from_hex(head()).value();
    commit_files(root(), {{"notes.txt", "x\n"}}, "Another push");
    const std::string moved = head();

    auto repository = store::Repository::open(root()).value();
    auto raised = raise_stale_serials(repository, "refs/heads/main", before, after);
    ASSERT_TRUE(raised) << raised.error().message;
    EXPECT_FALSE(*raised);
    EXPECT_EQ(head(), moved);
}

} // namespace
} // namespace robur::dns
