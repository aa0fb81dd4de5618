#include "formats/icalendar/occurrences.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <libical/ical.h>

#include "formats/icalendar/resource.hpp"
#include "formats/icalendar/timezones.hpp"
#include "formats/icalendar/value_types.hpp"
#include "formats/icalendar/values.hpp"

namespace robur::icalendar {
namespace {

constexpr std::int64_t seconds_per_day = 86400;

// Resolves TZIDs to libical zones for one VCALENDAR, owning the zones built from its
// VTIMEZONEs and from the floating zone's VTIMEZONE.
class ZoneResolver {
public:
    ZoneResolver(const Component& calendar, const ExpansionOptions& options) : calendar_(calendar)
    {
        floating_ = icaltimezone_get_utc_timezone();
        if (options.floating_timezone) {
            auto* zone = floating_zone(*options.floating_timezone);
            floating_ = zone != nullptr ? zone : floating_;
            floating_failed_ = zone == nullptr;
        } else if (!options.floating_tzid.empty()) {
            if (auto* zone = find(options.floating_tzid)) {
                floating_ = zone;
            }
        }
    }
    ZoneResolver(const ZoneResolver&) = delete;
    ZoneResolver& operator=(const ZoneResolver&) = delete;
    ~ZoneResolver()
    {
        for (auto* zone : owned_) {
            icaltimezone_free(zone, 1);
        }
    }

    // Returns the zone of a TZID, or nullptr when it cannot be resolved.
    icaltimezone* find(const std::string& tzid)
    {
        if (auto cached = cache_.find(tzid); cached != cache_.end()) {
            return cached->second;
        }
        icaltimezone* zone = embedded(tzid);
        if (zone == nullptr) {
            zone = tz_database_zone(tzid);
        }
        cache_.emplace(tzid, zone);
        return zone;
    }

    [[nodiscard]] icaltimezone* floating() const { return floating_; }

    // True when the options named a floating VTIMEZONE that libical could not read.
    [[nodiscard]] bool floating_failed() const { return floating_failed_; }

private:
    // Builds a zone from a VTIMEZONE with rules; one with only a TZID defers to the tz database.
    icaltimezone* embedded(const std::string& tzid)
    {
        for (const auto& child : calendar_.components) {
            const auto* name = child.find("TZID");
            if (child.name != "VTIMEZONE" || name == nullptr || name->value != tzid ||
                child.components.empty()) {
                continue;
            }
            return build(child);
        }
        return nullptr;
    }

    // Builds the floating zone; a VTIMEZONE with only a TZID names a tz database zone.
    icaltimezone* floating_zone(const Component& vtimezone)
    {
        const auto* tzid = vtimezone.find("TZID");
        if (vtimezone.components.empty()) {
            return tzid != nullptr ? tz_database_zone(tzid->value) : nullptr;
        }
        return build(vtimezone);
    }

    icaltimezone* build(const Component& vtimezone)
    {
        auto* component = icalcomponent_new_from_string(write_component(vtimezone).c_str());
        if (component == nullptr) {
            return nullptr;
        }
        auto* zone = icaltimezone_new();
        if (icaltimezone_set_component(zone, component) == 0) {
            icalcomponent_free(component);
            icaltimezone_free(zone, 1);
            return nullptr;
        }
        owned_.push_back(zone);
        return zone;
    }

