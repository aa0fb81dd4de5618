#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"

namespace robur::icalendar {

// Bounds on untrusted calendar data.
struct Limits {
    std::size_t max_resource_size = 10 * 1024 * 1024; // bytes of one resource or import file
    std::size_t max_instances = 10000;     // occurrences one expansion may produce
    std::size_t max_components = 100000;   // components in one file, nested ones included
    // Bytes of one unfolded content line; as large as a resource, because clients send inline
    // attachments of several MiB on one line.
    std::size_t max_line_length = 10 * 1024 * 1024;
    std::size_t max_nesting = 8;           // depth of BEGIN/END nesting
};

// The identity and description of a stored calendar object resource.
struct ResourceSummary {
    std::string uid;
    std::string component; // VEVENT, VTODO or VJOURNAL
    std::string summary;   // SUMMARY of the master, or of the first override without one
    bool recurring = false;
    friend bool operator==(const ResourceSummary&, const ResourceSummary&) = default;
};

// The outcome of checking one calendar object resource.
struct CheckedResource {
    std::optional<ResourceSummary> resource; // set when the resource may be stored
    std::optional<std::string> repaired;     // the bytes to store instead, when a repair applied
    std::vector<Diagnostic> diagnostics;     // errors and warnings, each with path:line
};

// Checks one calendar object resource as a CalDAV client PUTs it (RFC 4791 section 4.1,
// RFC 5545). The rules: UTF-8, one VCALENDAR with one component type and one UID (overrides
// share it), no METHOD, required properties, consistent value types, resolvable TZIDs and the
// sizes in `limits`. Rule breaks that real clients commonly send are
// repaired with a warning, as docs/calendars.md lists; `repaired` then contains the bytes to store.
[[nodiscard]] CheckedResource check_resource(std::string_view bytes, std::string_view path,
                                             const Limits& limits);

} // namespace robur::icalendar
