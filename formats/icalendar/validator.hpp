#pragma once

// Internal to formats_icalendar: the state the validation rules share.

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/diagnostic.hpp"
#include "formats/icalendar/component.hpp"
#include "formats/icalendar/validate.hpp"
#include "formats/icalendar/values.hpp"

namespace robur::icalendar::detail {

class Validator {
public:
    Validator(std::string_view path, Origin origin, std::vector<Diagnostic>& diagnostics)
        : path_(path), origin_(origin), diagnostics_(diagnostics)
    {
    }

    void calendar(Component& calendar);
    [[nodiscard]] bool repaired() const { return repaired_; }

    // Rules on the calendar's components (validate.cpp).
    void schedulable(Component& component, const std::string& summary_of_parent);
    void timezone(Component& component);
    void alarm(Component& alarm, const Component& parent);

    // Rules on date-time values and recurrence (validate_times.cpp).
    void times(Component& component);
    void date_time_values(Component& component);
    void recurrence_rules(Component& component);
    void recurrence_rule(Property& rule, const Component& component);
    void until_matches_start(Property& rule, const std::string& until, const Component& component);
    void utc_date_time(Property& property);
    void end_matches_start(Property& end, const Property& start);
    void date_list(const Property& list, const std::optional<DateTime>& start);

    void error(std::uint32_t line, std::string message)
    {
        diagnostics_.push_back(
            Diagnostic{Severity::error, SourceLocation{std::string(path_), line, 0}, std::move(message)});
    }
    void repair(std::uint32_t line, std::string message)
    {
        diagnostics_.push_back(
            Diagnostic{Severity::warning, SourceLocation{std::string(path_), line, 0}, std::move(message)});
        repaired_ = true;
    }
    void warn(std::uint32_t line, std::string message)
    {
        diagnostics_.push_back(
            Diagnostic{Severity::warning, SourceLocation{std::string(path_), line, 0}, std::move(message)});
    }

    // Reports a missing property and properties given more than once; returns the property when
    // it is present exactly once.
    const Property* require_once(const Component& component, std::string_view name);
    void at_most_once(const Component& component, std::string_view name);

private:
    std::string_view path_;
    Origin origin_;
    std::vector<Diagnostic>& diagnostics_;
    std::vector<std::string> embedded_tzids_;
    bool repaired_ = false;

    void check_tzid(const Property& property);
    void uid(Component& component);
    void dtstamp(Component& component);
};

// Parses the value of a DATE or DATE-TIME property, honouring VALUE=DATE; nullopt when invalid.
std::optional<DateTime> property_date_time(const Property& property);

} // namespace robur::icalendar::detail
