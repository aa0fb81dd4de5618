#include "servers/caldav/resource_cache.hpp"

#include <algorithm>
#include <cctype>

#include "formats/icalendar/occurrences.hpp"
#include "formats/icalendar/parser.hpp"
#include "servers/caldav/calendar_time.hpp"
#include "servers/caldav/uid_index.hpp"
#include "servers/caldav/xml.hpp"

namespace robur::caldav {

namespace {

// Floating times and DATE values move by less than 24 hours with the zone they are read in,
// because RFC 5545 section 3.3.14 limits a UTC offset to 23:59:59. A DATE without an end
// covers one day. So bounds widened by three days hold in every zone.
constexpr std::int64_t bounds_margin = 3 * 86400;

// The widest range occurrences() is asked for, as in calendar-query: about 34,000 years.
constexpr std::int64_t expansion_bound = std::int64_t{1} << 40;

// A series is listed in the summary up to this many instances, and an unbounded one up to
// this many seconds (20 years) after its DTSTART: a weekly series for its first 19 years, a
// daily one for nearly three. A query beyond them evaluates the resource in full.
constexpr std::size_t max_listed_instances = 1000;
constexpr std::int64_t unbounded_listing_span = std::int64_t{20} * 365 * 86400;

bool is_instance_component(std::string_view name)
{
    return name == "VEVENT" || name == "VTODO" || name == "VJOURNAL";
}

bool contains_ignoring_case(std::string_view text, std::string_view word)
{
    const auto found = std::search(text.begin(), text.end(), word.begin(), word.end(),
                                   [](char a, char b) {
                                       return std::toupper(static_cast<unsigned char>(a)) ==
                                              std::toupper(static_cast<unsigned char>(b));
                                   });
    return found != text.end();
}

// Returns true when every RRULE of every instance component ends with COUNT or UNTIL, so
// expanding the whole recurrence set is finite.
bool has_finite_recurrence(const icalendar::Component& calendar)
{
    return std::ranges::all_of(calendar.components, [](const icalendar::Component& component) {
        return std::ranges::all_of(component.find_all("RRULE"),
                                   [](const icalendar::Property* rule) {
                                       return contains_ignoring_case(rule->value, "COUNT=") ||
                                              contains_ignoring_case(rule->value, "UNTIL=");
                                   });
    });
}

// A DATE-TIME in UTC or with a TZID, which no floating zone changes.
bool is_fixed_date_time(const icalendar::Property& property)
{
    const auto value_type = property.parameter("VALUE");
    if ((value_type && *value_type != "DATE-TIME") || property.value.size() <= 8) {
        return false;
    }
    return property.value.back() == 'Z' || property.parameter("TZID").has_value();
}

// True when every value of a list property (EXDATE:a,b) is a UTC or TZID date-time.
bool has_fixed_values(const icalendar::Property& property)
{
    if (property.parameter("TZID")) {
        return is_fixed_date_time(property);
    }
    std::string_view rest = property.value;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto value = rest.substr(0, comma);
        if (value.size() <= 8 || value.back() != 'Z') {
            return false;
        }
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return !property.parameter("VALUE") || *property.parameter("VALUE") == "DATE-TIME";
}

// A VEVENT whose instances no floating zone moves: DTSTART, any DTEND, EXDATE and
// RECURRENCE-ID are UTC or TZID date-times, and no RDATE (which may hold periods) is present.
bool is_fixed_event(const icalendar::Component& event)
{
    const auto* start = event.find("DTSTART");
    const auto* end = event.find("DTEND");
    const auto* recurrence_id = event.find("RECURRENCE-ID");
    const auto exdates = event.find_all("EXDATE");
    return event.name == "VEVENT" && start != nullptr && is_fixed_date_time(*start) &&
           (end == nullptr || is_fixed_date_time(*end)) && event.find("RDATE") == nullptr &&
           (recurrence_id == nullptr || is_fixed_date_time(*recurrence_id)) &&
           std::ranges::all_of(exdates, [](const icalendar::Property* exdate) {
               return has_fixed_values(*exdate);
           });
}

// A VEVENT with exactly one instance whose times no floating zone changes.
bool is_single_fixed_event(const icalendar::Component& event)
{
    for (const auto* name : {"RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"}) {
        if (event.find(name) != nullptr) {
            return false;
        }
    }
    return is_fixed_event(event);
}

// True when every instance component of the resource is a fixed VEVENT.
bool has_only_fixed_events(const icalendar::Component& calendar)
{
    return std::ranges::all_of(calendar.components, [](const icalendar::Component& component) {
        return !is_instance_component(component.name) || is_fixed_event(component);
    });
}

// Returns the one instance component of the resource, or nullptr when it has none or several
// (a master with overrides).
const icalendar::Component* only_instance_component(const icalendar::Component& calendar)
{
    const icalendar::Component* found = nullptr;
    for (const auto& component : calendar.components) {
        if (!is_instance_component(component.name)) {
            continue;
        }
        if (found != nullptr) {
            return nullptr;
        }
        found = &component;
    }
    return found;
}

// Lists the instances of an expansion of fixed VEVENTs as calendar-query builds them: an end
// only where the event has one.
std::vector<FixedInstance> fixed_instances(const icalendar::Component& calendar,
                                           const std::vector<icalendar::Occurrence>& items)
{
    std::vector<FixedInstance> instances;
    instances.reserve(items.size());
    for (const auto& item : items) {
        const auto& component = calendar.components.at(item.component);
        const bool has_end = component.find("DTEND") != nullptr ||
                             component.find("DURATION") != nullptr || item.end != item.start;
        instances.push_back({item.start, has_end ? std::optional(item.end) : std::nullopt});
    }
    return instances;
}

// Sets the earliest start of an unbounded series without RDATE or overrides: its DTSTART,
// which is the first instance of a recurrence set (RFC 5545 section 3.8.5.3). A fixed series
// with one RRULE also gets its first instances listed.
void add_series_start(const icalendar::Component& calendar, CalendarSummary& summary)
{
    const auto* series = only_instance_component(calendar);
    const auto* start = series != nullptr ? series->find("DTSTART") : nullptr;
    if (start == nullptr || series->find("RDATE") != nullptr ||
        series->find("RECURRENCE-ID") != nullptr) {
        return;
    }
    summary.earliest_start = property_epoch(calendar, *start, start->value, FloatingZone{});
    if (!summary.earliest_start || !is_fixed_event(*series) ||
        series->find_all("RRULE").size() != 1) {
        return;
    }

    // One rule without RDATE or overrides yields its instances in order of start, so the
    // first ones up to a moment are all the instances before it.
    const auto until = *summary.earliest_start + unbounded_listing_span;
    icalendar::ExpansionOptions options;
    options.max_instances = max_listed_instances;
    // A rule that matches rarely, or a SECONDLY one, stops early and lists less.
    options.max_iterations = 20 * max_listed_instances;
    auto expansion = icalendar::occurrences(calendar, -expansion_bound, until, options);
    if (!expansion || expansion->occurrences.empty()) {
        return;
    }
    summary.series = fixed_instances(calendar, expansion->occurrences);
    summary.series_until = expansion->truncated ? summary.series.back().start : until;
}

// Sets the bounds, and the instance of a single fixed VEVENT, from a full expansion.
void add_instances(const icalendar::Component& calendar, CalendarSummary& summary)
{
    if (!has_finite_recurrence(calendar)) {
        add_series_start(calendar, summary);
        return;
    }
    auto expansion =
        icalendar::occurrences(calendar, -expansion_bound, expansion_bound, {});
    if (!expansion || expansion->truncated || expansion->occurrences.empty()) {
        return;
    }
    const auto& items = expansion->occurrences;
    summary.earliest_start = std::ranges::min(items, {}, &icalendar::Occurrence::start).start;
    summary.latest_end = std::ranges::max(items, {}, &icalendar::Occurrence::end).end;
    if (items.size() > 1 && items.size() <= max_listed_instances &&
        has_only_fixed_events(calendar)) {
        summary.series = fixed_instances(calendar, items);
        return;
    }

    const auto instance_components = std::ranges::count_if(
        calendar.components,
        [](const icalendar::Component& component) { return is_instance_component(component.name); });
    const auto& occurrence = items.front();
    const auto& component = calendar.components.at(occurrence.component);
    if (instance_components != 1 || items.size() != 1 || component.name != "VEVENT" ||
        !is_single_fixed_event(component)) {
        return;
    }
    // As calendar-query builds the instance: an end only where the event has one.
    InstanceTimes instance{"VEVENT", occurrence.start, std::nullopt, false, false,
                           std::nullopt, std::nullopt};
    if (component.find("DTEND") != nullptr || component.find("DURATION") != nullptr ||
        occurrence.end != occurrence.start) {
        instance.end = occurrence.end;
    }
    summary.instance = instance;
}

// Decides one comp-filter directly below VCALENDAR, or returns nullopt.
std::optional<bool> decide_component_filter(const CompFilter& filter,
                                            const CalendarSummary& summary)
{
    const bool present = std::ranges::find(summary.components, filter.name) !=
                         summary.components.end();
    const bool plain = !filter.time_range && filter.prop_filters.empty() &&
                       filter.comp_filters.empty();
    if (filter.is_not_defined) {
        return plain ? std::optional<bool>(!present) : std::nullopt;
    }
    if (!present) {
        return false;
    }
    if (plain) {
        return true;
    }
    if (filter.name != "VEVENT" || !filter.prop_filters.empty() || !filter.comp_filters.empty()) {
        return std::nullopt;
    }
    if (!may_overlap(summary, *filter.time_range)) {
        return false;
    }
    if (summary.instance) {
        return instance_overlaps(*summary.instance, *filter.time_range);
    }
    const auto& range = *filter.time_range;
    const bool listed = !summary.series.empty() &&
                        (!summary.series_until || (range.end && *range.end <= *summary.series_until));
    if (listed) {
        return std::ranges::any_of(summary.series, [&range](const FixedInstance& fixed) {
            return instance_overlaps(InstanceTimes{"VEVENT", fixed.start, fixed.end, false, false,
                                                   std::nullopt, std::nullopt},
                                     range);
        });
    }
    return std::nullopt;
}

// A rough estimate of the memory an entry holds. NOTE: a parsed calendar is estimated at four
// times the size of its text.
std::size_t estimate_bytes(const BlobFacts& facts)
{
    std::size_t bytes = sizeof(BlobFacts) + 64 + (facts.uid ? facts.uid->size() : 0);
    if (facts.calendar) {
        bytes += facts.calendar->components.size() * 32 +
                 facts.calendar->series.capacity() * sizeof(FixedInstance);
        if (facts.calendar->calendar) {
            bytes += 4 * facts.size;
        }
    }
    if (facts.escaped) {
        bytes += facts.escaped->size();
    }
    return bytes;
}

} // namespace

bool may_overlap(const CalendarSummary& summary, const TimeRange& range)
{
    const bool ends_before = range.end && summary.earliest_start &&
                             *range.end <= *summary.earliest_start - bounds_margin;
    const bool starts_after = range.start && summary.latest_end &&
                              *range.start >= *summary.latest_end + bounds_margin;
    return !ends_before && !starts_after;
}

CalendarSummary summarise_calendar(icalendar::Component calendar)
{
    CalendarSummary summary;
    for (const auto& component : calendar.components) {
        summary.components.push_back(component.name);
    }
    add_instances(calendar, summary);
    if (!summary.instance) {
        summary.calendar = std::make_shared<const icalendar::Component>(std::move(calendar));
    }
    return summary;
}

std::optional<bool> decide_filter(const CompFilter& filter, const CalendarSummary& summary)
{
    if (filter.name != "VCALENDAR" || filter.is_not_defined || !filter.prop_filters.empty()) {
        return std::nullopt;
    }
    bool decided = true;
    for (const auto& child : filter.comp_filters) {
        const auto result = decide_component_filter(child, summary);
        if (result && !*result) {
            return false;
        }
        decided = decided && result.has_value();
    }
    return decided ? std::optional<bool>(true) : std::nullopt;
}

ResourceCache::ResourceCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

Result<std::shared_ptr<const BlobFacts>> ResourceCache::facts(const store::Snapshot& snapshot,
                                                              const std::string& path,
                                                              const store::ObjectId& blob,
                                                              bool summarise)
{
    auto cached = lookup(blob);
    if (cached && (cached->summarised || !summarise)) {
        return cached;
    }
    auto text = snapshot.read(path);
    if (!text) {
        return tl::unexpected(text.error());
    }

    auto facts = std::make_shared<BlobFacts>();
    facts->size = text->size();
    facts->uid = find_uid(*text);
    if (summarise) {
        facts->summarised = true;
        auto parsed = icalendar::parse_calendar_text(*text, path, icalendar::Limits{});
        // Only a VCALENDAR can match, because parse_filter() requires one at the top.
        if (parsed.calendars.size() == 1 && parsed.calendars.front().name == "VCALENDAR") {
            facts->calendar = summarise_calendar(std::move(parsed.calendars.front()));
        }
    }
    insert(blob, facts);
    return facts;
}

Result<bool> ResourceCache::matches(const store::Snapshot& snapshot, const std::string& path,
                                    const store::ObjectId& blob, const CompFilter& filter,
                                    const FloatingZone& floating)
{
    auto found = facts(snapshot, path, blob, true);
    if (!found) {
        return tl::unexpected(found.error());
    }
    // A resource that no longer parses (stored before a rule was added) matches nothing.
    const auto& summary = (*found)->calendar;
    if (!summary) {
        return false;
    }
    if (const auto decided = decide_filter(filter, *summary)) {
        return *decided;
    }
    auto calendar = parsed_calendar(snapshot, path, **found);
    if (!calendar) {
        return tl::unexpected(calendar.error());
    }
    return *calendar != nullptr && matches_filter(filter, **calendar, floating);
}

Result<std::shared_ptr<const icalendar::Component>> ResourceCache::parsed_calendar(
    const store::Snapshot& snapshot, const std::string& path, const BlobFacts& facts)
{
    if (facts.calendar && facts.calendar->calendar) {
        return facts.calendar->calendar;
    }
    // A single fixed VEVENT keeps no parsed calendar, so it is parsed again.
    auto text = snapshot.read(path);
    if (!text) {
        return tl::unexpected(text.error());
    }
    auto parsed = icalendar::parse_calendar_text(*text, path, icalendar::Limits{});
    if (parsed.calendars.size() != 1) {
        return std::shared_ptr<const icalendar::Component>{};
    }
    return std::make_shared<const icalendar::Component>(std::move(parsed.calendars.front()));
}

Result<std::shared_ptr<const std::string>> ResourceCache::escaped_content(
    const store::Snapshot& snapshot, const std::string& path, const store::ObjectId& blob)
{
    auto cached = lookup(blob);
    if (cached && cached->escaped) {
        return cached->escaped;
    }
    auto text = snapshot.read(path);
    if (!text) {
        return tl::unexpected(text.error());
    }

    // The other facts are kept; a blob seen for the first time gets its size and UID.
    auto facts = cached ? std::make_shared<BlobFacts>(*cached) : std::make_shared<BlobFacts>();
    if (!cached) {
        facts->size = text->size();
        facts->uid = find_uid(*text);
    }
    facts->escaped = std::make_shared<const std::string>(escape_xml(*text));
    auto escaped = facts->escaped;
    insert(blob, std::move(facts));
    return escaped;
}

std::size_t ResourceCache::entries()
{
    std::lock_guard lock(mutex_);
    return current_.facts.size() + previous_.facts.size();
}

std::shared_ptr<const BlobFacts> ResourceCache::lookup(const store::ObjectId& blob)
{
    std::lock_guard lock(mutex_);
    if (const auto found = current_.facts.find(blob); found != current_.facts.end()) {
        return found->second;
    }
    const auto found = previous_.facts.find(blob);
    if (found == previous_.facts.end()) {
        return nullptr;
    }
    auto facts = std::move(found->second);
    const auto bytes = estimate_bytes(*facts);
    previous_.facts.erase(found);
    previous_.bytes -= std::min(previous_.bytes, bytes);
    current_.facts.emplace(blob, facts);
    current_.bytes += bytes;
    if (current_.bytes > max_bytes_ / 2) {
        previous_ = std::move(current_);
        current_ = Generation{};
    }
    return facts;
}

void ResourceCache::insert(const store::ObjectId& blob, std::shared_ptr<const BlobFacts> facts)
{
    std::lock_guard lock(mutex_);
    if (const auto stale = previous_.facts.find(blob); stale != previous_.facts.end()) {
        previous_.bytes -= std::min(previous_.bytes, estimate_bytes(*stale->second));
        previous_.facts.erase(stale);
    }
    auto& slot = current_.facts[blob];
    if (slot) {
        current_.bytes -= std::min(current_.bytes, estimate_bytes(*slot));
    }
    current_.bytes += estimate_bytes(*facts);
    slot = std::move(facts);
    if (current_.bytes > max_bytes_ / 2) {
        previous_ = std::move(current_);
        current_ = Generation{};
    }
}

} // namespace robur::caldav
