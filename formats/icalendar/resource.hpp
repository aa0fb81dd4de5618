#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "formats/icalendar/check.hpp"
#include "formats/icalendar/component.hpp"

namespace robur::icalendar {

// Returns true for the component types a calendar object resource stores (RFC 4791 section 4.1).
[[nodiscard]] bool is_resource_component(std::string_view name);

// Checks the rules that make a VCALENDAR one calendar object resource: one component type, one
// UID, at most one master (a component without RECURRENCE-ID) and distinct RECURRENCE-IDs.
// An override without its master is legal (RFC 4791 section 4.1). Appends errors to
// `diagnostics`; returns the summary when no rule is broken.
[[nodiscard]] std::optional<ResourceSummary> summarise_resource(const Component& calendar,
                                                                std::string_view path,
                                                                std::vector<Diagnostic>& diagnostics);

} // namespace robur::icalendar
