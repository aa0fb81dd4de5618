#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "servers/dns/zone_index.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/object_id.hpp"
#include "store/snapshot.hpp"

namespace robur::dns {

// The outcome of one load.
struct LoadSummary {
    store::ObjectId commit;
    std::size_t zone_count = 0; // zones served after the load
    std::size_t changed = 0;    // zones added, replaced or removed
    std::size_t rejected = 0;   // zones whose files failed to parse, validate or compile
    // Origin (presentation format) and serial of every zone served, in origin order.
    std::vector<std::pair<std::string, std::uint32_t>> serials;
};

// Formats the serials for a log line: "example.com./2024010101,example.org./7", listing at most
// eight zones and counting the rest.
[[nodiscard]] std::string format_serials(const LoadSummary& summary);

// Builds the ZoneSet of a commit from the zones/*.zone files. It keeps the blob id of every file
// each zone read, so that the next load parses only the zones whose master file or $INCLUDEd
// files changed. A zone whose new version fails to parse, validate or compile keeps its previous
// version, and a zone whose file was removed is dropped. Not thread-safe, because one reload
// thread owns it.
class ZoneSetLoader {
public:
    // disk_root is the work tree, used only to accept absolute $INCLUDE paths inside it.
    explicit ZoneSetLoader(std::optional<std::filesystem::path> disk_root = std::nullopt);

    // Brings the zone set up to date with snapshot; full re-reads every zone. A snapshot
    // without a zones/ folder has no zones. Errors: git_error when the snapshot cannot be read.
    Result<LoadSummary> load(const store::Snapshot& snapshot, bool full = false);

    // The zone set of the last load; empty before the first.
    [[nodiscard]] std::shared_ptr<const ZoneSet> zone_set() const { return zone_set_; }

private:
    // The blob id of every file a zone version read. A file it tried to read but that did not
    // exist has nullopt, so that adding the file counts as a change.
    using FileIds = std::vector<std::pair<std::string, std::optional<store::ObjectId>>>;

    struct ZoneState {
        std::string origin;
        std::shared_ptr<const CompiledZone> compiled; // null when no version was ever accepted
        FileIds accepted_files;                       // files of the compiled version
        FileIds rejected_files;                       // files of the last rejected version
    };

    enum class Outcome { unchanged, replaced, rejected };

    Outcome update_zone(const store::Snapshot& snapshot, const ZoneFile& file, ZoneState& state,
                        bool full);
    void log_listing_problems(const std::vector<Diagnostic>& diagnostics);
    void log_rejection(const ZoneState& state, const std::vector<Diagnostic>& errors) const;

    std::optional<std::filesystem::path> disk_root_;
    std::map<std::string, ZoneState> zones_; // by master file path
    std::shared_ptr<const ZoneSet> zone_set_;
    std::set<std::string> logged_listing_problems_; // so that each is logged once
    std::shared_ptr<spdlog::logger> logger_;
};

} // namespace robur::dns
