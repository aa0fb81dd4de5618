#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "servers/dns/wire.hpp"

namespace robur::dns {

enum class Section : std::uint8_t { answer = 0, authority = 1, additional = 2 };

// One resource record without its owner, pre-encoded for copying into a message.
struct RecordView {
    std::span<const std::uint8_t> fixed;         // TYPE, CLASS and TTL: 8 octets
    std::span<const std::uint8_t> rdata;         // uncompressed RDATA
    std::span<const std::uint16_t> name_offsets; // ascending offsets of well-formed names in
                                                 // rdata that may be compressed
};

// Assembles a response into a caller-provided buffer with name compression (RFC 1035 section
// 4.1.4). Pointers only ever refer to names already written and stay below 0x4000. Sections
// are written in order: question, answer, authority, additional. A record that does not fit
// below the size limit is not written and leaves the message as it was. Allocates nothing.
class MessageWriter {
public:
    // A position to roll back to, e.g. to drop a partly written RRset.
    struct Mark {
        std::size_t size = 0;
        std::array<std::uint16_t, 4> counts{};
        std::size_t compression_entries = 0;
    };

    // Starts a message in buffer; the message may grow to limit octets (at most buffer.size()).
    // The 12-octet header is reserved and written by finish().
    void start(std::span<std::uint8_t> buffer, std::size_t limit);

    // Changes the size limit, e.g. to keep room for an OPT record; never above buffer.size().
    void set_limit(std::size_t limit);
    [[nodiscard]] std::size_t limit() const { return limit_; }
    [[nodiscard]] std::size_t size() const { return size_; }

    // Writes the question; name is uncompressed wire form and is written as given (case kept).
    bool add_question(std::span<const std::uint8_t> name, std::uint16_t qtype,
                      std::uint16_t qclass);

    // Appends one record with owner (uncompressed wire form) to section.
    bool add_record(Section section, std::span<const std::uint8_t> owner, const RecordView& record);

    // Appends an OPT record (RFC 6891 section 6.1.2) with no options to the additional section.
    bool add_opt(std::uint16_t udp_payload, std::uint8_t extended_rcode, bool dnssec_ok);

    [[nodiscard]] Mark mark() const;
    void rollback(const Mark& mark);

    [[nodiscard]] std::uint16_t count(Section section) const
    {
        return counts_[static_cast<std::size_t>(section) + 1];
    }

    // Writes the header with id, flags and the section counts; returns the message length.
    std::size_t finish(std::uint16_t id, std::uint16_t flags);

private:
    struct CompressionEntry {
        std::uint16_t offset; // where a name or name suffix starts in the message
        std::uint8_t length;  // its uncompressed length in octets
    };

    // Writes name at the end of the message, compressed against the names written before it.
    bool write_name(std::span<const std::uint8_t> name);
    bool write_rdata(const RecordView& record);
    [[nodiscard]] std::size_t find_suffix(std::span<const std::uint8_t> suffix) const;
    [[nodiscard]] bool matches(std::size_t offset, std::span<const std::uint8_t> suffix) const;
    void remember(std::size_t offset, std::size_t length);

    static constexpr std::size_t max_compression_entries = 128;

    std::span<std::uint8_t> buffer_;
    std::size_t limit_ = 0;
    std::size_t size_ = 0;
    std::array<std::uint16_t, 4> counts_{}; // question, answer, authority, additional
    std::array<CompressionEntry, max_compression_entries> entries_{};
    std::size_t entry_count_ = 0;
};

} // namespace robur::dns
