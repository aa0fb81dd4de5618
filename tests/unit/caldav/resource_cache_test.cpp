#include <filesystem>
#include <map>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/icalendar/parser.hpp"
#include "servers/caldav/resource_cache.hpp"
#include "servers/caldav/xml.hpp"
#include "servers/caldav/uid_index.hpp"
#include "store/repository.hpp"

namespace robur::caldav {
namespace {

namespace fs = std::filesystem;

std::string calendar_text(std::string_view body, std::string_view timezone = {})
{
    return fmt::format("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//robur//test//EN\r\n{}{}"
                       "END:VCALENDAR\r\n",
                       timezone, body);
}

std::string event(std::string_view uid, std::string_view times)
{
    return fmt::format("BEGIN:VEVENT\r\nUID:{}\r\nDTSTAMP:20260101T000000Z\r\n{}"
                       "SUMMARY:Review\r\nEND:VEVENT\r\n",
                       uid, times);
}

const std::string berlin = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
                           "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
                           "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
                           "END:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\n"
                           "TZOFFSETTO:+0100\r\nDTSTART:19701025T030000\r\n"
                           "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
                           "END:VTIMEZONE\r\n";

// Resources of every shape the summary treats differently.
std::vector<std::pair<std::string, std::string>> sample_resources()
{
    return {
        {"utc", calendar_text(event("a", "DTSTART:20260610T090000Z\r\n"
                                         "DTEND:20260610T100000Z\r\n"))},
        {"instant", calendar_text(event("b", "DTSTART:20260601T000000Z\r\n"))},
        {"duration", calendar_text(event("c", "DTSTART:20260630T233000Z\r\nDURATION:PT1H\r\n"))},
        {"zoned", calendar_text(event("d", "DTSTART;TZID=Europe/Berlin:20260701T013000\r\n"
                                           "DTEND;TZID=Europe/Berlin:20260701T020000\r\n"),
                                berlin)},
        {"all-day", calendar_text(event("e", "DTSTART;VALUE=DATE:20260630\r\n"
                                             "DTEND;VALUE=DATE:20260701\r\n"))},
        {"floating", calendar_text(event("f", "DTSTART:20260601T010000\r\n"
                                              "DTEND:20260601T020000\r\n"))},
        {"weekly-count", calendar_text(event("g", "DTSTART:20260401T090000Z\r\n"
                                                  "DTEND:20260401T100000Z\r\n"
                                                  "RRULE:FREQ=WEEKLY;COUNT=5\r\n"))},
        {"weekly-open", calendar_text(event("h", "DTSTART:20250101T090000Z\r\n"
                                                 "DTEND:20250101T100000Z\r\n"
                                                 "RRULE:FREQ=WEEKLY\r\n"))},
        {"excluded", calendar_text(event("i", "DTSTART:20260610T090000Z\r\n"
                                              "EXDATE:20260610T090000Z\r\n"))},
        {"todo", calendar_text("BEGIN:VTODO\r\nUID:j\r\nDTSTAMP:20260101T000000Z\r\n"
                               "DUE:20260615T000000Z\r\nEND:VTODO\r\n")},
        // Across the change to summer time on 2026-03-29: 09:00 local is 08:00 UTC then 07:00.
        {"weekly-zoned", calendar_text(event("k", "DTSTART;TZID=Europe/Berlin:20260304T090000\r\n"
                                                  "DTEND;TZID=Europe/Berlin:20260304T100000\r\n"
                                                  "RRULE:FREQ=WEEKLY;COUNT=20\r\n"),
                                       berlin)},
        // 2026-05-06 to 2026-07-08 weekly; 05-20 excluded; 06-10 moved to 07-15.
        {"weekly-override",
         calendar_text(event("l", "DTSTART:20260506T090000Z\r\nDTEND:20260506T100000Z\r\n"
                                  "RRULE:FREQ=WEEKLY;COUNT=10\r\nEXDATE:20260520T090000Z\r\n") +
                       event("l", "RECURRENCE-ID:20260610T090000Z\r\n"
                                  "DTSTART:20260715T090000Z\r\nDTEND:20260715T100000Z\r\n"))},
        // Unbounded: listed for its first 1,000 days, to 2027-09-27.
        {"daily-open", calendar_text(event("m", "DTSTART:20250101T080000Z\r\n"
                                                "DTEND:20250101T083000Z\r\n"
                                                "RRULE:FREQ=DAILY\r\n"))},
        // Unbounded and old: its listed instances end in 2019.
        {"weekly-old", calendar_text(event("n", "DTSTART;TZID=Europe/Berlin:20000105T090000\r\n"
                                                "DTEND;TZID=Europe/Berlin:20000105T100000\r\n"
                                                "RRULE:FREQ=WEEKLY\r\n"),
                                     berlin)},
        // A floating EXDATE keeps a series out of the listing.
        {"floating-exdate", calendar_text(event("o", "DTSTART:20260601T090000Z\r\n"
                                                     "RRULE:FREQ=DAILY;COUNT=3\r\n"
                                                     "EXDATE:20260602T090000\r\n"))},
    };
}

CompFilter calendar_filter(std::vector<CompFilter> children)
{
    return CompFilter{"VCALENDAR", false, std::nullopt, {}, std::move(children)};
}

CompFilter child_filter(std::string name, std::optional<TimeRange> range)
{
    return CompFilter{std::move(name), false, range, {}, {}};
}

// 2026-06-01T00:00:00Z and 2026-07-01T00:00:00Z.
constexpr std::int64_t june = 1780272000;
constexpr std::int64_t july = 1782864000;
// 2027-06-01T00:00:00Z and 2040-01-01T00:00:00Z.
constexpr std::int64_t june_2027 = june + 365 * 86400;
constexpr std::int64_t year_2040 = 2208988800;

std::vector<CompFilter> sample_filters()
{
    std::vector<CompFilter> filters;
    for (const auto& range : {TimeRange{june, july}, TimeRange{june, std::nullopt},
                              TimeRange{std::nullopt, june}, TimeRange{july, july + 3600},
                              TimeRange{june - 3600, june}, TimeRange{june - 1800, june + 1},
                              TimeRange{june_2027, june_2027 + 30 * 86400},
                              TimeRange{year_2040, year_2040 + 86400},
                              // 2026-03-25 08:00 to 08:30 UTC: the zoned series before summer
                              // time; 2026-06-10 09:00 to 10:00 UTC: the moved instance.
                              TimeRange{1774425600, 1774427400},
                              TimeRange{1781082000, 1781085600}}) {
        filters.push_back(calendar_filter({child_filter("VEVENT", range)}));
        filters.push_back(calendar_filter({child_filter("VTODO", range)}));
    }
    filters.push_back(calendar_filter({}));
    filters.push_back(calendar_filter({child_filter("VEVENT", std::nullopt)}));
    filters.push_back(calendar_filter({child_filter("VTIMEZONE", std::nullopt)}));
    filters.push_back(
        calendar_filter({CompFilter{"VTODO", true, std::nullopt, {}, {}}}));
    CompFilter summary = child_filter("VEVENT", TimeRange{june, july});
    summary.prop_filters.push_back({"SUMMARY", false, std::nullopt,
                                    TextMatch{"review", false, false}, {}});
    filters.push_back(calendar_filter({summary}));
    return filters;
}

icalendar::Component parse(const std::string& text)
{
    auto parsed = icalendar::parse_calendar_text(text, "test.ics", icalendar::Limits{});
    EXPECT_EQ(parsed.calendars.size(), 1U);
    return parsed.calendars.empty() ? icalendar::Component{} : parsed.calendars.front();
}

TEST(ResourceCache, DecidesAsMatchesFilter)
{
    const auto filters = sample_filters();
    for (const auto& [name, text] : sample_resources()) {
        const auto calendar = parse(text);
        const auto summary = summarise_calendar(calendar);
        for (std::size_t i = 0; i < filters.size(); ++i) {
            const auto decided = decide_filter(filters[i], summary);
            if (decided) {
                EXPECT_EQ(*decided, matches_filter(filters[i], calendar))
                    << "resource " << name << ", filter " << i;
            }
        }
    }
}

TEST(ResourceCache, DecidesSingleFixedEvents)
{
    const auto filter = calendar_filter({child_filter("VEVENT", TimeRange{june, july})});
    for (const auto& [name, text] : sample_resources()) {
        if (name == "utc" || name == "instant" || name == "duration" || name == "zoned") {
            const auto summary = summarise_calendar(parse(text));
            EXPECT_TRUE(summary.instance) << name;
            EXPECT_TRUE(decide_filter(filter, summary)) << name;
            EXPECT_FALSE(summary.calendar) << name;
        }
    }
}

TEST(ResourceCache, DecidesListedSeries)
{
    std::map<std::string, CalendarSummary> summaries;
    for (const auto& [name, text] : sample_resources()) {
        summaries.emplace(name, summarise_calendar(parse(text)));
    }
    const auto in = [](std::int64_t start, std::int64_t end) {
        return calendar_filter({child_filter("VEVENT", TimeRange{start, end})});
    };

    const auto& zoned = summaries.at("weekly-zoned");
    ASSERT_EQ(zoned.series.size(), 20U);
    EXPECT_FALSE(zoned.series_until);
    // 2026-03-04 09:00 CET is 08:00 UTC; 2026-04-01 09:00 CEST is 07:00 UTC.
    EXPECT_EQ(zoned.series.at(0).start, 1772611200);
    EXPECT_EQ(zoned.series.at(4).start, 1775026800);
    EXPECT_EQ(decide_filter(in(1775026800, 1775026801), zoned), true);
    EXPECT_EQ(decide_filter(in(1775030400, 1775031000), zoned), false);

    const auto& moved = summaries.at("weekly-override");
    EXPECT_EQ(moved.series.size(), 9U);
    EXPECT_EQ(decide_filter(in(1781082000, 1781085600), moved), false);           // 06-10
    EXPECT_EQ(decide_filter(in(1784106000, 1784109600), moved), true);            // 07-15
    EXPECT_EQ(decide_filter(in(1779267600, 1779271200), moved), false);           // 05-20

    const auto& daily = summaries.at("daily-open");
    EXPECT_EQ(daily.series.size(), 1000U);
    ASSERT_TRUE(daily.series_until);
    EXPECT_EQ(*daily.series_until, 1735718400 + 999 * 86400);
    EXPECT_EQ(decide_filter(in(june_2027, june_2027 + 86400), daily), true);
    EXPECT_FALSE(decide_filter(in(year_2040, year_2040 + 86400), daily));
    EXPECT_FALSE(decide_filter(calendar_filter({child_filter("VEVENT", TimeRange{june, std::nullopt})}),
                               daily));

    const auto& old = summaries.at("weekly-old");
    ASSERT_TRUE(old.series_until);
    EXPECT_LT(*old.series_until, june);
    EXPECT_FALSE(decide_filter(in(june, july), old));
    EXPECT_TRUE(summaries.at("floating-exdate").series.empty());
}

TEST(ResourceCache, ListsFrequentSeriesBriefly)
{
    // Expanding stops after 20,000 steps, and the first 1,000 seconds are listed.
    const auto summary = summarise_calendar(parse(calendar_text(
        event("p", "DTSTART:20260601T000000Z\r\nRRULE:FREQ=SECONDLY\r\n"))));
    ASSERT_EQ(summary.series.size(), 1000U);
    ASSERT_TRUE(summary.series_until);
    EXPECT_EQ(*summary.series_until, june + 999);
    const auto in = [](std::int64_t start, std::int64_t end) {
        return calendar_filter({child_filter("VEVENT", TimeRange{start, end})});
    };
    EXPECT_EQ(decide_filter(in(june + 10, june + 11), summary), true);
    EXPECT_FALSE(decide_filter(in(june + 2000, june + 2001), summary));
}

TEST(ResourceCache, KeepsRecurringEventsForFullEvaluation)
{
    const auto resources = sample_resources();
    const auto summary = summarise_calendar(parse(resources.at(6).second));
    EXPECT_FALSE(summary.instance);
    ASSERT_TRUE(summary.calendar);
    ASSERT_TRUE(summary.earliest_start);
    ASSERT_TRUE(summary.latest_end);
    // The fifth weekly instance of 2026-04-01 09:00-10:00 UTC ends 2026-04-29 10:00 UTC.
    EXPECT_EQ(*summary.latest_end, 1777456800);
    EXPECT_FALSE(may_overlap(summary, TimeRange{june, july}));

    // An unbounded series starts at its DTSTART, 2025-01-01 09:00 UTC.
    const auto open = summarise_calendar(parse(resources.at(7).second));
    EXPECT_EQ(open.earliest_start, 1735722000);
    EXPECT_FALSE(open.latest_end);
    EXPECT_TRUE(may_overlap(open, TimeRange{june, july}));
    EXPECT_FALSE(may_overlap(open, TimeRange{std::nullopt, 1735722000 - 3 * 86400}));
}

// A bare repository with calendar files committed by the test.
class ResourceCacheRepository : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::random_device random;
        folder_ = fs::temp_directory_path() / fmt::format("robur-resource-cache-{}", random());
        auto repository = store::Repository::init(folder_, true);
        ASSERT_TRUE(repository) << repository.error().message;
        repository_.emplace(std::move(*repository));
    }

