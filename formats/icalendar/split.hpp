#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "formats/icalendar/check.hpp"
#include "formats/icalendar/component.hpp"

namespace robur::icalendar {

// One calendar object resource cut out of a larger calendar.
struct SplitResource {
    std::string name; // file name derived from the UID (resource_name.hpp)
    ResourceSummary summary;
    Component calendar; // VCALENDAR with the UID's components and the VTIMEZONEs they use
};

// The resources of an import file and the collection properties its VCALENDAR suggests.
struct SplitCalendar {
    std::vector<SplitResource> resources; // sorted by name
    std::vector<Diagnostic> diagnostics;
    std::optional<std::string> displayname; // X-WR-CALNAME
    std::optional<std::string> description; // X-WR-CALDESC
    std::optional<std::string> color;       // X-APPLE-CALENDAR-COLOR
};

// Parses, checks and repairs an import file (Origin::import rules) and splits it into one
// resource per UID: the master and all its RECURRENCE-ID overrides together, with exactly the
// VTIMEZONEs their TZIDs reference. Several VCALENDAR objects in one file are read one after
// another. `resources` is empty when any error was found.
[[nodiscard]] SplitCalendar split_calendar(std::string_view bytes, std::string_view path,
                                           const Limits& limits);

// A stored resource to merge, with the path used in messages.
struct NamedCalendar {
    std::string path;
    Component calendar;
};

// Merges resources into one VCALENDAR for export. VTIMEZONEs are written once per TZID: equal
// definitions are merged, and for differing definitions of one TZID the first is kept with a
// warning that names both paths.
[[nodiscard]] Component merge_calendars(const std::vector<NamedCalendar>& resources,
                                        std::string_view displayname,
                                        std::vector<Diagnostic>& diagnostics);

// Compares two calendars semantically: the same components (matched by type, UID and
// RECURRENCE-ID, VTIMEZONEs by TZID) with the same properties in any order, parameters in any
// order and letter case, nested components in any order. VCALENDAR properties are ignored.
// Returns one line per difference; empty means equal.
[[nodiscard]] std::vector<std::string> compare_calendars(const std::vector<Component>& first,
                                                         const std::vector<Component>& second);

} // namespace robur::icalendar
