#include "formats/icalendar/occurrences.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

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
// VTIMEZONEs.
class ZoneResolver {
public:
    ZoneResolver(const Component& calendar, const std::string& floating_tzid) : calendar_(calendar)
    {
        floating_ = icaltimezone_get_utc_timezone();
        if (!floating_tzid.empty()) {
            if (auto* zone = find(floating_tzid)) {
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
            auto* component = icalcomponent_new_from_string(write_component(child).c_str());
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
        return nullptr;
    }

    const Component& calendar_;
    icaltimezone* floating_ = nullptr;
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

// The query a resource is expanded for, and what the expansion found so far.
struct Query {
    const Component& calendar;
    std::int64_t range_start;
    std::int64_t range_end;
    const ExpansionOptions& options;
    ZoneResolver& zones;
    Expansion& expansion;
};

// Adds the master's instances that no EXDATE removes and no override replaces.
Result<void> add_master_instances(Query& query, std::size_t master, const Moment& start,
                                  const std::map<std::int64_t, std::size_t>& replaced)
{
    const auto& component = query.calendar.components[master];
    auto length = instance_length(component, start, query.zones);
    bool recurs = component.find("RRULE") != nullptr || component.find("RDATE") != nullptr;
    MasterExpansion series(component, start, query.zones, query.options);
    auto complete = series.collect(query.range_start - length, query.range_end);
    if (!complete) {
        return tl::unexpected(complete.error());
    }
    query.expansion.truncated = !*complete;

    for (const auto& [epoch, local] : series.instances()) {
        if (series.excluded().contains(epoch) || replaced.contains(epoch) ||
            !overlaps(epoch, epoch + length, query.range_start, query.range_end)) {
            continue;
        }
        auto id = recurs ? recurrence_id_text(local, start.utc) : std::string();
        query.expansion.occurrences.push_back(Occurrence{epoch, epoch + length, id, master, false});
    }
    return {};
}

// Adds an override as its own instance when it overlaps the range.
Result<void> add_override(Query& query, std::size_t index, icaltimezone* series_zone)
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
        query.expansion.occurrences.push_back(Occurrence{moment->epoch, moment->epoch + length,
                                                         component.find("RECURRENCE-ID")->value,
                                                         index, true});
    }
    return {};
}

} // namespace

Result<Expansion> occurrences(const Component& calendar, std::int64_t range_start,
                              std::int64_t range_end, const ExpansionOptions& options)
{
    auto lock = lock_libical_zones();
    ZoneResolver zones(calendar, options.floating_tzid);
    Expansion expansion;
    Query query{calendar, range_start, range_end, options, zones, expansion};

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

    // The instances the overrides replace, by the moment their RECURRENCE-ID names.
    // TODO: RANGE=THISANDFUTURE overrides replace only their own instance, not the later ones.
    std::map<std::int64_t, std::size_t> replaced;
    for (auto index : parts.overrides) {
        const auto* recurrence_id = calendar.components[index].find("RECURRENCE-ID");
        auto moment = read_moment(*recurrence_id, recurrence_id->value, zones, series_zone);
        if (!moment) {
            return tl::unexpected(moment.error());
        }
        replaced.emplace(moment->epoch, index);
    }

    if (parts.master && master_start) {
        if (auto added = add_master_instances(query, *parts.master, *master_start, replaced); !added) {
            return tl::unexpected(added.error());
        }
    }
    for (auto index : parts.overrides) {
        if (auto added = add_override(query, index, series_zone); !added) {
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
