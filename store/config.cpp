#include "store/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "store/libgit2.hpp"

namespace robur::store {

namespace {

namespace fs = std::filesystem;

std::string lowercase(std::string_view text)
{
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

bool is_include_name(std::string_view name)
{
    return name == "include.path" || name.starts_with("includeif.");
}

// Finds an [include] or [includeIf "..."] section header before libgit2 parses the text,
// because libgit2 reads included files while it parses.
std::optional<std::uint32_t> find_include_section(std::string_view text)
{
    std::istringstream lines{std::string(text)};
    std::string line;
    std::uint32_t number = 0;
    while (std::getline(lines, line)) {
        ++number;
        std::size_t at = line.find_first_not_of(" \t");
        if (at == std::string::npos || line[at] != '[') {
            continue;
        }
        at = line.find_first_not_of(" \t", at + 1);
        if (at == std::string::npos) {
            continue;
        }
        const std::size_t end = line.find_first_of(" \t\".]", at);
        const std::string section = lowercase(line.substr(at, end - at));
        if (section == "include" || section == "includeif") {
            return number;
        }
    }
    return std::nullopt;
}

// A private temporary file (mode 0600 from mkstemp), removed when this goes out of scope.
class TemporaryFile {
public:
    TemporaryFile() = default;
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    ~TemporaryFile()
    {
        if (!path_.empty()) {
            ::unlink(path_.c_str());
        }
    }

    Result<void> create(std::string_view content)
    {
        std::string name = (fs::temp_directory_path() / "robur-config-XXXXXX").string();
        const int fd = ::mkstemp(name.data());
        if (fd < 0) {
            return make_error(Errc::io_error, fmt::format("cannot create a temporary file: {}",
                                                          std::strerror(errno)));
        }
        path_ = name;

        std::size_t written = 0;
        while (written < content.size()) {
            const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                ::close(fd);
                return make_error(Errc::io_error, fmt::format("cannot write '{}': {}", path_,
                                                              std::strerror(errno)));
            }
            written += static_cast<std::size_t>(n);
        }
        if (::close(fd) != 0) {
            return make_error(Errc::io_error,
                              fmt::format("cannot write '{}': {}", path_, std::strerror(errno)));
        }
        return {};
    }

    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Turns libgit2's "failed to parse config file: REASON (in TEMP:LINE, column N)" into
// "PATH:LINE: REASON".
Error parse_failure(const std::string& temporary, const std::string& path)
{
    const git_error* last = git_error_last();
    std::string reason = last != nullptr && last->message != nullptr ? last->message : "";
    SourceLocation where{path, 0, 0};

    const std::string prefix = "failed to parse config file: ";
    if (reason.starts_with(prefix)) {
        reason.erase(0, prefix.size());
    }
    const std::string marker = fmt::format(" (in {}:", temporary);
    if (const std::size_t at = reason.find(marker); at != std::string::npos) {
        where.line = static_cast<std::uint32_t>(
            std::strtoul(reason.c_str() + at + marker.size(), nullptr, 10));
        reason.erase(at);
    }
    if (reason.empty()) {
        reason = "invalid configuration syntax";
    }
    return Error{Errc::parse_error, reason, where};
}

Result<std::vector<ConfigEntry>> read_entries(git_config* config, const std::string& path)
{
    git_config_iterator* raw = nullptr;
    if (git_config_iterator_new(&raw, config) != 0) {
        return git_failure(fmt::format("cannot read '{}'", path));
    }
    const std::unique_ptr<git_config_iterator, GitDeleter<git_config_iterator,
                                                          git_config_iterator_free>>
        iterator(raw);

    std::vector<ConfigEntry> entries;
    git_config_entry* entry = nullptr;
    while (git_config_next(&entry, iterator.get()) == 0) {
        ConfigEntry copy{entry->name, std::nullopt};
        if (entry->value != nullptr) {
            copy.value = entry->value;
        }
        entries.push_back(std::move(copy));
    }
    return entries;
}

// TODO: libgit2 1.5 keeps no line numbers for entries, so value errors name the file and the
// key but no line.
Error value_error(const std::string& path, std::string_view name, std::string message)
{
    return Error{Errc::invalid_argument, fmt::format("{}: {}", name, message),
                 SourceLocation{path, 0, 0}};
}

} // namespace

std::string normalise_config_name(std::string_view name)
{
    const std::size_t first = name.find('.');
    const std::size_t last = name.rfind('.');
    if (first == std::string_view::npos || first == last) {
        return lowercase(name);
    }
    return lowercase(name.substr(0, first)) + std::string(name.substr(first, last - first)) +
           lowercase(name.substr(last));
}

Config::Config(std::string path, std::vector<ConfigEntry> entries)
    : path_(std::move(path)), entries_(std::move(entries))
{
}

Result<Config> Config::parse(std::string_view text, std::string path)
{
    if (auto line = find_include_section(text)) {
        return make_error(Errc::parse_error, "include sections are not supported",
                          SourceLocation{path, *line, 0});
    }

    TemporaryFile file;
    if (auto created = file.create(text); !created) {
        return tl::unexpected<Error>(created.error());
    }

    ensure_libgit2_initialised();
    git_config* raw = nullptr;
    if (git_config_open_ondisk(&raw, file.path().c_str()) != 0) {
        return tl::unexpected<Error>(parse_failure(file.path(), path));
    }
    const ConfigPtr config(raw);

    auto entries = read_entries(config.get(), path);
    if (!entries) {
        return tl::unexpected<Error>(entries.error());
    }
    for (const auto& entry : *entries) {
        if (is_include_name(entry.name)) {
            return make_error(Errc::parse_error, "include sections are not supported",
                              SourceLocation{path, 0, 0});
        }
    }
    return Config(std::move(path), std::move(*entries));
}

Result<Config> Config::load(const fs::path& file)
{
    std::ifstream stream(file, std::ios::binary);
    if (!stream) {
        std::error_code error;
        if (!fs::exists(file, error)) {
            return make_error(Errc::not_found, fmt::format("'{}' not found", file.string()));
        }
        return make_error(Errc::io_error, fmt::format("cannot read '{}'", file.string()));
    }
    std::ostringstream content;
    content << stream.rdbuf();
    if (stream.bad()) {
        return make_error(Errc::io_error, fmt::format("cannot read '{}'", file.string()));
    }
    return parse(content.str(), file.string());
}

Result<Config> Config::load(const Snapshot& snapshot, std::string_view path)
{
    auto text = snapshot.read(path);
    if (!text) {
        return tl::unexpected<Error>(text.error());
    }
    return parse(*text, std::string(path));
}

const ConfigEntry* Config::find_last(std::string_view name) const
{
    const std::string normalised = normalise_config_name(name);
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
        if (it->name == normalised) {
            return &*it;
        }
    }
    return nullptr;
}

bool Config::contains(std::string_view name) const
{
    return find_last(name) != nullptr;
}

Result<std::optional<std::string>> Config::get_string(std::string_view name) const
{
    const ConfigEntry* entry = find_last(name);
    if (entry == nullptr) {
        return std::optional<std::string>();
    }
    if (!entry->value) {
        return tl::unexpected<Error>(value_error(path_, entry->name, "missing value"));
    }
    return entry->value;
}

Result<std::optional<std::int64_t>> Config::get_int(std::string_view name) const
{
    auto text = get_string(name);
    if (!text || !*text) {
        return text.map([](const auto&) { return std::optional<std::int64_t>(); });
    }
    std::int64_t value = 0;
    if (git_config_parse_int64(&value, (*text)->c_str()) != 0) {
        return tl::unexpected<Error>(value_error(
            path_, normalise_config_name(name), fmt::format("invalid integer '{}'", **text)));
    }
    return std::optional<std::int64_t>(value);
}

Result<std::optional<bool>> Config::get_bool(std::string_view name) const
{
    const ConfigEntry* entry = find_last(name);
    if (entry == nullptr) {
        return std::optional<bool>();
    }
    if (!entry->value) {
        return std::optional<bool>(true);
    }
    int value = 0;
    if (git_config_parse_bool(&value, entry->value->c_str()) != 0) {
        return tl::unexpected<Error>(value_error(
            path_, entry->name, fmt::format("invalid boolean '{}'", *entry->value)));
    }
    return std::optional<bool>(value != 0);
}

Result<std::vector<std::string>> Config::get_all(std::string_view name) const
{
    const std::string normalised = normalise_config_name(name);
    std::vector<std::string> values;
    for (const auto& entry : entries_) {
        if (entry.name != normalised) {
            continue;
        }
        if (!entry.value) {
            return tl::unexpected<Error>(value_error(path_, entry.name, "missing value"));
        }
        values.push_back(*entry.value);
    }
    return values;
}

std::vector<std::string> Config::subsections(std::string_view section) const
{
    const std::string prefix = lowercase(section) + '.';
    std::vector<std::string> names;
    for (const auto& entry : entries_) {
        if (!entry.name.starts_with(prefix)) {
            continue;
        }
        const std::size_t last = entry.name.rfind('.');
        if (last < prefix.size()) {
            continue;
        }
        std::string name = entry.name.substr(prefix.size(), last - prefix.size());
        if (std::find(names.begin(), names.end(), name) == names.end()) {
            names.push_back(std::move(name));
        }
    }
    return names;
}

} // namespace robur::store
