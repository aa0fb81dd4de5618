#pragma once

// Access to the shared corpus of real zone files for the corpus tests: its location, the
// origins listed in dns/origins.txt, and an $INCLUDE resolver confined to the corpus.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include "formats/zone/parser.hpp"

namespace robur::zone::corpus {

namespace fs = std::filesystem;

inline fs::path dns_folder()
{
    return fs::path(ROBUR_CORPUS_DIR) / "dns";
}

inline bool present()
{
    return fs::is_regular_file(dns_folder() / "origins.txt");
}

inline std::string read_file(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Origins from dns/origins.txt, keyed by the path relative to dns/.
inline std::map<std::string, std::string> read_origins()
{
    std::map<std::string, std::string> origins;
    std::istringstream lines(read_file(dns_folder() / "origins.txt"));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line.front() == '#') {
            continue;
        }
        std::istringstream fields(line);
        std::string path;
        std::string origin;
        fields >> path >> origin;
        origins[path] = origin;
    }
    return origins;
}

// Resolves $INCLUDE relative to the including file's folder, as robur's loader does, and
// rejects paths that leave the corpus dns folder.
inline Result<IncludedFile> resolve_include(std::string_view including_path,
                                            std::string_view target)
{
    // The containment check follows symbolic links, while the returned path keeps the
    // spelling the caller used for the corpus folder.
    const fs::path resolved =
        (fs::path(including_path).parent_path() / fs::path(target)).lexically_normal();
    const auto relative =
        fs::weakly_canonical(resolved).lexically_relative(fs::weakly_canonical(dns_folder()));
    if (relative.empty() || *relative.begin() == "..") {
        return make_error(Errc::invalid_argument,
                          "path leaves the corpus folder: " + resolved.string());
    }
    if (!fs::is_regular_file(resolved)) {
        return make_error(Errc::not_found, "file " + resolved.string() + " not found");
    }
    return IncludedFile{resolved.string(), read_file(resolved)};
}

// Parses one corpus file, given relative to dns/, with the origin it is listed with.
inline ParseResult parse_file(const std::string& relative_path, const std::string& origin)
{
    ParseOptions options;
    options.origin = Name::parse(origin).value();
    options.include = resolve_include;
    const fs::path path = dns_folder() / relative_path;
    return parse_zone(read_file(path), path.string(), options);
}

} // namespace robur::zone::corpus
