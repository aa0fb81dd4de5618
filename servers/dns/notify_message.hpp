#pragma once

// The wire side of DNS NOTIFY (RFC 1996): building the request a primary sends to a secondary
// and deciding whether a datagram is the answer to it. No sockets here.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/wire.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {

// Returns a message ID from OpenSSL's RAND_bytes, so that an off-path attacker cannot guess
// which answer we accept. Falls back to std::random_device when RAND_bytes fails.
[[nodiscard]] std::uint16_t random_message_id();

// Builds a NOTIFY request (RFC 1996 section 3): opcode NOTIFY, AA set, the question
// (zone, SOA, IN), and soa in the answer section when given. BIND 9.18 and Knot 3.2 send the
// zone's SOA record there too, and secondaries read its serial to skip a refresh they do not
// need (RFC 1996 section 3.7). soa must be a SOA record owned by zone.
[[nodiscard]] std::vector<std::uint8_t> build_notify_request(const zone::Name& zone,
                                                             const std::optional<zone::Record>& soa,
                                                             std::uint16_t id);

// The apex SOA record of a served zone, with its TTL as loaded; nullopt when it has none.
[[nodiscard]] std::optional<zone::Record> soa_record(const CompiledZone& zone);

// The first SOA record at the apex of a parsed zone; nullopt when it has none.
[[nodiscard]] std::optional<zone::Record> soa_record(const zone::Zone& zone);

// The SERIAL field of a SOA record's RDATA; nullopt when the RDATA is malformed.
[[nodiscard]] std::optional<std::uint32_t> soa_serial(const zone::Record& soa);

// The relation of a received datagram to the NOTIFY request we sent.
enum class AnswerMatch : std::uint8_t {
    matches,   // same ID, QR set, opcode NOTIFY and the same question (or none, see below)
    unrelated, // another ID, a request, another opcode or another question: ignore it
    malformed, // our ID and QR set, but the header or question cannot be read: ignore it
};

// Checks answer against request (built by build_notify_request). An error answer without a
// question section matches too, since some servers leave the question out of FORMERR and
// NOTIMP answers (RFC 1035 section 4.1.1 only asks for the ID to be copied).
[[nodiscard]] AnswerMatch match_notify_answer(std::span<const std::uint8_t> answer,
                                              std::span<const std::uint8_t> request);

// The RCODE of a message's header (4 bits; NOTIFY answers carry no OPT record to extend it).
[[nodiscard]] Rcode header_rcode(std::span<const std::uint8_t> message);

// The mnemonic of an RCODE (RFC 1035, RFC 2136, RFC 6895): "NOERROR", "NOTAUTH", or
// "RCODE12" for values without one.
[[nodiscard]] std::string rcode_name(Rcode rcode);

} // namespace robur::dns
