#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <tl/expected.hpp>

namespace robur::dns {

// DNS message constants from RFC 1035 section 4.1 and RFC 6891.
inline constexpr std::size_t header_size = 12;
inline constexpr std::size_t max_name_length = 255; // RFC 1035 section 2.3.4
inline constexpr std::size_t max_label_length = 63;
inline constexpr std::size_t min_udp_payload = 512;       // RFC 1035 section 4.2.1
inline constexpr std::uint16_t server_udp_payload = 1232; // advertised in our OPT record
inline constexpr std::size_t max_tcp_message = 65535;

enum class Opcode : std::uint8_t {
    query = 0,
    iquery = 1,
    status = 2,
    notify = 4, // RFC 1996
    update = 5, // RFC 2136
};

// Response codes up to 4095; values above 15 need EDNS (RFC 6891 section 6.1.3).
enum class Rcode : std::uint16_t {
    noerror = 0,
    formerr = 1,
    servfail = 2,
    nxdomain = 3,
    notimp = 4,
    refused = 5,
    yxdomain = 6, // RFC 2136 section 2.2: a name that must not exist does
    yxrrset = 7,  // RFC 2136: an RRset that must not exist does
    nxrrset = 8,  // RFC 2136: an RRset that must exist does not
    notauth = 9,  // RFC 2136: not authoritative for the zone; RFC 8945: TSIG failed
    notzone = 10, // RFC 2136: a name is outside the zone section's zone
    badvers = 16,
};

// Header flag bits inside the 16-bit flags word (RFC 1035 section 4.1.1; AD and CD from
// RFC 4035).
namespace flag {
inline constexpr std::uint16_t qr = 0x8000, aa = 0x0400, tc = 0x0200, rd = 0x0100, ra = 0x0080,
                               ad = 0x0020, cd = 0x0010;
}

// The fixed 12-octet message header.
struct Header {
    std::uint16_t id = 0;
    std::uint16_t flags = 0; // QR, opcode, AA, TC, RD, RA, Z, AD, CD and the low rcode bits
    std::uint16_t qdcount = 0;
    std::uint16_t ancount = 0;
    std::uint16_t nscount = 0;
    std::uint16_t arcount = 0;

    [[nodiscard]] bool is_response() const { return (flags & flag::qr) != 0; }
    [[nodiscard]] std::uint8_t opcode() const
    {
        return static_cast<std::uint8_t>((flags >> 11) & 0xF);
    }
};

// A name decoded from a message: uncompressed wire form in a fixed buffer, case as sent.
struct WireName {
    std::array<std::uint8_t, max_name_length> bytes{};
    std::uint8_t length = 0;                       // octets used, including the root label
    std::uint8_t label_count = 0;                  // not counting the root label
    std::array<std::uint8_t, 128> label_offsets{}; // start of each label inside bytes

    [[nodiscard]] std::span<const std::uint8_t> wire() const { return {bytes.data(), length}; }
};

// The EDNS state of a query, from its OPT record (RFC 6891 section 6.1).
struct Edns {
    std::uint16_t udp_payload = 0; // as advertised; the responder treats values below 512 as 512
    std::uint8_t extended_rcode = 0;
    std::uint8_t version = 0;
    bool dnssec_ok = false; // the DO bit (RFC 3225)
};

// The parts of a query the responder reads.
struct Query {
    Header header;
    WireName qname;
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    std::optional<Edns> edns;     // absent when the query carries no OPT record
    bool has_tsig = false;        // a TSIG record is in the additional section
    std::size_t question_end = 0; // offset just past the question section
};

// Reason a message was rejected. The responder sends FORMERR for each, except short_header,
// which gets no response.
enum class WireError : std::uint8_t {
    short_header,         // fewer than 12 octets: no response is possible
    truncated_name,       // a name runs past the end of the message
    bad_label_type,       // label type 0b01 or 0b10: extended or reserved, unsupported
    pointer_out_of_range, // a compression pointer does not point before the name holding it
    name_too_long,        // more than 255 octets after decompression
    truncated_question,
    truncated_record,
    bad_question_count, // QDCOUNT is not 1 in a query
    opt_not_in_additional,
    multiple_opt,
    opt_owner_not_root,
    bad_edns_option, // an EDNS option runs past the OPT RDATA
};

// A short English description of error, e.g. "compression pointer out of range".
[[nodiscard]] std::string_view to_string(WireError error);

// Reads the possibly compressed name at offset in message into out, keeping its case.
// Every pointer must point past the header and before the start of the labels that led to it,
// which rules out loops (RFC 1035 section 4.1.4 only allows pointers to a prior occurrence).
// Returns the offset just past the name as it appears at offset (after its first pointer).
tl::expected<std::size_t, WireError> read_name(std::span<const std::uint8_t> message,
                                               std::size_t offset, WireName& out);

// Reads the header; fails only when message is shorter than 12 octets.
tl::expected<Header, WireError> read_header(std::span<const std::uint8_t> message);

// Returns the opcode of message, or nothing when it is too short for a header. A server uses
// this to route NOTIFY and UPDATE to their own handlers before calling Responder::respond.
[[nodiscard]] std::optional<Opcode> peek_opcode(std::span<const std::uint8_t> message);

// Parses a query: header, exactly one question, the answer and authority records (checked for
// well-formedness and skipped) and the additional section, where at most one OPT record may
// appear. Octets after the last record are ignored. Allocates nothing.
tl::expected<Query, WireError> parse_query(std::span<const std::uint8_t> message);

// Lower-cases the ASCII letters of a wire-format name in place (RFC 4343).
void lowercase_name(std::span<std::uint8_t> wire);

// Reads big-endian integers; the caller checks the bounds.
inline std::uint16_t read_u16(const std::uint8_t* p)
{
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t read_u32(const std::uint8_t* p)
{
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
inline void write_u16(std::uint8_t* p, std::uint16_t value)
{
    p[0] = static_cast<std::uint8_t>(value >> 8);
    p[1] = static_cast<std::uint8_t>(value);
}
inline void write_u32(std::uint8_t* p, std::uint32_t value)
{
    p[0] = static_cast<std::uint8_t>(value >> 24);
    p[1] = static_cast<std::uint8_t>(value >> 16);
    p[2] = static_cast<std::uint8_t>(value >> 8);
    p[3] = static_cast<std::uint8_t>(value);
}

} // namespace robur::dns
