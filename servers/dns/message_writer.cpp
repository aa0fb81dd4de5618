#include "servers/dns/message_writer.hpp"

#include <algorithm>
#include <cstring>

namespace robur::dns {

namespace {

constexpr std::size_t max_pointer_offset = 0x3FFF; // 14 bits (RFC 1035 section 4.1.4)

std::uint8_t fold(std::uint8_t octet)
{
    return (octet >= 'A' && octet <= 'Z') ? static_cast<std::uint8_t>(octet + ('a' - 'A')) : octet;
}

} // namespace

void MessageWriter::start(std::span<std::uint8_t> buffer, std::size_t limit)
{
    buffer_ = buffer;
    limit_ = std::min(limit, buffer.size());
    size_ = std::min(header_size, limit_);
    counts_ = {};
    entry_count_ = 0;
}

void MessageWriter::set_limit(std::size_t limit)
{
    limit_ = std::max(std::min(limit, buffer_.size()), size_);
}

bool MessageWriter::add_question(std::span<const std::uint8_t> name, std::uint16_t qtype,
                                 std::uint16_t qclass)
{
    const Mark before = mark();
    if (!write_name(name) || limit_ - size_ < 4) {
        rollback(before);
        return false;
    }
    write_u16(buffer_.data() + size_, qtype);
    write_u16(buffer_.data() + size_ + 2, qclass);
    size_ += 4;
    ++counts_[0];
    return true;
}

bool MessageWriter::add_record(Section section, std::span<const std::uint8_t> owner,
                               const RecordView& record)
{
    const Mark before = mark();
    if (!write_name(owner) || limit_ - size_ < 10) {
        rollback(before);
        return false;
    }
    std::memcpy(buffer_.data() + size_, record.fixed.data(), 8);
    const std::size_t rdlength_at = size_ + 8;
    size_ += 10;

    if (!write_rdata(record)) {
        rollback(before);
        return false;
    }
    write_u16(buffer_.data() + rdlength_at, static_cast<std::uint16_t>(size_ - rdlength_at - 2));
    ++counts_[static_cast<std::size_t>(section) + 1];
    return true;
}

// Copies the rdata, writing each compressible name through write_name().
bool MessageWriter::write_rdata(const RecordView& record)
{
    std::size_t copied = 0;
    for (const std::uint16_t name_at : record.name_offsets) {
        if (name_at < copied) {
            return false; // offsets must ascend and names must not overlap
        }
        std::size_t name_length = 0;
        while (record.rdata[name_at + name_length] != 0) {
            name_length += record.rdata[name_at + name_length] + 1u;
        }
        ++name_length;

        const std::size_t plain = name_at - copied;
        if (limit_ - size_ < plain) {
            return false;
        }
        std::memcpy(buffer_.data() + size_, record.rdata.data() + copied, plain);
        size_ += plain;
        if (!write_name(record.rdata.subspan(name_at, name_length))) {
            return false;
        }
        copied = name_at + name_length;
    }

    const std::size_t rest = record.rdata.size() - copied;
    if (limit_ - size_ < rest) {
        return false;
    }
    std::memcpy(buffer_.data() + size_, record.rdata.data() + copied, rest);
    size_ += rest;
    return true;
}

bool MessageWriter::add_opt(std::uint16_t udp_payload, std::uint8_t extended_rcode, bool dnssec_ok)
{
    constexpr std::size_t opt_size = 11;
    if (limit_ - size_ < opt_size) {
        return false;
    }
    std::uint8_t* p = buffer_.data() + size_;
    p[0] = 0; // owner: the root
    write_u16(p + 1, 41);
    write_u16(p + 3, udp_payload);
    p[5] = extended_rcode;
    p[6] = 0; // version 0
    write_u16(p + 7, dnssec_ok ? 0x8000 : 0);
    write_u16(p + 9, 0);
    size_ += opt_size;
    ++counts_[3];
    return true;
}

MessageWriter::Mark MessageWriter::mark() const
{
    return Mark{.size = size_, .counts = counts_, .compression_entries = entry_count_};
}

void MessageWriter::rollback(const Mark& mark)
{
    size_ = mark.size;
    counts_ = mark.counts;
    entry_count_ = mark.compression_entries;
}

std::size_t MessageWriter::finish(std::uint16_t id, std::uint16_t flags)
{
    if (buffer_.size() < header_size || limit_ < header_size) {
        return 0;
    }
    std::uint8_t* p = buffer_.data();
    write_u16(p, id);
    write_u16(p + 2, flags);
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        write_u16(p + 4 + 2 * i, counts_[i]);
    }
    return size_;
}

bool MessageWriter::write_name(std::span<const std::uint8_t> name)
{
    if (name.empty()) {
        return false;
    }
    std::size_t position = 0;
    while (name[position] != 0) {
        const auto suffix = name.subspan(position);
        const std::size_t found = find_suffix(suffix);
        if (found != 0) {
            if (limit_ - size_ < 2) {
                return false;
            }
            write_u16(buffer_.data() + size_, static_cast<std::uint16_t>(0xC000 | found));
            size_ += 2;
            break;
        }
        const std::size_t label_size = name[position] + 1u;
        if (limit_ - size_ < label_size) {
            return false;
        }
        std::memcpy(buffer_.data() + size_, name.data() + position, label_size);
        remember(size_, suffix.size());
        size_ += label_size;
        position += label_size;
    }
    if (name[position] == 0) {
        if (limit_ - size_ < 1) {
            return false;
        }
        buffer_[size_] = 0;
        ++size_;
    }
    return true;
}

std::size_t MessageWriter::find_suffix(std::span<const std::uint8_t> suffix) const
{
    for (std::size_t i = 0; i < entry_count_; ++i) {
        if (entries_[i].length == suffix.size() && matches(entries_[i].offset, suffix)) {
            return entries_[i].offset;
        }
    }
    return 0;
}

// Compares the name at offset in the message, following pointers, with suffix, ignoring case.
bool MessageWriter::matches(std::size_t offset, std::span<const std::uint8_t> suffix) const
{
    std::size_t position = 0;
    while (true) {
        std::uint8_t octet = buffer_[offset];
        while ((octet & 0xC0) == 0xC0) {
            offset = static_cast<std::size_t>((octet & 0x3F) << 8) | buffer_[offset + 1];
            octet = buffer_[offset];
        }
        if (octet != suffix[position]) {
            return false;
        }
        if (octet == 0) {
            return true;
        }
        for (std::size_t i = 1; i <= octet; ++i) {
            if (fold(buffer_[offset + i]) != fold(suffix[position + i])) {
                return false;
            }
        }
        offset += octet + 1u;
        position += octet + 1u;
    }
}

void MessageWriter::remember(std::size_t offset, std::size_t length)
{
    if (offset > max_pointer_offset || entry_count_ == entries_.size()) {
        return;
    }
    entries_[entry_count_] =
        CompressionEntry{static_cast<std::uint16_t>(offset), static_cast<std::uint8_t>(length)};
    ++entry_count_;
}

} // namespace robur::dns
