#pragma once

// The versions of a zone in the Git history of the served branch, and the differences between
// them that an incremental zone transfer (IXFR, RFC 1995) sends.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "formats/zone/record.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/zone_index.hpp"
#include "store/object_id.hpp"
#include "store/repository.hpp"

namespace robur::dns {

// Returns the records a zone transfer sends for zone: the apex SOA first, then every other
// record of the zone's class at or below the origin in canonical order (RFC 4034 section 6.1),
// each once. Records of other classes and outside the zone are left out, as the compiled zone
// leaves them out. Empty when the zone has no SOA at the apex.
[[nodiscard]] std::vector<const zone::Record*> transfer_records(const zone::Zone& zone);

// The change from one serial to the next, as an IXFR answer lists it (RFC 1995 section 4).
struct ZoneStep {
    zone::Record old_soa;
    std::vector<zone::Record> deleted; // without the SOA
    zone::Record new_soa;
    std::vector<zone::Record> added; // without the SOA
};

using ZoneSteps = std::vector<ZoneStep>;

// Returns the zone reduced to the records a transfer sends, in transfer_records() order (SOA
// first). It has no records when the zone has no apex SOA.
[[nodiscard]] zone::Zone transfer_content(const zone::Zone& zone);

// Returns the step from older to newer, both made by transfer_content() and neither empty. A
// record whose TTL changed is deleted and added again.
[[nodiscard]] ZoneStep make_step(const zone::Zone& older, const zone::Zone& newer);

// The serial of a non-empty transfer_content().
[[nodiscard]] std::uint32_t transfer_serial(const zone::Zone& content);

// The serials of a step's old and new SOA.
[[nodiscard]] std::pair<std::uint32_t, std::uint32_t> step_serials(const ZoneStep& step);

class SignedJournal;

// Bounds on one walk through the history. A walk that reaches one gives up, and the client
// then gets the whole zone.
struct ZoneHistoryLimits {
    std::size_t max_commits = 1000;           // commits read per walk
    std::chrono::milliseconds max_time{5000}; // time spent per walk
    std::size_t max_cached = 256;             // cached results, for every zone together
};

// Finds the versions of a zone in the first-parent history of a branch and the differences
// between them. A commit counts as a version of the zone when its master file or a file it
// $INCLUDEs changed. Versions that could not have been served (parse or validation errors, no
// apex SOA) are skipped. Of several versions with one serial, the newest is used.
//
// Results are cached per zone, serial pair and branch head, so many secondaries asking for
// the same IXFR cost one walk. The cache is dropped when the branch moves. Not thread-safe,
// because one thread (the primary service's) owns it.
//
// NOTE: every version read is parsed and validated. That took about 0.5 s per version of a
// 5000-record zone (debug build on two shared cores, one measurement), so the first IXFR
// after a push to a large zone can hold the calling thread for up to max_time.
class ZoneHistory {
public:
    ZoneHistory(store::Repository repository, std::string branch, ZoneHistoryLimits limits = {});

    // Makes IXFR for the zones in journal come from it instead of the Git history, which lacks
    // the records the server derives when it signs a zone. Call before the first steps().
    void set_journal(std::shared_ptr<const SignedJournal> journal)
    {
        journal_ = std::move(journal);
    }

    // Returns the steps from the version of the served zone that had serial from to the served
    // version itself, oldest first: one step per serial in between. The served version is the
    // newest commit whose zone has the served zone's serial and the same records, so a branch
    // head whose zone failed to load does not count. Returns null when the history does not
    // have from, when from is ambiguous (two adjacent versions carry it with different
    // records), when a limit was reached, or on a Git error. The caller then sends the whole
    // zone. Returns an empty list when from is the served serial.
    [[nodiscard]] std::shared_ptr<const ZoneSteps> steps(const CompiledZone& served,
                                                         std::uint32_t from);

    // As above for the newest version with serial to, without comparing its records with a
    // served zone.
    [[nodiscard]] std::shared_ptr<const ZoneSteps> steps(const zone::Name& origin,
                                                         std::uint32_t from, std::uint32_t to);

    // Returns the number of walks since construction, for tests and statistics. Results taken
    // from the cache do not count.
    [[nodiscard]] std::size_t walk_count() const { return walk_count_; }

private:
    struct Version;
    class Walk;

    // Lower-cased origin, from, to.
    using CacheKey = std::tuple<std::string, std::uint32_t, std::uint32_t>;

    std::shared_ptr<const ZoneSteps> cached_steps(const zone::Name& origin, std::uint32_t from,
                                                  std::uint32_t to, const zone::Zone* served);

    store::Repository repository_;
    std::string branch_;
    ZoneHistoryLimits limits_;
    std::optional<store::ObjectId> cache_head_; // branch head the cached results belong to
    std::map<CacheKey, std::shared_ptr<const ZoneSteps>> cache_; // null: whole zone needed
    std::size_t walk_count_ = 0;
    std::shared_ptr<const SignedJournal> journal_;
    std::shared_ptr<spdlog::logger> logger_;
};

} // namespace robur::dns
