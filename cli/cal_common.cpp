#include "cli/cal_common.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>


namespace robur::cli {

Result<CalendarName> parse_calendar_name(std::string_view text)
{
    return parse_collection_name(text, "calendars", "calendar", "alice/work");
}

Result<std::optional<StoredCalendar>> read_calendar(const store::Snapshot& snapshot,
                                                    const std::string& folder)
{
    if (!snapshot.exists(folder)) {
        return std::optional<StoredCalendar>();
    }
    StoredCalendar calendar;
    const std::string collection_path = folder + "/.collection";
    if (snapshot.exists(collection_path)) {
        auto text = snapshot.read(collection_path);
        if (!text) {
            return tl::unexpected(text.error());
        }
        auto properties = icalendar::parse_collection_file(*text, collection_path);
        if (!properties) {
            return tl::unexpected(properties.error());
        }
        if (properties->type != "calendar") {
            return make_error(Errc::validation_failed,
                              fmt::format("{} is a collection of type {}, not a calendar", folder,
                                          properties->type));
        }
        calendar.properties = std::move(*properties);
    }

    auto entries = snapshot.list(folder);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    for (const auto& entry : *entries) {
        if (entry.is_folder() || !entry.path.ends_with(".ics")) {
            continue;
        }
        auto content = snapshot.read(entry.path);
        if (!content) {
            return tl::unexpected(content.error());
        }
        calendar.resources.push_back({entry.path, std::move(*content)});
    }
    return std::optional<StoredCalendar>(std::move(calendar));
}

void print_cal_diagnostics(const std::vector<Diagnostic>& diagnostics)
{
    for (const auto& diagnostic : diagnostics) {
        fmt::print(stderr, "{}\n", diagnostic.to_string());
    }
}

nlohmann::json diagnostic_json(const Diagnostic& diagnostic)
{
    return {{"path", diagnostic.where.path},
            {"line", diagnostic.where.line},
            {"column", diagnostic.where.column},
            {"severity", to_string(diagnostic.severity)},
            {"message", diagnostic.message}};
}

int cal_usage_error(std::string_view subcommand, std::string_view message)
{
    fmt::print(stderr, "robur cal {}: {}\n", subcommand, message);
    return exit_usage;
}

Result<void> write_output_file(const std::string& path, std::string_view text)
{
    if (path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return {};
    }
    const auto temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            return make_error(Errc::io_error, fmt::format("cannot write {}", temporary));
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        return make_error(Errc::io_error,
                          fmt::format("cannot rename {} to {}: {}", temporary, path, error.message()));
    }
    return {};
}

} // namespace robur::cli
