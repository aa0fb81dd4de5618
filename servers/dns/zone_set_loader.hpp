#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "servers/dns/dnssec_keys.hpp"
#include "servers/dns/dnssec_policy.hpp"
#include "servers/dns/online_zone.hpp"
#include "servers/dns/signed_journal.hpp"
#include "servers/dns/zone_index.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/config.hpp"
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
//
// A zone whose robur.conf policy sets `dnssec = online` is signed after validation with the
// keys in keys/dnssec/<zone>/, and the signed zone is served. Its key files and its policy
// count as inputs, so a commit that changes them signs it again. A zone without a key that
// signs, or whose signing fails, is rejected like an invalid zone. resign() signs such zones
// again without a commit when their signatures near expiry or a key timing event passes, and
// every signed version goes into journal() for IXFR.
class ZoneSetLoader {
public:
    // disk_root is the work tree, used only to accept absolute $INCLUDE paths inside it.
    explicit ZoneSetLoader(std::optional<std::filesystem::path> disk_root = std::nullopt);

    // Brings the zone set up to date with snapshot; full re-reads every zone. A snapshot
    // without a zones/ folder has no zones. Errors: git_error when the snapshot cannot be read.
    Result<LoadSummary> load(const store::Snapshot& snapshot, bool full = false);

    // Signs again the online zones whose resign time has come, and builds a new zone set when
    // one of them changed. Returns the summary of the zone set, or nullopt when nothing changed.
    std::optional<LoadSummary> resign();

    // The earliest time, in seconds since 1970, at which resign() has work; nullopt when no
    // zone is signed by the server.
    [[nodiscard]] std::optional<std::int64_t> next_resign() const;

    // The signed versions of the online zones, for IXFR.
    [[nodiscard]] const std::shared_ptr<SignedJournal>& journal() const { return journal_; }

    // Replaces the clock (seconds since 1970) used for signing, for tests.
    void set_clock(std::function<std::int64_t()> clock) { clock_ = std::move(clock); }

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
        // Policy fingerprint and key file ids of the compiled and of the rejected version.
        std::string accepted_inputs;
        std::string rejected_inputs;
        std::optional<OnlineZone> online; // set while the server signs the zone
    };

    // The policy of every zone of one commit.
    struct Policies {
        std::optional<store::Config> config;
        std::optional<Error> config_error;
    };

    enum class Outcome { unchanged, replaced, rejected };

    Outcome update_zone(const store::Snapshot& snapshot, const ZoneFile& file,
                        const Policies& policies, ZoneState& state, bool full);
    std::shared_ptr<const CompiledZone>
    sign_and_compile(const store::Snapshot& snapshot, LoadedZone& zone, const DnssecPolicy& policy,
                     ZoneState& state, std::vector<Diagnostic>& errors);
    bool resign_zone(ZoneState& state, std::int64_t now);
    void log_signing(const ZoneState& state, const OnlineSignResult& result, std::int64_t now,
                     std::string_view reason) const;
    Policies read_policies(const store::Snapshot& snapshot);
    LoadSummary publish_zone_set();
    void log_listing_problems(const std::vector<Diagnostic>& diagnostics);
    void log_rejection(const ZoneState& state, const std::vector<Diagnostic>& errors) const;

    std::optional<std::filesystem::path> disk_root_;
    std::map<std::string, ZoneState> zones_; // by master file path
    std::shared_ptr<const ZoneSet> zone_set_;
    std::set<std::string> logged_listing_problems_; // so that each is logged once
    std::shared_ptr<SignedJournal> journal_;
    std::function<std::int64_t()> clock_;
    std::string logged_config_error_; // so that each is logged once
    std::shared_ptr<spdlog::logger> logger_;
};

} // namespace robur::dns