    void TearDown() override
    {
        repository_.reset();
        std::error_code error;
        fs::remove_all(folder_, error);
    }

    store::Snapshot commit(const std::vector<std::pair<std::string, std::string>>& files)
    {
        std::vector<store::FileChange> changes;
        for (const auto& [path, text] : files) {
            changes.push_back({path, text, store::mode_file});
        }
        auto head = repository_->branch_head("main");
        EXPECT_TRUE(head);
        store::CommitRequest request{.branch = "main",
                                     .expected_head = head ? *head : std::nullopt,
                                     .changes = changes,
                                     .author = {"Test", "test@example.com", 0, 0},
                                     .committer = std::nullopt,
                                     .message = "Add files"};
        EXPECT_TRUE(repository_->commit(request));
        auto snapshot = repository_->snapshot("main");
        EXPECT_TRUE(snapshot);
        return *snapshot;
    }

    fs::path folder_;
    std::optional<store::Repository> repository_;
};

TEST_F(ResourceCacheRepository, ReadsEachBlobOnce)
{
    const auto text = sample_resources().front().second;
    const auto snapshot = commit({{"calendars/alice/work/a.ics", text}});
    const auto blob = snapshot.blob_id("calendars/alice/work/a.ics");
    ASSERT_TRUE(blob);

    ResourceCache cache;
    auto first = cache.facts(snapshot, "calendars/alice/work/a.ics", *blob, true);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ((*first)->size, text.size());
    EXPECT_EQ((*first)->uid, "a");
    ASSERT_TRUE((*first)->calendar);

    // A path that does not exist proves that the second call reads nothing.
    auto second = cache.facts(snapshot, "calendars/alice/work/missing.ics", *blob, true);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(first->get(), second->get());
    EXPECT_EQ(cache.entries(), 1U);
}

