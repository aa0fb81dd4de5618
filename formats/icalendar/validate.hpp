#pragma once

#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "formats/icalendar/check.hpp"
#include "formats/icalendar/component.hpp"

namespace robur::icalendar {

// Where a calendar comes from decides how strict a few rules are (docs/calendars.md).
enum class Origin {
    put,    // a CalDAV client stores one resource: METHOD is rejected
    import, // a file given to `robur cal import`: METHOD is removed with a warning
};

// Checks one VCALENDAR against RFC 5545 and RFC 4791 section 4.1 and applies the documented
// repairs in place. Appends every finding to `diagnostics`; returns true when a repair changed
// the calendar, so that it must be written again before it is stored.
bool validate_calendar(Component& calendar, std::string_view path, Origin origin,
                       std::vector<Diagnostic>& diagnostics);

} // namespace robur::icalendar
