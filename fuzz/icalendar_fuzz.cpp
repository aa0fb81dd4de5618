// Feeds arbitrary bytes to the iCalendar checks a CalDAV PUT and an import run, to the jCal
// reader, and expands what they accept, since calendar data comes from any client. Repaired
// text that fails the check again, or needs another repair, aborts.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "formats/icalendar/check.hpp"
#include "formats/icalendar/jcal.hpp"
#include "formats/icalendar/occurrences.hpp"
#include "formats/icalendar/parser.hpp"
#include "formats/icalendar/split.hpp"

namespace {

// Small limits keep each run fast; the checks are the same as with the defaults.
robur::icalendar::Limits fuzz_limits()
{
    robur::icalendar::Limits limits;
    limits.max_resource_size = 64 * 1024;
    limits.max_components = 200;
    return limits;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace ical = robur::icalendar;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto limits = fuzz_limits();

    // The repaired text of a resource must pass the check as it is.
    const auto put = ical::check_resource(text, "fuzz.ics", limits);
    if (put.repaired && put.repaired->size() <= limits.max_resource_size) {
        const auto again = ical::check_resource(*put.repaired, "fuzz.ics", limits);
        if (!again.resource || again.repaired) {
            std::abort();
        }
    }
    auto split = ical::split_calendar(text, "fuzz.ics", limits);

    ical::ExpansionOptions options;
    options.max_instances = 100;
    options.max_iterations = 2000;
    for (const auto& resource : split.resources) {
        static_cast<void>(ical::occurrences(resource.calendar, 0, 4102444800, options));
        static_cast<void>(ical::write_jcal({resource.calendar}));
    }
    static_cast<void>(ical::parse_jcal(text, "fuzz.json"));
    return 0;
}