    const Component& calendar_;
    icaltimezone* floating_ = nullptr;
    bool floating_failed_ = false;
    std::map<std::string, icaltimezone*> cache_;
    std::vector<icaltimezone*> owned_;
};

// A DATE or DATE-TIME read from a property: its fields as written and its moment in UTC.
struct Moment {
    icaltimetype local;
    std::int64_t epoch = 0;
    icaltimezone* zone = nullptr; // the zone the fields are local to
    bool utc = false;             // written with a trailing 'Z'
};

// Reads one value of a date-time property. A floating value is read in `floating_zone`.
Result<Moment> read_moment(const Property& property, std::string_view value, ZoneResolver& zones,
                           icaltimezone* floating_zone)
{
    auto local = icaltime_from_string(std::string(value).c_str());
    if (icaltime_is_null_time(local) || !parse_date_time(value)) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid {} value '{}'", property.name, value),
                          SourceLocation{"", property.line, 0});
    }
    icaltimezone* zone = floating_zone;
    bool utc = icaltime_is_utc(local) != 0;
    if (utc) {
        zone = icaltimezone_get_utc_timezone();
    } else if (auto tzid = property.parameter("TZID"); tzid && !local.is_date) {
        zone = zones.find(*tzid);
        if (zone == nullptr) {
            return make_error(Errc::invalid_argument,
                              fmt::format("unknown time zone '{}' in {}", *tzid, property.name),
                              SourceLocation{"", property.line, 0});
        }
    }
    local.zone = nullptr;
    return Moment{local, static_cast<std::int64_t>(icaltime_as_timet_with_zone(local, zone)), zone, utc};
}

// The length of an instance: DTEND or DUE minus DTSTART, DURATION, or one day for a DATE.
std::int64_t instance_length(const Component& component, const Moment& start, ZoneResolver& zones)
{
    for (auto name : {"DTEND", "DUE"}) {
        if (const auto* end = component.find(name)) {
            auto moment = read_moment(*end, end->value, zones, start.zone);
            if (moment && moment->epoch >= start.epoch) {
                return moment->epoch - start.epoch;
            }
        }
    }
    if (const auto* duration = component.find("DURATION")) {
        return std::max<std::int64_t>(0, parse_duration(duration->value).value_or(0));
    }
    return start.local.is_date ? seconds_per_day : 0;
}

// RFC 4791 section 9.9: an instance overlaps when it starts before the range ends and ends
// after it starts. An instant overlaps when it lies in [start, end).
bool overlaps(std::int64_t start, std::int64_t end, std::int64_t range_start, std::int64_t range_end)
{
    if (start == end) {
        return start >= range_start && start < range_end;
    }
    return start < range_end && end > range_start;
}

std::string recurrence_id_text(const icaltimetype& local, bool utc)
{
    std::string text = icaltime_as_ical_string(local);
    if (utc && !local.is_date && !text.ends_with('Z')) {
        text += 'Z';
    }
    return text;
}

} // namespace

namespace {

// Expands the master of a series: DTSTART, RRULE and RDATE instances minus EXDATE ones.
class MasterExpansion {
public:
    MasterExpansion(const Component& master, const Moment& start, ZoneResolver& zones,
                    const ExpansionOptions& options)
        : master_(master), start_(start), zones_(zones), options_(options)
    {
    }

    // Collects the instance starts before `range_end`, skipping ahead to `skip_to` where the
    // rule allows it. Returns false when the step limit stopped the expansion.
    Result<bool> collect(std::int64_t skip_to, std::int64_t range_end);

    std::map<std::int64_t, icaltimetype>& instances() { return instances_; }
    std::set<std::int64_t>& excluded() { return excluded_; }

private:
    Result<bool> expand_rule(const Property& rule, std::int64_t skip_to, std::int64_t range_end);
    Result<void> add_dates(const Property& list, bool exclude);

