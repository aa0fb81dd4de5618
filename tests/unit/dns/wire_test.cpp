#include <vector>

#include <gtest/gtest.h>

#include "dns_test_support.hpp"
#include "servers/dns/wire.hpp"

namespace robur::dns {
namespace {

using test::append;
using test::append_u16;
using test::make_query;

std::vector<std::uint8_t> header_bytes(std::uint16_t qdcount, std::uint16_t ancount = 0,
                                       std::uint16_t nscount = 0, std::uint16_t arcount = 0)
{
    std::vector<std::uint8_t> message;
    append_u16(message, 0xBEEF);
    append_u16(message, flag::rd);
    append_u16(message, qdcount);
    append_u16(message, ancount);
    append_u16(message, nscount);
    append_u16(message, arcount);
    return message;
}

TEST(WireDecoder, ReadsHeaderFields)
{
    auto message = make_query("www.example.", test::rrtype::a);
    auto header = read_header(message);
    ASSERT_TRUE(header);
    EXPECT_EQ(header->id, 0x1234);
    EXPECT_EQ(header->flags, flag::rd);
    EXPECT_EQ(header->qdcount, 1);
    EXPECT_FALSE(header->is_response());
    EXPECT_EQ(header->opcode(), 0);
}

TEST(WireDecoder, RejectsShortHeader)
{
    const std::vector<std::uint8_t> message(11, 0);
    auto header = read_header(message);
    ASSERT_FALSE(header);
    EXPECT_EQ(header.error(), WireError::short_header);
    EXPECT_FALSE(peek_opcode(message));
}

TEST(WireDecoder, PeeksOpcode)
{
    auto message = make_query("example.", test::rrtype::soa);
    message[2] = static_cast<std::uint8_t>(4 << 3); // NOTIFY
    EXPECT_EQ(peek_opcode(message), Opcode::notify);
    message[2] = static_cast<std::uint8_t>(5 << 3);
    EXPECT_EQ(peek_opcode(message), Opcode::update);
}

TEST(WireDecoder, ParsesQuestionKeepingCase)
{
    auto message = make_query("WwW.ExAmple.", test::rrtype::aaaa);
    auto query = parse_query(message);
    ASSERT_TRUE(query);
    EXPECT_EQ(query->qtype, test::rrtype::aaaa);
    EXPECT_EQ(query->qclass, 1);
    EXPECT_EQ(query->qname.label_count, 2);
    EXPECT_EQ(query->qname.length, 13);
    EXPECT_EQ(query->qname.bytes[1], 'W');
    EXPECT_EQ(query->qname.label_offsets[1], 4);
    EXPECT_EQ(query->question_end, message.size());
    EXPECT_FALSE(query->edns);
}

TEST(WireDecoder, ParsesRootQuestion)
{
    auto message = make_query(".", test::rrtype::ns);
    auto query = parse_query(message);
    ASSERT_TRUE(query);
    EXPECT_EQ(query->qname.length, 1);
    EXPECT_EQ(query->qname.label_count, 0);
}

TEST(WireDecoder, RejectsQuestionCountOtherThanOne)
{
    for (const int count : {0, 2}) {
        auto message = make_query("example.", test::rrtype::a);
        message[5] = static_cast<std::uint8_t>(count);
        auto query = parse_query(message);
        ASSERT_FALSE(query) << "qdcount " << count;
        EXPECT_EQ(query.error(), WireError::bad_question_count);
    }
}

TEST(WireDecoder, RejectsTruncatedQuestion)
{
    const auto full = make_query("www.example.", test::rrtype::a);
    for (std::size_t size = header_size; size < full.size(); ++size) {
        const std::vector<std::uint8_t> message(full.begin(),
                                                full.begin() + static_cast<long>(size));
        auto query = parse_query(message);
        ASSERT_FALSE(query) << "size " << size;
        EXPECT_EQ(query.error(), WireError::truncated_question) << "size " << size;
    }
}

TEST(WireDecoder, ToleratesTrailingOctets)
{
    auto message = make_query("example.", test::rrtype::a);
    message.push_back(0xFF);
    message.push_back(0x00);
    EXPECT_TRUE(parse_query(message));
}

TEST(WireDecoder, FollowsBackwardPointer)
{
    auto message = header_bytes(1);
    append(message, test::wire("example."));
    append_u16(message, 1);
    append_u16(message, 1);
    const std::size_t second = message.size();
    message.push_back(3);
    message.insert(message.end(), {'w', 'w', 'w'});
    append_u16(message, 0xC000 | header_size);

    WireName name;
    auto end = read_name(message, second, name);
    ASSERT_TRUE(end);
    EXPECT_EQ(*end, message.size());
    const auto expected = test::wire("www.example.");
    EXPECT_EQ(std::vector<std::uint8_t>(name.wire().begin(), name.wire().end()), expected);
    EXPECT_EQ(name.label_count, 2);
}

TEST(WireDecoder, RejectsPointerToItself)
{
    auto message = header_bytes(1);
    append_u16(message, 0xC000 | header_size);
    append_u16(message, 1);
    append_u16(message, 1);
    auto query = parse_query(message);
    ASSERT_FALSE(query);
    EXPECT_EQ(query.error(), WireError::pointer_out_of_range);
}

TEST(WireDecoder, RejectsForwardPointer)
{
    auto message = header_bytes(1);
    append_u16(message, 0xC000 | (header_size + 2));
    message.push_back(0);
    append_u16(message, 1);
    append_u16(message, 1);
    auto query = parse_query(message);
    ASSERT_FALSE(query);
    EXPECT_EQ(query.error(), WireError::pointer_out_of_range);
}

TEST(WireDecoder, RejectsPointerIntoHeader)
{
    auto message = header_bytes(1);
    append_u16(message, 0xC000 | 4);
    append_u16(message, 1);
    append_u16(message, 1);
    auto query = parse_query(message);
    ASSERT_FALSE(query);
    EXPECT_EQ(query.error(), WireError::pointer_out_of_range);
}

TEST(WireDecoder, RejectsPointerPastEnd)
{
    auto message = header_bytes(1);
    append_u16(message, 0xFFFF);
    append_u16(message, 1);
    append_u16(message, 1);
    WireName name;
    auto end = read_name(message, header_size, name);
    ASSERT_FALSE(end);
    EXPECT_EQ(end.error(), WireError::pointer_out_of_range);
}

// A pointer back to the label before it would repeat "a" forever.
TEST(WireDecoder, RejectsCompressionLoop)
{
    auto message = header_bytes(0);
    const std::size_t first = message.size();
    message.push_back(1);
    message.push_back('a');
    append_u16(message, static_cast<std::uint16_t>(0xC000 | first));

    WireName name;
    auto end = read_name(message, first, name);
    ASSERT_FALSE(end);
    EXPECT_EQ(end.error(), WireError::pointer_out_of_range);
}

TEST(WireDecoder, RejectsTruncatedPointer)
{
    auto message = header_bytes(1);
    message.push_back(0xC0);
    WireName name;
    auto end = read_name(message, header_size, name);
    ASSERT_FALSE(end);
    EXPECT_EQ(end.error(), WireError::truncated_name);
}

TEST(WireDecoder, RejectsReservedLabelTypes)
{
    for (const int type : {0x40, 0x80}) {
        auto message = header_bytes(1);
        message.push_back(static_cast<std::uint8_t>(type | 1));
        message.push_back('a');
        message.push_back(0);
        WireName name;
        auto end = read_name(message, header_size, name);
        ASSERT_FALSE(end) << "label type " << type;
        EXPECT_EQ(end.error(), WireError::bad_label_type);
    }
}

TEST(WireDecoder, RejectsNameOver255Octets)
{
    auto message = header_bytes(1);
    // Four 63-octet labels make 256 octets with the root label.
    for (int i = 0; i < 4; ++i) {
        message.push_back(63);
        message.insert(message.end(), 63, 'x');
    }
    message.push_back(0);
    WireName name;
    auto end = read_name(message, header_size, name);
    ASSERT_FALSE(end);
    EXPECT_EQ(end.error(), WireError::name_too_long);
}

TEST(WireDecoder, AcceptsName255Octets)
{
    auto message = header_bytes(1);
    for (int i = 0; i < 3; ++i) {
        message.push_back(63);
        message.insert(message.end(), 63, 'x');
    }
    message.push_back(61);
    message.insert(message.end(), 61, 'y');
    message.push_back(0);
    WireName name;
    auto end = read_name(message, header_size, name);
    ASSERT_TRUE(end);
    EXPECT_EQ(name.length, 255);
    EXPECT_EQ(name.label_count, 4);
}

// Pointers that each add a label can build a long name from a short message.
TEST(WireDecoder, RejectsLongNameBuiltFromPointers)
{
    auto message = header_bytes(1);
    message.push_back(0);
    std::size_t previous = header_size;
    for (int i = 0; i < 130; ++i) {
        const std::size_t here = message.size();
        message.push_back(1);
        message.push_back('a');
        append_u16(message, static_cast<std::uint16_t>(0xC000 | previous));
        previous = here;
    }
    WireName name;
    auto end = read_name(message, previous, name);
    ASSERT_FALSE(end);
    EXPECT_EQ(end.error(), WireError::name_too_long);
}

TEST(WireDecoder, ParsesEdns)
{
    auto message = make_query("example.", test::rrtype::a,
                              {.edns = true, .payload = 4096, .version = 0, .dnssec_ok = true});
    auto query = parse_query(message);
    ASSERT_TRUE(query);
    ASSERT_TRUE(query->edns);
    EXPECT_EQ(query->edns->udp_payload, 4096);
    EXPECT_EQ(query->edns->version, 0);
    EXPECT_TRUE(query->edns->dnssec_ok);
}

TEST(WireDecoder, IgnoresUnknownEdnsOptions)
{
    auto message = make_query("example.", test::rrtype::a, {.edns = true});
    message[message.size() - 1] = 8; // RDLENGTH
    append_u16(message, 65001);
    append_u16(message, 4);
    message.insert(message.end(), {1, 2, 3, 4});
    auto query = parse_query(message);
    ASSERT_TRUE(query);
    EXPECT_TRUE(query->edns);
}

TEST(WireDecoder, RejectsEdnsOptionPastRdata)
{
    auto message = make_query("example.", test::rrtype::a, {.edns = true});
    message[message.size() - 1] = 6;
    append_u16(message, 10);
    append_u16(message, 4); // claims 4 octets, only 2 follow
    message.insert(message.end(), {1, 2});
    auto query = parse_query(message);
    ASSERT_FALSE(query);
    EXPECT_EQ(query.error(), WireError::bad_edns_option);
}

TEST(WireDecoder, RejectsTwoOptRecords)
{
    auto message = make_query("example.", test::rrtype::a, {.edns = true});
    const std::vector<std::uint8_t> opt(message.end() - 11, message.end());
    append(message, opt);
    message[11] = 2;
    auto query = parse_query(message);
    ASSERT_FALSE(query);
    EXPECT_EQ(query.error(), WireError::multiple_opt);
}

TEST(WireDecoder, RejectsOptInAuthoritySection)
{
    auto message = make_query("example.", test::rrtype::a, {.edns = true});
    message[9] = 1;  // NSCOUNT
    message[11] = 0; // ARCOUNT
    auto query = parse_query(message);
    ASSERT_FALSE(query);
    EXPECT_EQ(query.error(), WireError::opt_not_in_additional);
}

TEST(WireDecoder, RejectsOptWithNonRootOwner)
{
    auto message = make_query("example.", test::rrtype::a);
    message[11] = 1;
    append(message, test::wire("example."));
    append_u16(message, test::rrtype::opt);
    append_u16(message, 1232);
    append_u16(message, 0);
    append_u16(message, 0);
    append_u16(message, 0);
    auto query = parse_query(message);
    ASSERT_FALSE(query);
    EXPECT_EQ(query.error(), WireError::opt_owner_not_root);
}

TEST(WireDecoder, RejectsRecordCountBeyondMessage)
{
    auto message = make_query("example.", test::rrtype::a);
    message[7] = 1; // ANCOUNT 1 without a record
    auto query = parse_query(message);
    ASSERT_FALSE(query);
    EXPECT_EQ(query.error(), WireError::truncated_name);
}

TEST(WireDecoder, RejectsRdataPastEnd)
{
    auto message = make_query("example.", test::rrtype::a);
    message[11] = 1;
    message.push_back(0);
    append_u16(message, test::rrtype::a);
    append_u16(message, 1);
    append_u16(message, 0);
    append_u16(message, 60);
    append_u16(message, 4);
    message.push_back(192);
    auto query = parse_query(message);
    ASSERT_FALSE(query);
    EXPECT_EQ(query.error(), WireError::truncated_record);
}

TEST(WireDecoder, SkipsAnswerAndAuthorityRecords)
{
    auto message = make_query("example.", test::rrtype::soa);
    message[9] = 1; // an SOA in the authority section, as IXFR queries carry
    append_u16(message, 0xC000 | header_size);
    append_u16(message, test::rrtype::soa);
    append_u16(message, 1);
    append_u16(message, 0);
    append_u16(message, 0);
    append_u16(message, 0);
    EXPECT_TRUE(parse_query(message));
}

TEST(WireDecoder, LowercasesAsciiOnly)
{
    std::vector<std::uint8_t> name{3, 'W', 'w', 0xC9, 2, 'Z', '[', 0};
    lowercase_name(name);
    EXPECT_EQ(name, (std::vector<std::uint8_t>{3, 'w', 'w', 0xC9, 2, 'z', '[', 0}));
}

TEST(WireDecoder, DescribesEveryError)
{
    for (int value = 0; value <= static_cast<int>(WireError::bad_edns_option); ++value) {
        EXPECT_FALSE(to_string(static_cast<WireError>(value)).empty());
    }
}

} // namespace
} // namespace robur::dns
