#pragma once

#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "formats/icalendar/check.hpp"
#include "formats/icalendar/component.hpp"

namespace robur::icalendar {

// The components of a file and every finding of the parse. `repaired` is true when the parser
// dropped something it warned about (a byte order mark, empty lines), so the text must be
// written again from `calendars` to store the repaired form.
struct ParsedFile {
    std::vector<Component> calendars;
    std::vector<Diagnostic> diagnostics;
    bool repaired = false;
};

// Parses iCalendar text into components, with the physical line of every content line. Accepts
// CRLF, bare LF and a mix, and folds with a space or a tab (RFC 5545 section 3.1). Rejects
// bytes that are not UTF-8 and control characters other than tab, naming line and column; never
// transcodes. A UTF-8 byte order mark and empty lines are dropped with a warning. Structural
// faults (a missing END, a line outside VCALENDAR, a malformed content line) are errors. The
// parse continues after them, so one call reports them all.
[[nodiscard]] ParsedFile parse_calendar_text(std::string_view bytes, std::string_view path,
                                             const Limits& limits);

} // namespace robur::icalendar