TEST_F(ResourceCacheRepository, EscapesEachBlobOnceAndKeepsItsFacts)
{
    const std::string text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
                             "BEGIN:VEVENT\r\nUID:x&y\r\nDTSTAMP:20250101T000000Z\r\n"
                             "DTSTART:20250101T090000Z\r\nSUMMARY:<b> & \"q\"\r\n"
                             "END:VEVENT\r\nEND:VCALENDAR\r\n";
    const std::string path = "calendars/alice/work/x.ics";
    const auto snapshot = commit({{path, text}});
    const auto blob = snapshot.blob_id(path);
    ASSERT_TRUE(blob);

    ResourceCache cache;
    auto facts = cache.facts(snapshot, path, *blob, true);
    ASSERT_TRUE(facts) << facts.error().message;
    auto escaped = cache.escaped_content(snapshot, path, *blob);
    ASSERT_TRUE(escaped) << escaped.error().message;
    EXPECT_EQ(**escaped, escape_xml(text));
    EXPECT_NE((*escaped)->find("SUMMARY:&lt;b&gt; &amp; "), std::string::npos);

    // The summary survives, and a missing path proves the second call reads nothing.
    auto again = cache.escaped_content(snapshot, "calendars/alice/work/missing.ics", *blob);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(escaped->get(), again->get());
    auto refetched = cache.facts(snapshot, "calendars/alice/work/missing.ics", *blob, true);
    ASSERT_TRUE(refetched) << refetched.error().message;
    EXPECT_TRUE((*refetched)->summarised);
    EXPECT_TRUE((*refetched)->calendar);
    EXPECT_EQ((*refetched)->uid, "x&y");
    EXPECT_EQ(cache.entries(), 1U);
}