    const Component& master_;
    Moment start_;
    ZoneResolver& zones_;
    const ExpansionOptions& options_;
    std::map<std::int64_t, icaltimetype> instances_;
    std::set<std::int64_t> excluded_;
};

Result<bool> MasterExpansion::expand_rule(const Property& rule, std::int64_t skip_to, std::int64_t range_end)
{
    auto recurrence = icalrecurrencetype_from_string(rule.value.c_str());
    if (recurrence.freq == ICAL_NO_RECURRENCE) {
        return make_error(Errc::invalid_argument, fmt::format("invalid RRULE '{}'", rule.value),
                          SourceLocation{"", rule.line, 0});
    }
    // The iterator works on local fields, so a UTC UNTIL is moved into the series' zone.
    if (!icaltime_is_null_time(recurrence.until) && !start_.local.is_date) {
        auto until = recurrence.until;
        until.zone = icaltime_is_utc(until) ? icaltimezone_get_utc_timezone() : nullptr;
        if (until.zone != nullptr) {
            until = icaltime_convert_to_zone(until, start_.zone);
        }
        until.zone = nullptr;
        recurrence.until = until;
    }

    std::unique_ptr<icalrecur_iterator, decltype(&icalrecur_iterator_free)> iterator(
        icalrecur_iterator_new(recurrence, start_.local), &icalrecur_iterator_free);
    if (!iterator) {
        return make_error(Errc::invalid_argument, fmt::format("cannot expand RRULE '{}'", rule.value),
                          SourceLocation{"", rule.line, 0});
    }
    // Without COUNT the iterator may start near the range, so a series running for millennia
    // costs no more than one that started last week.
    constexpr std::int64_t skip_margin = 8 * seconds_per_day;
    if (recurrence.count == 0 && skip_to - skip_margin > start_.epoch + 366 * seconds_per_day) {
        auto from = icaltime_from_timet_with_zone(static_cast<time_t>(skip_to - skip_margin),
                                                  start_.local.is_date, start_.zone);
        from.zone = nullptr;
        icalrecur_iterator_set_start(iterator.get(), from);
    }

    std::size_t steps = 0;
    for (auto next = icalrecur_iterator_next(iterator.get()); !icaltime_is_null_time(next);
         next = icalrecur_iterator_next(iterator.get())) {
        if (++steps > options_.max_iterations) {
            return false;
        }
        next.zone = nullptr;
        auto epoch = static_cast<std::int64_t>(icaltime_as_timet_with_zone(next, start_.zone));
        if (epoch >= range_end) {
            break;
        }
        instances_.emplace(epoch, next);
    }
    return true;
}

Result<void> MasterExpansion::add_dates(const Property& list, bool exclude)
{
    for (const auto& item : split_escaped(list.value, ',')) {
        // NOTE: an RDATE PERIOD is placed at its start and takes the master's duration.
        auto value = std::string_view(item).substr(0, item.find('/'));
        // A floating EXDATE or RDATE of a zoned series is read in the series' zone.
        auto moment = read_moment(list, value, zones_, start_.zone);
        if (!moment) {
            return tl::unexpected(moment.error());
        }
        if (exclude) {
            excluded_.insert(moment->epoch);
        } else {
            auto local = icaltime_from_timet_with_zone(static_cast<time_t>(moment->epoch),
                                                       start_.local.is_date, start_.zone);
            local.zone = nullptr;
            instances_.emplace(moment->epoch, local);
        }
    }
    return {};
}

Result<bool> MasterExpansion::collect(std::int64_t skip_to, std::int64_t range_end)
{
    instances_.emplace(start_.epoch, start_.local);
    bool complete = true;
    for (const auto& property : master_.properties) {
        if (property.name == "RRULE") {
            auto expanded = expand_rule(property, skip_to, range_end);
            if (!expanded) {
                return expanded;
            }
            complete = complete && *expanded;
        } else if (property.name == "RDATE" || property.name == "EXDATE") {
            auto added = add_dates(property, property.name == "EXDATE");
            if (!added) {
                return tl::unexpected(added.error());
            }
        }
    }
    return complete;
}

// The master and the overrides of a resource, by index in the VCALENDAR's components.
struct SeriesParts {
    std::optional<std::size_t> master;
    std::vector<std::size_t> overrides;
};

SeriesParts find_parts(const Component& calendar)
{
    SeriesParts parts;
    for (std::size_t i = 0; i < calendar.components.size(); ++i) {
        const auto& component = calendar.components[i];
        if (!is_resource_component(component.name) || component.name == "VFREEBUSY") {
            continue;
        }
        if (component.find("RECURRENCE-ID") != nullptr) {
            parts.overrides.push_back(i);
        } else {
            parts.master = i;
        }
    }
    return parts;
}

// An override with RANGE=THISANDFUTURE: it moves its own instance and every later one by
// `shift` seconds and gives them its length (RFC 5545 section 3.8.4.4).
struct FutureOverride {
    std::size_t component = 0;
    std::int64_t shift = 0;
    std::int64_t length = 0;
};

// The query a resource is expanded for, and what the expansion found so far.
struct Query {
    const Component& calendar;
    std::int64_t range_start;
    std::int64_t range_end;
    const ExpansionOptions& options;
    ZoneResolver& zones;
    Expansion& expansion;
    // The THISANDFUTURE overrides by the moment their RECURRENCE-ID names.
    std::map<std::int64_t, FutureOverride> future;
};

std::string date_of(std::int64_t epoch, icaltimezone* zone)
{
    auto local = icaltime_from_timet_with_zone(static_cast<time_t>(epoch), 1, zone);
    local.zone = nullptr;
    return icaltime_as_ical_string(local);
}

// Builds an instance. DATE instances also get their days, read in the zone they were placed
// in, so that a floating all-day event keeps its calendar day whatever the zone.
Occurrence make_occurrence(std::int64_t start, std::int64_t length, std::string recurrence_id,
                           std::size_t component, std::int64_t recurrence_start,
                           const Moment& series_start)
{
    Occurrence occurrence{.start = start,
                          .end = start + length,
                          .recurrence_id = std::move(recurrence_id),
                          .component = component,
                          .is_override = false,
                          .recurrence_start = recurrence_start,
                          .start_date = {},
                          .end_date = {}};
    if (series_start.local.is_date) {
        occurrence.start_date = date_of(start, series_start.zone);
        // Whole days, so that a day of 23 or 25 hours at a DST change still ends at midnight.
        constexpr std::int64_t half_day = seconds_per_day / 2;
        const auto days = (length + half_day) / seconds_per_day;
        occurrence.end_date = date_of(start + days * seconds_per_day + half_day, series_start.zone);
    }
    return occurrence;
}

// Returns the THISANDFUTURE override that governs a master instance: the latest one whose
// RECURRENCE-ID is before the instance, or nullptr.
const FutureOverride* future_override_for(const Query& query, std::int64_t epoch)
{
    auto after = query.future.lower_bound(epoch);
    if (after == query.future.begin()) {
        return nullptr;
    }
    return &std::prev(after)->second;
}

// How far THISANDFUTURE overrides reach: the largest shift back in time and the largest
// shift forward plus length, so the master is expanded wide enough to find every instance
// that a shift moves into the range.
std::pair<std::int64_t, std::int64_t> future_reach(const Query& query)
{
    std::int64_t back = 0;
    std::int64_t forward = 0;
    for (const auto& [moment, future] : query.future) {
        back = std::max(back, -future.shift);
        forward = std::max(forward, future.shift + future.length);
    }
    return {back, forward};
}

// Adds the master's instances that no EXDATE removes and no override replaces. Instances
// after a THISANDFUTURE override take its shift, length and component.
Result<void> add_master_instances(Query& query, std::size_t master, const Moment& start,
                                  const std::map<std::int64_t, std::size_t>& replaced)
{
    const auto& component = query.calendar.components[master];
    auto length = instance_length(component, start, query.zones);
    bool recurs = component.find("RRULE") != nullptr || component.find("RDATE") != nullptr;
    const auto [back, forward] = future_reach(query);
    MasterExpansion series(component, start, query.zones, query.options);
    auto complete = series.collect(query.range_start - std::max(length, forward),
                                   query.range_end + back);
    if (!complete) {
        return tl::unexpected(complete.error());
    }
    query.expansion.truncated = !*complete;

    for (const auto& [epoch, local] : series.instances()) {
        if (series.excluded().contains(epoch) || replaced.contains(epoch)) {
            continue;
        }
        auto id = recurs ? recurrence_id_text(local, start.utc) : std::string();
        auto occurrence = make_occurrence(epoch, length, std::move(id), master, epoch, start);
        if (const auto* future = future_override_for(query, epoch)) {
            occurrence = make_occurrence(epoch + future->shift, future->length,
                                         std::move(occurrence.recurrence_id), future->component,
                                         epoch, start);
            occurrence.is_override = true;
        }
        if (overlaps(occurrence.start, occurrence.end, query.range_start, query.range_end)) {
            query.expansion.occurrences.push_back(std::move(occurrence));
        }
    }
    return {};
}

// Adds an override as its own instance when it overlaps the range.
Result<void> add_override(Query& query, std::size_t index, std::int64_t recurrence_start,
                          icaltimezone* series_zone)
{
    const auto& component = query.calendar.components[index];
    const auto* start = component.find("DTSTART");
    if (start == nullptr) {
        return {};
    }
    auto moment = read_moment(*start, start->value, query.zones, series_zone);
    if (!moment) {
        return tl::unexpected(moment.error());
    }
    auto length = instance_length(component, *moment, query.zones);
    if (overlaps(moment->epoch, moment->epoch + length, query.range_start, query.range_end)) {
        auto occurrence = make_occurrence(moment->epoch, length,
                                          component.find("RECURRENCE-ID")->value, index,
                                          recurrence_start, *moment);
        occurrence.is_override = true;
        query.expansion.occurrences.push_back(std::move(occurrence));
    }
    return {};
}

// Reads the RECURRENCE-IDs of the overrides: the instances they replace, and the later
// instances that THISANDFUTURE ones take over.
Result<std::map<std::int64_t, std::size_t>> read_overrides(Query& query,
                                                            const SeriesParts& parts,
                                                            icaltimezone* series_zone)
{
    std::map<std::int64_t, std::size_t> replaced;
    for (auto index : parts.overrides) {
        const auto& component = query.calendar.components[index];
        const auto* recurrence_id = component.find("RECURRENCE-ID");
        auto moment = read_moment(*recurrence_id, recurrence_id->value, query.zones, series_zone);
        if (!moment) {
            return tl::unexpected(moment.error());
        }
        replaced.emplace(moment->epoch, index);
        if (recurrence_id->parameter("RANGE").value_or("") != "THISANDFUTURE") {
            continue;
        }
        FutureOverride future{index, 0, 0};
        if (const auto* start = component.find("DTSTART")) {
            auto moved = read_moment(*start, start->value, query.zones, series_zone);
            if (!moved) {
                return tl::unexpected(moved.error());
            }
            future.shift = moved->epoch - moment->epoch;
            future.length = instance_length(component, *moved, query.zones);
        }
        query.future.emplace(moment->epoch, future);
    }
    return replaced;
}

} // namespace

