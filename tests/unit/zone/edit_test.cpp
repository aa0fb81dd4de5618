#include <map>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/zone/edit.hpp"
#include "formats/zone/parser.hpp"
#include "formats/zone/record.hpp"
#include "formats/zone/tokenizer.hpp"
#include "formats/zone/rdata.hpp"

namespace robur::zone {
namespace {

constexpr std::string_view master_path = "zones/example.com.zone";

// A zone parsed from a master file and included files, kept with their texts.
struct ParsedFiles {
    Zone zone;
    FileTexts files;
};

ParsedFiles parse_files(const std::string& master, const FileTexts& included = {})
{
    ParsedFiles parsed;
    parsed.files = included;
    parsed.files.emplace(std::string(master_path), master);
    ParseOptions options;
    options.origin = Name::parse("example.com.").value();
    options.include = [included](std::string_view,
                                 std::string_view target) -> Result<IncludedFile> {
        const auto found = included.find(std::string(target));
        if (found == included.end()) {
            return make_error(Errc::not_found, fmt::format("file \"{}\" not found", target));
        }
        return IncludedFile{found->first, found->second};
    };
    ParseResult result = parse_zone(master, master_path, options);
    EXPECT_TRUE(result.ok()) << (result.diagnostics.empty() ? ""
                                                            : result.diagnostics[0].to_string());
    parsed.zone = std::move(result.zone);
    return parsed;
}

const Record& find(const Zone& zone, std::string_view owner, std::uint16_t type,
                   std::size_t skip = 0)
{
    const Name name = Name::parse(owner).value();
    for (const auto& record : zone.records) {
        if (record.owner == name && record.type == type && skip-- == 0) {
            return record;
        }
    }
    throw std::runtime_error(fmt::format("no {} record at {}", type_to_string(type), owner));
}

Record make_record(std::string_view owner, std::uint32_t ttl, std::uint16_t type,
                   std::string_view rdata)
{
    const Name origin = Name::parse("example.com.").value();
    auto tokens = tokenize_rdata(rdata).value();
    return Record{Name::parse(owner).value(), type, rrclass::in, ttl,
                  rdata_from_text(type, tokens, origin).value(), {}};
}

std::string edit_master(const ParsedFiles& parsed, const ZoneEdit& edit)
{
    auto edited = edit_zone_files(parsed.zone, parsed.files, edit);
    EXPECT_TRUE(edited) << (edited ? "" : edited.error().to_string());
    if (!edited) {
        return {};
    }
    const auto found = edited->find(std::string(master_path));
    return found == edited->end() ? std::string("(unchanged)") : found->second;
}

const std::string soa_block = "$TTL 3600\n"
                              "@   IN SOA ns1 hostmaster (\n"
                              "        2024010101 ; serial\n"
                              "        7200 900 1209600 300 )\n"
                              "    IN NS ns1\n";

TEST(ZoneEdit, RewritesSerialInsideParentheses)
{
    const ParsedFiles parsed = parse_files(soa_block + "ns1 IN A 192.0.2.1\n");
    ZoneEdit edit;
    edit.serial = 2024010102;
    EXPECT_EQ(edit_master(parsed, edit), "$TTL 3600\n"
                                         "@   IN SOA ns1 hostmaster (\n"
                                         "        2024010102 ; serial\n"
                                         "        7200 900 1209600 300 )\n"
                                         "    IN NS ns1\n"
                                         "ns1 IN A 192.0.2.1\n");
}

TEST(ZoneEdit, RemovesOnlyTheRecordLines)
{
    const std::string text = soa_block + "; web servers\n"
                                         "www IN A 192.0.2.10 ; first\n"
                                         "\n"
                                         "www IN A 192.0.2.11\n"
                                         "mail IN MX ( 10\n"
                                         "     mx1 ) ; multi-line\n"
                                         "ftp IN A 192.0.2.12\n";
    const ParsedFiles parsed = parse_files(text);
    ZoneEdit edit;
    edit.removed.push_back(find(parsed.zone, "www.example.com.", rrtype::a));
    edit.removed.push_back(find(parsed.zone, "mail.example.com.", rrtype::mx));
    EXPECT_EQ(edit_master(parsed, edit), soa_block + "; web servers\n"
                                                     "\n"
                                                     "www IN A 192.0.2.11\n"
                                                     "ftp IN A 192.0.2.12\n");
}

TEST(ZoneEdit, RemovedOwnerMovesToNextLine)
{
    const std::string text = soa_block + "www 300 IN A 192.0.2.10\n"
                                         "    300 IN AAAA 2001:db8::10\n"
                                         "    300 IN TXT \"web\"\n";
    const ParsedFiles parsed = parse_files(text);
    ZoneEdit edit;
    edit.removed.push_back(find(parsed.zone, "www.example.com.", rrtype::a));
    EXPECT_EQ(edit_master(parsed, edit), soa_block + "www    300 IN AAAA 2001:db8::10\n"
                                                     "    300 IN TXT \"web\"\n");
}

TEST(ZoneEdit, KeepsOwnerWhenSeveralLinesAreRemoved)
{
    const std::string text = soa_block + "www 300 IN A 192.0.2.10\n"
                                         "    300 IN AAAA 2001:db8::10\n"
                                         "$TTL 60\n"
                                         "    IN TXT \"web\"\n";
    const ParsedFiles parsed = parse_files(text);
    ZoneEdit edit;
    edit.removed.push_back(find(parsed.zone, "www.example.com.", rrtype::a));
    edit.removed.push_back(find(parsed.zone, "www.example.com.", rrtype::aaaa));
    EXPECT_EQ(edit_master(parsed, edit), soa_block + "$TTL 60\n"
                                                     "www    IN TXT \"web\"\n");
}

TEST(ZoneEdit, AddsAfterSameOwnerAndType)
{
    const std::string text = soa_block + "www  300 IN A    192.0.2.10\n"
                                         "www  300 IN TXT  \"web\"\n"
                                         "ftp  300 IN A    192.0.2.12\n";
    const ParsedFiles parsed = parse_files(text);
    ZoneEdit edit;
    edit.added.push_back(make_record("www.example.com.", 300, rrtype::a, "192.0.2.11"));
    edit.added.push_back(make_record("www.example.com.", 300, rrtype::aaaa, "2001:db8::1"));
    EXPECT_EQ(edit_master(parsed, edit), soa_block + "www  300 IN A    192.0.2.10\n"
                                                     "www  300 IN A    192.0.2.11\n"
                                                     "www  300 IN TXT  \"web\"\n"
                                                     "www  300 IN AAAA 2001:db8::1\n"
                                                     "ftp  300 IN A    192.0.2.12\n");
}

TEST(ZoneEdit, AddsNewOwnerAtEndRelativeToOrigin)
{
    const std::string text = soa_block + "www\t300\tIN\tA\t192.0.2.10\n"
                                         "$ORIGIN sub.example.com.\n"
                                         "host\t300\tIN\tA\t192.0.2.20";
    const ParsedFiles parsed = parse_files(text);
    ZoneEdit edit;
    edit.added.push_back(make_record("new.sub.example.com.", 60, rrtype::a, "192.0.2.30"));
    edit.added.push_back(make_record("other.example.com.", 60, rrtype::a, "192.0.2.31"));
    EXPECT_EQ(edit_master(parsed, edit), text + "\n"
                                                "new\t60\tIN\tA\t192.0.2.30\n"
                                                "other.example.com.\t60\tIN\tA\t192.0.2.31\n");
}

TEST(ZoneEdit, ChangesTtlInPlace)
{
    const std::string text = soa_block + "www 300 IN A 192.0.2.10\n"
                                         "www IN A 192.0.2.11\n"
                                         "    IN A 192.0.2.12\n";
    const ParsedFiles parsed = parse_files(text);
    ZoneEdit edit;
    for (std::size_t i = 0; i < 3; ++i) {
        edit.ttl_changes.emplace_back(find(parsed.zone, "www.example.com.", rrtype::a, i), 60);
    }
    EXPECT_EQ(edit_master(parsed, edit), soa_block + "www 60 IN A 192.0.2.10\n"
                                                     "www 60 IN A 192.0.2.11\n"
                                                     "    60 IN A 192.0.2.12\n");
}

TEST(ZoneEdit, ReplacesWholeEntry)
{
    const ParsedFiles parsed = parse_files(soa_block + "www 300 IN CNAME web1\n");
    ZoneEdit edit;
    edit.replaced.emplace_back(find(parsed.zone, "www.example.com.", rrtype::cname),
                               make_record("www.example.com.", 300, rrtype::cname, "web2"));
    EXPECT_EQ(edit_master(parsed, edit), soa_block + "www 300 IN CNAME web2.example.com.\n");
}

TEST(ZoneEdit, RejectsRecordMadeByGenerate)
{
    const std::string text = soa_block + "$GENERATE 1-3 host$ A 192.0.2.$\n";
    const ParsedFiles parsed = parse_files(text);
    ZoneEdit edit;
    edit.removed.push_back(find(parsed.zone, "host2.example.com.", rrtype::a));
    auto edited = edit_zone_files(parsed.zone, parsed.files, edit);
    ASSERT_FALSE(edited);
    EXPECT_EQ(edited.error().code, Errc::unsupported);
    ASSERT_TRUE(edited.error().where);
    EXPECT_EQ(edited.error().where->line, 6U);
    EXPECT_NE(edited.error().message.find("$GENERATE"), std::string::npos);
}

TEST(ZoneEdit, AddsBesideGeneratedRecords)
{
    const std::string text = soa_block + "$GENERATE 1-3 host$ A 192.0.2.$\n";
    const ParsedFiles parsed = parse_files(text);
    ZoneEdit edit;
    edit.added.push_back(make_record("host2.example.com.", 60, rrtype::aaaa, "2001:db8::2"));
    EXPECT_EQ(edit_master(parsed, edit), text + "host2 60 IN AAAA 2001:db8::2\n");
}

TEST(ZoneEdit, EditsIncludedFile)
{
    const FileTexts included{{"zones/hosts.inc", "; hosts\n"
                                                 "www.example.com. 300 IN A 192.0.2.10\n"
                                                 "ftp.example.com. 300 IN A 192.0.2.11\n"}};
    const ParsedFiles parsed = parse_files(soa_block + "$INCLUDE zones/hosts.inc\n", included);
    ZoneEdit edit;
    edit.removed.push_back(find(parsed.zone, "ftp.example.com.", rrtype::a));
    edit.added.push_back(make_record("www.example.com.", 300, rrtype::a, "192.0.2.12"));
    auto edited = edit_zone_files(parsed.zone, parsed.files, edit);
    ASSERT_TRUE(edited) << edited.error().to_string();
    EXPECT_EQ(edited->count(std::string(master_path)), 0U);
    ASSERT_EQ(edited->count("zones/hosts.inc"), 1U);
    EXPECT_EQ(edited->at("zones/hosts.inc"), "; hosts\n"
                                             "www.example.com. 300 IN A 192.0.2.10\n"
                                             "www.example.com. 300 IN A 192.0.2.12\n");
}

TEST(ZoneEdit, LeavesUntouchedFilesOut)
{
    const ParsedFiles parsed = parse_files(soa_block);
    auto edited = edit_zone_files(parsed.zone, parsed.files, ZoneEdit{});
    ASSERT_TRUE(edited);
    EXPECT_TRUE(edited->empty());
}

} // namespace
} // namespace robur::zone
