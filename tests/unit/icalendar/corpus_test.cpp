#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "formats/icalendar/check.hpp"
#include "formats/icalendar/parser.hpp"
#include "formats/icalendar/split.hpp"

namespace robur::icalendar {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string describe(const std::vector<Diagnostic>& diagnostics)
{
    std::string text;
    for (const auto& diagnostic : diagnostics) {
        text += diagnostic.to_string() + "\n";
    }
    return text;
}

fs::path corpus_folder(const std::string& name)
{
    return fs::path(ROBUR_CORPUS_DIR) / "cal" / name;
}

std::vector<fs::path> corpus_files(const std::string& folder)
{
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(corpus_folder(folder))) {
        if (entry.path().extension() == ".ics") {
            files.push_back(entry.path());
        }
    }
    std::ranges::sort(files);
    return files;
}

#define ROBUR_SKIP_WITHOUT_CORPUS()                                                                \
    if (!fs::exists(corpus_folder("ok"))) {                                                        \
        GTEST_SKIP() << "corpus not found at " << corpus_folder("");                              \
    }

TEST(CalendarCorpus, OkFilesImportAndRoundTrip)
{
    ROBUR_SKIP_WITHOUT_CORPUS();
    for (const auto& file : corpus_files("ok")) {
        SCOPED_TRACE(file.string());
        auto split = split_calendar(read_file(file), file.string(), Limits{});
        ASSERT_FALSE(has_errors(split.diagnostics)) << describe(split.diagnostics);
        ASSERT_FALSE(split.resources.empty());

        std::vector<NamedCalendar> stored;
        std::vector<Component> imported;
        for (const auto& resource : split.resources) {
            auto text = write_component(resource.calendar);
            auto checked = check_resource(text, resource.name, Limits{});
            EXPECT_TRUE(checked.resource.has_value()) << describe(checked.diagnostics);
            EXPECT_FALSE(checked.repaired.has_value()) << describe(checked.diagnostics);
            stored.push_back(NamedCalendar{resource.name, resource.calendar});
            imported.push_back(resource.calendar);
        }
        std::vector<Diagnostic> warnings;
        auto exported = write_component(merge_calendars(stored, "x", warnings));
        auto again = split_calendar(exported, "export.ics", Limits{});
        ASSERT_FALSE(has_errors(again.diagnostics)) << describe(again.diagnostics);
        std::vector<Component> reimported;
        for (const auto& resource : again.resources) {
            reimported.push_back(resource.calendar);
        }
        EXPECT_EQ(compare_calendars(imported, reimported), std::vector<std::string>{});
    }
}

// How a file of the corpus's bad/ folder must come out, on import and on a CalDAV PUT: rejected
// with the line of the error, or repaired with a warning (the decisions docs/calendars.md lists).
struct Outcome {
    bool repaired;
    std::uint32_t line;
    std::string message_part;
};

struct BadCase {
    std::string file;
    Outcome import;
    Outcome put;
};

void expect_outcome(const std::vector<Diagnostic>& diagnostics, bool stored, const Outcome& expected)
{
    auto all = describe(diagnostics);
    EXPECT_EQ(has_errors(diagnostics), !expected.repaired) << all;
    EXPECT_EQ(stored, expected.repaired) << all;
    auto found = std::ranges::find_if(diagnostics, [&](const Diagnostic& d) {
        return d.message.find(expected.message_part) != std::string::npos;
    });
    ASSERT_NE(found, diagnostics.end()) << "expected '" << expected.message_part << "' in\n" << all;
    EXPECT_EQ(found->where.line, expected.line) << all;
    EXPECT_EQ(found->severity, expected.repaired ? Severity::warning : Severity::error);
    for (const auto& diagnostic : diagnostics) {
        EXPECT_GT(diagnostic.where.line, 0U) << diagnostic.to_string();
    }
}

TEST(CalendarCorpus, BadFilesRejectedOrRepaired)
{
    ROBUR_SKIP_WITHOUT_CORPUS();
    std::vector<BadCase> cases{
        {"all-components-multi-uid.ics", {true, 42, "VAVAILABILITY is missing DTSTAMP"},
         {false, 33, "holds one component type"}},
        {"attach-base64-no-dtstamp-dtstart.ics", {false, 4, "missing the required property DTSTART"},
         {false, 4, "missing the required property DTSTART"}},
        {"bom-no-version.ics", {false, 1, "missing the required property VERSION"},
         {false, 1, "missing the required property VERSION"}},
        {"duplicate-uid-no-recurrence-id.ics", {false, 18, "second VEVENT with UID 'def'"},
         {false, 12, "holds one UID"}},
        {"exchange-cdo-byday-with-spaces.ics", {true, 25, "RRULE contains blanks"},
         {false, 2, "METHOD:REQUEST is not allowed"}},
        {"floating-dtstart-tzid-dtend.ics", {true, 11, "DTEND is zoned but DTSTART"},
         {true, 11, "DTEND is zoned but DTSTART"}},
        {"invalid-tzoffset.ics", {false, 9, "invalid TZOFFSETFROM '+5328'"},
         {false, 9, "invalid TZOFFSETFROM '+5328'"}},
        {"missing-end-vevent.ics", {false, 4, "missing END:VEVENT"},
         {false, 4, "missing END:VEVENT"}},
        {"recurrence-id-without-master-no-prodid.ics", {true, 1, "missing PRODID"},
         {true, 1, "missing PRODID"}},
        {"vevent-without-uid.ics", {true, 4, "VEVENT is missing UID"},
         {false, 4, "missing the required property UID"}},
        {"vjournal-blank-lines-floating-dtstamp.ics", {true, 25, "DTSTAMP is not in UTC"},
         {true, 25, "DTSTAMP is not in UTC"}},
    };
    std::map<std::string, bool> covered;
    for (const auto& test : cases) {
        SCOPED_TRACE(test.file);
        auto bytes = read_file(corpus_folder("bad") / test.file);
        auto split = split_calendar(bytes, test.file, Limits{});
        expect_outcome(split.diagnostics, !split.resources.empty(), test.import);
        auto checked = check_resource(bytes, test.file, Limits{});
        expect_outcome(checked.diagnostics, checked.resource.has_value(), test.put);
        EXPECT_EQ(checked.repaired.has_value(), test.put.repaired);
        covered[test.file] = true;
    }
    for (const auto& file : corpus_files("bad")) {
        EXPECT_TRUE(covered.contains(file.filename().string())) << "no expectation for " << file;
    }
}

} // namespace
} // namespace robur::icalendar
