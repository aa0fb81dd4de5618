#pragma once

// The differences between the last signed versions of zones that the server signs itself.
// Git holds only the unsigned versions of such zones, so an incremental transfer (IXFR,
// RFC 1995) of the records the server derived (RRSIG, NSEC, NSEC3, DNSKEY) is answered from
// this journal. It lives in memory and starts empty with the process.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "formats/zone/name.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/zone_history.hpp"

namespace robur::dns {

struct SignedJournalLimits {
    std::size_t max_steps = 20; // steps kept per zone; older ones are dropped
    // Steps are also dropped, oldest first, while their records together outnumber the zone's,
    // because a longer answer is larger than the whole zone, which IXFR then sends instead.
    bool limit_to_zone_size = true;
};

// Thread-safe: the reload thread adds versions while the transfer thread reads steps.
class SignedJournal {
public:
    explicit SignedJournal(SignedJournalLimits limits = {}) : limits_(limits) {}

    // Adds the step from the zone's last added version to signed_zone. A version with the
    // serial of the last one replaces it and drops the zone's steps, since IXFR cannot tell
    // two versions with one serial apart. A zone without an apex SOA is forgotten.
    void add(const zone::Zone& signed_zone);

    // Drops a zone, as when it stops being signed by the server.
    void forget(const zone::Name& origin);

    // True when the zone is signed by the server, so that its IXFR answers come from here.
    [[nodiscard]] bool contains(const zone::Name& origin) const;

    // Returns the steps from serial from to serial to, oldest first; null when the journal
    // has no such sequence. Empty when from equals to.
    [[nodiscard]] std::shared_ptr<const ZoneSteps>
    steps(const zone::Name& origin, std::uint32_t from, std::uint32_t to) const;

    // The number of steps kept for a zone, for tests.
    [[nodiscard]] std::size_t step_count(const zone::Name& origin) const;

private:
    struct Entry {
        zone::Zone content; // the last version in transfer order, SOA first
        std::deque<ZoneStep> steps;
        std::size_t step_records = 0; // records of every step together
    };

    void trim(Entry& entry) const;

    SignedJournalLimits limits_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry> zones_; // by lower-cased origin
};

} // namespace robur::dns
