#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/zone/edit.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/update_message.hpp"
#include "servers/dns/wire.hpp"

// The rules of RFC 2136 sections 3.2 to 3.4 applied to a zone's records in memory: no files,
// no Git. ZoneUpdater writes the outcome to the zone's files and commits it.
namespace robur::dns {

// A record of the zone while an UPDATE is applied, with the parsed record it came from.
struct WorkingRecord {
    zone::Record record;
    std::optional<std::size_t> original; // index into Zone::records; nullopt for an added record
};

struct UpdateOutcome {
    Rcode rcode = Rcode::noerror;
    std::string reason;               // why the update was rejected; empty for NOERROR
    std::vector<std::string> ignored; // update records skipped by RFC 2136 section 3.4.2
    std::vector<WorkingRecord> records; // the zone after the update, in file order
    bool changed = false;                // records differ from the zone's (serial not counted)
};

// Checks the zone section's class, every name against the zone (NOTZONE), the prerequisites
// (section 3.2: NXDOMAIN, YXDOMAIN, NXRRSET, YXRRSET, FORMERR) and the update records (section
// 3.4.1: FORMERR), then applies the updates in order (section 3.4.2). The zone's name must
// already match message.zone. Nothing is applied unless every check passes.
//
// Additions follow section 3.4.2.2: a duplicate adds nothing, a CNAME beside other data and
// other data beside a CNAME are ignored, and an SOA only replaces the apex SOA when its serial
// is greater. Deletions never remove the apex SOA or the last apex NS. An RRset keeps one TTL
// (RFC 2181 section 5.2): a record added with another TTL gives the whole RRset its TTL, as
// BIND 9 does.
[[nodiscard]] UpdateOutcome apply_update(const zone::Zone& zone, const UpdateMessage& message);

// Raises the apex SOA serial of records to next_serial(previous, today_yyyymmdd), unless it is
// already greater than previous (the update set it). Returns the new serial, nullopt when the
// records have no apex SOA.
std::optional<std::uint32_t> raise_serial(const zone::Name& origin,
                                          std::vector<WorkingRecord>& records,
                                          std::uint32_t previous, std::uint32_t today_yyyymmdd);

// Builds the edit that turns the zone's files into records: removals, additions, TTL changes,
// and for the apex SOA either a serial rewrite or a whole-entry replacement.
[[nodiscard]] zone::ZoneEdit plan_edit(const zone::Zone& zone,
                                       const std::vector<WorkingRecord>& records);

// Compares rdata of one type, ignoring the case of the names embedded in RFC 1035 types.
[[nodiscard]] bool same_rdata(std::uint16_t type, std::span<const std::uint8_t> left,
                              std::span<const std::uint8_t> right);

// Reads the serial of SOA rdata; nullopt when the rdata is too short.
[[nodiscard]] std::optional<std::uint32_t> soa_serial(std::span<const std::uint8_t> rdata);

// Today's date in UTC as YYYYMMDD, for next_serial.
[[nodiscard]] std::uint32_t today_yyyymmdd();

} // namespace robur::dns