TEST_F(ResourceCacheRepository, StaysWithinItsBound)
{
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& [name, text] : sample_resources()) {
        files.emplace_back(fmt::format("calendars/alice/work/{}.ics", name), text);
    }
    const auto snapshot = commit(files);

    ResourceCache cache(1);
    for (const auto& [path, text] : files) {
        auto facts = cache.facts(snapshot, path, *snapshot.blob_id(path), true);
        ASSERT_TRUE(facts) << path;
        EXPECT_EQ((*facts)->size, text.size()) << path;
    }
    EXPECT_LE(cache.entries(), 1U);
}

TEST_F(ResourceCacheRepository, MatchesPropertyFilterOnFixedEvent)
{
    const auto snapshot = commit({{"calendars/alice/work/a.ics", sample_resources().front().second}});
    const auto blob = snapshot.blob_id("calendars/alice/work/a.ics");
    ASSERT_TRUE(blob);
    CompFilter summary = child_filter("VEVENT", std::nullopt);
    summary.prop_filters.push_back({"SUMMARY", false, std::nullopt,
                                    TextMatch{"review", false, false}, {}});
    CompFilter other = summary;
    other.prop_filters.front().text_match->text = "lunch";

    ResourceCache cache;
    auto matched = cache.matches(snapshot, "calendars/alice/work/a.ics", *blob,
                                 calendar_filter({summary}));
    ASSERT_TRUE(matched);
    EXPECT_TRUE(*matched);
    auto unmatched = cache.matches(snapshot, "calendars/alice/work/a.ics", *blob,
                                   calendar_filter({other}));
    ASSERT_TRUE(unmatched);
    EXPECT_FALSE(*unmatched);
}

TEST_F(ResourceCacheRepository, UidIndexFollowsChangedFolder)
{
    const auto resources = sample_resources();
    auto snapshot = commit({{"calendars/alice/work/a.ics", resources.at(0).second}});
    ResourceCache cache;
    UidIndex index(cache);
    auto tree = [&](const store::Snapshot& current) {
        auto entries = current.list("calendars/alice");
        if (!entries || entries->size() != 1) {
            ADD_FAILURE() << "calendars/alice should list exactly one folder";
            return store::ObjectId{};
        }
        return entries->front().id;
    };

    auto found = index.find(snapshot, "calendars/alice/work", tree(snapshot), "a");
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, "a.ics");

    snapshot = commit({{"calendars/alice/work/b.ics", resources.at(1).second}});
    found = index.find(snapshot, "calendars/alice/work", tree(snapshot), "b");
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, "b.ics");
    found = index.find(snapshot, "calendars/alice/work", tree(snapshot), "z");
    ASSERT_TRUE(found);
    EXPECT_FALSE(*found);
    EXPECT_EQ(cache.entries(), 2U);
}

} // namespace
} // namespace robur::caldav
