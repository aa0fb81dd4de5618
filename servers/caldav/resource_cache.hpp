#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "formats/icalendar/component.hpp"
#include "servers/caldav/calendar_query.hpp"
#include "store/object_id.hpp"
#include "store/snapshot.hpp"

namespace robur::caldav {

// The times of one instance of a VEVENT whose DTSTART is a UTC or TZID date-time, in the
// form InstanceTimes gives them to the overlap test.
struct FixedInstance {
    std::int64_t start = 0;
    std::optional<std::int64_t> end;
};

// The facts calendar-query reads of one calendar object resource. They depend on the
// resource's bytes alone, so they are cached by blob id.
struct CalendarSummary {
    std::vector<std::string> components; // names of the VCALENDAR's subcomponents, in order
    // The only instance of a resource whose one VEVENT, VTODO or VJOURNAL is a VEVENT without
    // RRULE, RDATE, EXDATE or RECURRENCE-ID, with DTSTART and DTEND as UTC or TZID date-times.
    // nullopt for every other resource, which calendar-query evaluates in full.
    std::optional<InstanceTimes> instance;
    // The instances of a recurring resource whose instance components are all VEVENTs with
    // DTSTART and any DTEND as UTC or TZID date-times, in order of start. A long or unbounded
    // series lists only its first instances, up to `series_until`. Empty for other resources.
    std::vector<FixedInstance> series;
    // When `series` leaves later instances out: a moment before which it lists every instance
    // that starts. nullopt when `series` is complete.
    std::optional<std::int64_t> series_until;
    // Seconds since the epoch, UTC, before and after which no VEVENT instance lies: the
    // earliest start and the latest end of a finite recurrence set, or the DTSTART of an
    // unbounded series. nullopt where no bound is known. Floating times count as UTC here.
    std::optional<std::int64_t> earliest_start;
    std::optional<std::int64_t> latest_end;
    // The parsed VCALENDAR, kept when `instance` is nullopt for the full evaluation.
    std::shared_ptr<const icalendar::Component> calendar;
};

// The facts about one blob that requests read often.
struct BlobFacts {
    std::size_t size = 0;                    // bytes
    std::optional<std::string> uid;          // first UID property, as find_uid() reads it
    bool summarised = false;                 // `calendar` was computed
    std::optional<CalendarSummary> calendar; // nullopt unless exactly one VCALENDAR parses
    // The bytes escaped for XML character data, once a request returned them whole.
    std::shared_ptr<const std::string> escaped;
};

// Summarises one parsed VCALENDAR for calendar-query.
[[nodiscard]] CalendarSummary summarise_calendar(icalendar::Component calendar);

// Returns false when no VEVENT instance of the summarised resource can overlap the range in
// any zone its floating times may be read in. Returns true when one may.
[[nodiscard]] bool may_overlap(const CalendarSummary& summary, const TimeRange& range);

// Decides a calendar-query filter from a summary alone: true or false where the summary
// decides it exactly, nullopt where matches_filter() must run on the parsed calendar. Decided
// are comp-filters directly below VCALENDAR that test only presence, or a time-range on
// VEVENT that the bounds, the single instance or the listed series decide.
[[nodiscard]] std::optional<bool> decide_filter(const CompFilter& filter,
                                                const CalendarSummary& summary);

// BlobFacts by blob id, bounded by an estimate of their memory. Blob contents never change,
// so an entry stays valid for every commit. Thread-safe.
class ResourceCache {
public:
    static constexpr std::size_t default_max_bytes = std::size_t{64} << 20;

    explicit ResourceCache(std::size_t max_bytes = default_max_bytes);

    // Returns the facts of the blob `blob`, which is the file at `path` of the snapshot, reading
    // the blob only when they are not cached yet. With `summarise`, the calendar summary is computed too.
    // Errors from reading the snapshot.
    [[nodiscard]] Result<std::shared_ptr<const BlobFacts>> facts(const store::Snapshot& snapshot,
                                                                 const std::string& path,
                                                                 const store::ObjectId& blob,
                                                                 bool summarise);

    // Tests the calendar object resource `blob` at `path` against a calendar-query filter, with
    // the result matches_filter() gives for its parsed bytes and `floating`. Returns false for
    // bytes that are not exactly one VCALENDAR. Errors from reading the snapshot.
    [[nodiscard]] Result<bool> matches(const store::Snapshot& snapshot, const std::string& path,
                                       const store::ObjectId& blob, const CompFilter& filter,
                                       const FloatingZone& floating = {});

    // Returns the parsed VCALENDAR of a blob whose facts are `facts`: the one the summary keeps,
    // or else the blob parsed again. nullptr when the bytes are not exactly one VCALENDAR.
    [[nodiscard]] Result<std::shared_ptr<const icalendar::Component>> parsed_calendar(
        const store::Snapshot& snapshot, const std::string& path, const BlobFacts& facts);

    // Returns the bytes of the blob `blob` at `path` escaped for XML character data, as a
    // calendar-data property returns stored bytes. Reads and escapes each blob once. Errors from
    // reading the snapshot.
    [[nodiscard]] Result<std::shared_ptr<const std::string>> escaped_content(
        const store::Snapshot& snapshot, const std::string& path, const store::ObjectId& blob);

    // Returns the number of cached blobs.
    [[nodiscard]] std::size_t entries();

private:
    struct Generation {
        std::unordered_map<store::ObjectId, std::shared_ptr<const BlobFacts>> facts;
        std::size_t bytes = 0;
    };

    std::shared_ptr<const BlobFacts> lookup(const store::ObjectId& blob);
    void insert(const store::ObjectId& blob, std::shared_ptr<const BlobFacts> facts);

    std::size_t max_bytes_;
    std::mutex mutex_;
    // Two generations make an approximate LRU: when `current_` reaches half the bound it
    // replaces `previous_`, and a hit in `previous_` moves the entry back to `current_`.
    Generation current_;
    Generation previous_;
};

} // namespace robur::caldav
