#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "dns_test_support.hpp"
#include "servers/dns/message_writer.hpp"

namespace robur::dns {
namespace {

using test::wire;

// A pre-encoded record as the zone index stores it.
struct OwnedRecord {
    std::array<std::uint8_t, 8> fixed{};
    std::vector<std::uint8_t> rdata;
    std::vector<std::uint16_t> name_offsets;

    OwnedRecord(std::uint16_t type, std::uint32_t ttl, std::vector<std::uint8_t> data,
                std::vector<std::uint16_t> offsets = {})
        : rdata(std::move(data)), name_offsets(std::move(offsets))
    {
        write_u16(fixed.data(), type);
        write_u16(fixed.data() + 2, 1);
        write_u32(fixed.data() + 4, ttl);
    }

    [[nodiscard]] RecordView view() const { return {fixed, rdata, name_offsets}; }
};

OwnedRecord a_record()
{
    return {test::rrtype::a, 300, {192, 0, 2, 1}};
}

TEST(MessageWriter, WritesHeaderAndQuestion)
{
    std::vector<std::uint8_t> buffer(512);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    ASSERT_TRUE(writer.add_question(wire("Example."), test::rrtype::a, 1));
    const std::size_t size = writer.finish(0xABCD, flag::qr | flag::aa);
    ASSERT_EQ(size, header_size + 9 + 4);

    auto parsed = test::parse_response({buffer.data(), size});
    EXPECT_EQ(parsed.header.id, 0xABCD);
    EXPECT_EQ(parsed.header.flags, flag::qr | flag::aa);
    EXPECT_EQ(parsed.header.qdcount, 1);
    EXPECT_EQ(parsed.qname, "Example.");
}

TEST(MessageWriter, CompressesOwnerAgainstQuestion)
{
    std::vector<std::uint8_t> buffer(512);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    ASSERT_TRUE(writer.add_question(wire("www.example."), test::rrtype::a, 1));
    const std::size_t before = writer.size();
    ASSERT_TRUE(writer.add_record(Section::answer, wire("WWW.EXAMPLE."), a_record().view()));

    // The owner is one pointer to offset 12: 2 + 10 + 4 octets.
    EXPECT_EQ(writer.size() - before, 16u);
    EXPECT_EQ(buffer[before], 0xC0);
    EXPECT_EQ(buffer[before + 1], header_size);
}

TEST(MessageWriter, CompressesSharedSuffix)
{
    std::vector<std::uint8_t> buffer(512);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    ASSERT_TRUE(writer.add_question(wire("www.example."), test::rrtype::a, 1));
    const std::size_t before = writer.size();
    ASSERT_TRUE(writer.add_record(Section::answer, wire("mail.example."), a_record().view()));

    // "mail" is written out, then a pointer to "example." inside the question at offset 16.
    EXPECT_EQ(buffer[before], 4);
    EXPECT_EQ(buffer[before + 5], 0xC0);
    EXPECT_EQ(buffer[before + 6], header_size + 4);
    const std::size_t size = writer.finish(1, flag::qr);
    auto parsed = test::parse_response({buffer.data(), size});
    ASSERT_EQ(parsed.answer.size(), 1u);
    EXPECT_EQ(parsed.answer[0].owner, "mail.example.");
    EXPECT_EQ(parsed.answer[0].data, "192.0.2.1");
}

TEST(MessageWriter, CompressesRdataNames)
{
    std::vector<std::uint8_t> buffer(512);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    ASSERT_TRUE(writer.add_question(wire("example."), test::rrtype::mx, 1));
    std::vector<std::uint8_t> rdata{0, 10};
    test::append(rdata, wire("mail.example."));
    const OwnedRecord mx(test::rrtype::mx, 300, rdata, {2});
    ASSERT_TRUE(writer.add_record(Section::answer, wire("example."), mx.view()));

    const std::size_t size = writer.finish(1, flag::qr);
    // owner pointer 2, fixed 10, preference 2, "mail" 5, pointer 2
    EXPECT_EQ(size, header_size + 13 + 2 + 10 + 2 + 5 + 2);
    auto parsed = test::parse_response({buffer.data(), size});
    ASSERT_EQ(parsed.answer.size(), 1u);
    EXPECT_EQ(parsed.answer[0].data, "10 mail.example.");
}

TEST(MessageWriter, LeavesUnlistedRdataNamesUncompressed)
{
    std::vector<std::uint8_t> buffer(512);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    ASSERT_TRUE(writer.add_question(wire("example."), test::rrtype::dname, 1));
    const OwnedRecord dname(test::rrtype::dname, 300, wire("example."));
    ASSERT_TRUE(writer.add_record(Section::answer, wire("example."), dname.view()));
    const std::size_t size = writer.finish(1, flag::qr);
    EXPECT_EQ(size, header_size + 13 + 2 + 10 + 9);
}

TEST(MessageWriter, WritesRootNameAsOneOctet)
{
    std::vector<std::uint8_t> buffer(512);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    ASSERT_TRUE(writer.add_question(wire("."), test::rrtype::ns, 1));
    EXPECT_EQ(writer.size(), header_size + 1 + 4);
}

TEST(MessageWriter, RejectsRecordOverLimit)
{
    std::vector<std::uint8_t> buffer(512);
    MessageWriter writer;
    writer.start(buffer, header_size + 17 + 15);
    ASSERT_TRUE(writer.add_question(wire("www.example."), test::rrtype::a, 1));
    const auto before = writer.mark();
    EXPECT_FALSE(writer.add_record(Section::answer, wire("www.example."), a_record().view()));
    EXPECT_EQ(writer.size(), before.size);
    EXPECT_EQ(writer.count(Section::answer), 0);

    writer.set_limit(header_size + 17 + 16);
    EXPECT_TRUE(writer.add_record(Section::answer, wire("www.example."), a_record().view()));
    EXPECT_EQ(writer.count(Section::answer), 1);
}

TEST(MessageWriter, RollbackForgetsCompressionTargets)
{
    std::vector<std::uint8_t> buffer(512);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    ASSERT_TRUE(writer.add_question(wire("example."), test::rrtype::a, 1));
    const auto mark = writer.mark();
    ASSERT_TRUE(writer.add_record(Section::answer, wire("host.example."), a_record().view()));
    writer.rollback(mark);
    EXPECT_EQ(writer.count(Section::answer), 0);

    // host.example. must now be written out again, not point into the rolled-back bytes.
    ASSERT_TRUE(writer.add_record(Section::additional, wire("host.example."), a_record().view()));
    EXPECT_EQ(buffer[mark.size], 4);
    const std::size_t size = writer.finish(1, flag::qr);
    auto parsed = test::parse_response({buffer.data(), size});
    ASSERT_EQ(parsed.additional.size(), 1u);
    EXPECT_EQ(parsed.additional[0].owner, "host.example.");
}

TEST(MessageWriter, NeverPointsBeyond0x3FFF)
{
    std::vector<std::uint8_t> buffer(65535);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    ASSERT_TRUE(writer.add_question(wire("example."), test::rrtype::txt, 1));
    std::vector<std::uint8_t> text(255, 'x');
    text[0] = 254;
    const OwnedRecord txt(test::rrtype::txt, 300, text);
    while (writer.size() < 0x4100) {
        ASSERT_TRUE(writer.add_record(Section::answer, wire("example."), txt.view()));
    }
    // The first name written past 0x3FFF must not become a compression target.
    ASSERT_TRUE(writer.add_record(Section::answer, wire("late.name."), a_record().view()));
    const std::size_t late = writer.size();
    ASSERT_TRUE(writer.add_record(Section::answer, wire("late.name."), a_record().view()));
    EXPECT_EQ(buffer[late], 4);

    const std::size_t size = writer.finish(1, flag::qr);
    auto parsed = test::parse_response({buffer.data(), size});
    EXPECT_EQ(parsed.answer.back().owner, "late.name.");
}

TEST(MessageWriter, WritesOptRecord)
{
    std::vector<std::uint8_t> buffer(512);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    ASSERT_TRUE(writer.add_question(wire("example."), test::rrtype::a, 1));
    ASSERT_TRUE(writer.add_opt(1232, 1, true));
    const std::size_t size = writer.finish(1, flag::qr);
    auto parsed = test::parse_response({buffer.data(), size});
    ASSERT_TRUE(parsed.opt);
    EXPECT_EQ(parsed.opt->owner, ".");
    EXPECT_EQ(parsed.opt->rclass, 1232);
    EXPECT_EQ(parsed.opt->ttl, 0x01008000u);
    EXPECT_EQ(parsed.rcode(), 16);
}

TEST(MessageWriter, FinishFailsWithoutRoomForHeader)
{
    std::vector<std::uint8_t> buffer(8);
    MessageWriter writer;
    writer.start(buffer, buffer.size());
    EXPECT_EQ(writer.finish(1, flag::qr), 0u);
}

} // namespace
} // namespace robur::dns
