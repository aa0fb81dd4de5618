#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/snapshot.hpp"

namespace robur::store {

// One "name = value" line of a configuration file. The name is "section.key" or
// "section.subsection.key" with section and key in lowercase and the subsection as written
// (`[zone "example.com"] notify = yes` gives "zone.example.com.notify").
struct ConfigEntry {
    std::string name;
    std::optional<std::string> value; // nullopt for a key written without '=' (boolean true)
};

// The contents of robur.conf: Git's config syntax, parsed by libgit2, with every entry kept in
// file order. Getters take names in any letter case for the section and the key. They return
// nullopt when the key is absent, and the last value when a key is given several times, as
// git does. Value errors are Errc::invalid_argument naming the file and the key.
class Config {
public:
    // Parses configuration text; `path` is the name used in messages. Includes
    // ([include] and [includeIf]) are rejected, because a committed file must not read files
    // outside the repository. Errors: parse_error with path:line.
    [[nodiscard]] static Result<Config> parse(std::string_view text, std::string path);

    // Reads and parses a file. Errors: not_found, io_error, parse_error.
    [[nodiscard]] static Result<Config> load(const std::filesystem::path& file);

    // Reads and parses a file of a snapshot (by default the repository's robur.conf).
    // Errors: not_found when the snapshot has no such file, parse_error.
    [[nodiscard]] static Result<Config> load(const Snapshot& snapshot,
                                             std::string_view path = "robur.conf");

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] const std::vector<ConfigEntry>& entries() const { return entries_; }

    [[nodiscard]] bool contains(std::string_view name) const;

    // Errors: invalid_argument for a key written without a value.
    [[nodiscard]] Result<std::optional<std::string>> get_string(std::string_view name) const;

    // Accepts git's integers: decimal with an optional k, m or g suffix (powers of 1024).
    [[nodiscard]] Result<std::optional<std::int64_t>> get_int(std::string_view name) const;

    // Accepts git's booleans: true/yes/on/1 and false/no/off/0, and a key without a value.
    [[nodiscard]] Result<std::optional<bool>> get_bool(std::string_view name) const;

    // Returns every value of a multi-valued key in file order (empty when absent).
    // Errors: invalid_argument for a key written without a value.
    [[nodiscard]] Result<std::vector<std::string>> get_all(std::string_view name) const;

    // Returns the distinct subsections of `section` in file order: subsections("zone") gives
    // {"example.com", "example.org"} for [zone "example.com"] and [zone "example.org"].
    [[nodiscard]] std::vector<std::string> subsections(std::string_view section) const;

private:
    Config(std::string path, std::vector<ConfigEntry> entries);

    [[nodiscard]] const ConfigEntry* find_last(std::string_view name) const;

    std::string path_;
    std::vector<ConfigEntry> entries_;
};

// Puts a config name in the form entries use: section and key lowercased, subsection kept.
[[nodiscard]] std::string normalise_config_name(std::string_view name);

} // namespace robur::store