Result<Expansion> occurrences(const Component& calendar, std::int64_t range_start,
                              std::int64_t range_end, const ExpansionOptions& options)
{
    auto lock = lock_libical_zones();
    ZoneResolver zones(calendar, options);
    if (zones.floating_failed()) {
        return make_error(Errc::invalid_argument,
                          "the VTIMEZONE for floating times does not define a time zone");
    }
    Expansion expansion;
    Query query{calendar, range_start, range_end, options, zones, expansion, {}};

    auto parts = find_parts(calendar);
    if (!parts.master && parts.overrides.empty()) {
        return make_error(Errc::invalid_argument, "the resource holds no VEVENT, VTODO or VJOURNAL");
    }

    // A VTODO without DTSTART is placed at its DUE.
    std::optional<Moment> master_start;
    icaltimezone* series_zone = zones.floating();
    if (parts.master) {
        const auto& component = calendar.components[*parts.master];
        const auto* start = component.find("DTSTART");
        start = start != nullptr ? start : component.find("DUE");
        if (start != nullptr) {
            auto moment = read_moment(*start, start->value, zones, zones.floating());
            if (!moment) {
                return tl::unexpected(moment.error());
            }
            master_start = *moment;
            series_zone = moment->zone;
        }
    }

    auto replaced = read_overrides(query, parts, series_zone);
    if (!replaced) {
        return tl::unexpected(replaced.error());
    }
    if (parts.master && master_start) {
        if (auto added = add_master_instances(query, *parts.master, *master_start, *replaced);
            !added) {
            return tl::unexpected(added.error());
        }
    }
    for (const auto& [recurrence_start, index] : *replaced) {
        if (auto added = add_override(query, index, recurrence_start, series_zone); !added) {
            return tl::unexpected(added.error());
        }
    }

    std::ranges::sort(expansion.occurrences, {}, &Occurrence::start);
    if (expansion.occurrences.size() > options.max_instances) {
        expansion.occurrences.resize(options.max_instances);
        expansion.truncated = true;
    }
    return expansion;
}

} // namespace robur::icalendar
