#include "servers/dns/zone_history.hpp"

#include <algorithm>
#include <compare>
#include <tuple>
#include <utility>

#include "core/diagnostic.hpp"
#include "core/log.hpp"
#include "formats/zone/validate.hpp"
#include "servers/dns/signed_journal.hpp"
#include "servers/dns/wire.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/snapshot.hpp"

namespace robur::dns {

namespace {

constexpr std::size_t soa_fixed_fields = 20; // SERIAL, REFRESH, RETRY, EXPIRE and MINIMUM

bool is_apex_soa(const zone::Record& record, const zone::Name& origin)
{
    return record.type == zone::rrtype::soa && record.owner == origin &&
           record.rdata.size() >= soa_fixed_fields + 2;
}

// Canonical record order (RFC 4034 section 6.1 for the owner), then type, class and rdata.
std::strong_ordering canonical_order(const zone::Record& left, const zone::Record& right)
{
    if (const auto order = left.owner <=> right.owner; order != 0) {
        return order;
    }
    return std::tie(left.type, left.rclass, left.rdata) <=>
           std::tie(right.type, right.rclass, right.rdata);
}

bool canonical_less(const zone::Record* left, const zone::Record* right)
{
    return canonical_order(*left, *right) < 0;
}

std::uint32_t soa_serial(const zone::Record& soa)
{
    return read_u32(soa.rdata.data() + soa.rdata.size() - soa_fixed_fields);
}

// The functions below take transfer contents: SOA first, then canonical order without repeats,
// so that one pass over both compares them.

bool same_records(const zone::Zone& left, const zone::Zone& right)
{
    return std::equal(left.records.begin(), left.records.end(), right.records.begin(),
                      right.records.end(), [](const zone::Record& one, const zone::Record& other) {
                          return one.ttl == other.ttl && one.same_data(other);
                      });
}

} // namespace

zone::Zone transfer_content(const zone::Zone& zone)
{
    zone::Zone content;
    content.origin = zone.origin;
    for (const zone::Record* record : transfer_records(zone)) {
        content.records.push_back(*record);
    }
    return content;
}

ZoneStep make_step(const zone::Zone& older, const zone::Zone& newer)
{
    ZoneStep step{.old_soa = older.records.front(),
                  .deleted = {},
                  .new_soa = newer.records.front(),
                  .added = {}};
    const auto& before = older.records;
    const auto& after = newer.records;
    std::size_t i = 1;
    std::size_t j = 1;
    while (i < before.size() || j < after.size()) {
        const auto order = i == before.size()  ? std::strong_ordering::greater
                           : j == after.size() ? std::strong_ordering::less
                                               : canonical_order(before[i], after[j]);
        if (order < 0) {
            step.deleted.push_back(before[i++]);
        } else if (order > 0) {
            step.added.push_back(after[j++]);
        } else {
            if (before[i].ttl != after[j].ttl) {
                step.deleted.push_back(before[i]);
                step.added.push_back(after[j]);
            }
            ++i;
            ++j;
        }
    }
    return step;
}

std::uint32_t transfer_serial(const zone::Zone& content)
{
    return soa_serial(content.records.front());
}

std::pair<std::uint32_t, std::uint32_t> step_serials(const ZoneStep& step)
{
    return {soa_serial(step.old_soa), soa_serial(step.new_soa)};
}

std::vector<const zone::Record*> transfer_records(const zone::Zone& zone)
{
    const auto soa =
        std::find_if(zone.records.begin(), zone.records.end(), [&zone](const zone::Record& record) {
            return is_apex_soa(record, zone.origin);
        });
    if (soa == zone.records.end()) {
        return {};
    }

    std::vector<const zone::Record*> others;
    others.reserve(zone.records.size());
    for (const auto& record : zone.records) {
        const bool in_zone =
            record.rclass == soa->rclass && record.owner.is_subdomain_of(zone.origin);
        // A second apex SOA would break the SOA framing of the transfer, and validation rejects
        // it anyway.
        const bool extra_soa = record.type == zone::rrtype::soa && record.owner == zone.origin;
        if (in_zone && !extra_soa) {
            others.push_back(&record);
        }
    }
    std::stable_sort(others.begin(), others.end(), canonical_less);

    std::vector<const zone::Record*> records{&*soa};
    records.reserve(others.size() + 1);
    for (const zone::Record* record : others) {
        if (records.size() == 1 || !records.back()->same_data(*record)) {
            records.push_back(record);
        }
    }
    return records;
}

// One version of the zone: a commit whose zone could have been served.
struct ZoneHistory::Version {
    store::ObjectId commit;
    std::uint32_t serial = 0;
    zone::Zone content; // transfer_records() of the version, SOA first
};

// One walk down the first-parent history from the branch head, newest version first.
class ZoneHistory::Walk {
public:
    Walk(const store::Repository& repository, const ZoneHistoryLimits& limits,
         const zone::Name& origin, const zone::Zone* served)
        : repository_(repository), limits_(limits), origin_(origin), served_(served),
          deadline_(std::chrono::steady_clock::now() + limits.max_time)
    {
    }

    // Returns the steps from serial from to serial to, or null, and then stop_reason() gives
    // the reason.
    std::shared_ptr<const ZoneSteps> run(const store::ObjectId& head, std::uint32_t from,
                                         std::uint32_t to);

    [[nodiscard]] const std::string& stop_reason() const { return stop_reason_; }
    [[nodiscard]] bool failed() const { return failed_; }
    [[nodiscard]] std::size_t commits() const { return commits_; }

private:
    std::optional<Version> find_served(std::uint32_t to);
    [[nodiscard]] bool is_served(const Version& version);
    bool is_ambiguous(const Version& found);
    std::optional<Version> next_version();
    std::optional<Version> load_version(const store::Snapshot& snapshot);
    bool files_unchanged(const store::Snapshot& older) const;
    std::optional<Version> stop(std::string reason, bool failed = false);

    const store::Repository& repository_;
    const ZoneHistoryLimits& limits_;
    const zone::Name& origin_;
    const zone::Zone* served_;
    std::optional<zone::Zone> served_content_;
    std::chrono::steady_clock::time_point deadline_;

    std::optional<store::ObjectId> next_commit_;
    std::optional<store::Snapshot> last_snapshot_; // the last commit whose zone was loaded
    std::vector<std::string> last_files_;          // and the files that zone read
    std::size_t commits_ = 0;
    std::string stop_reason_;
    bool failed_ = false;
};

std::shared_ptr<const ZoneSteps> ZoneHistory::Walk::run(const store::ObjectId& head,
                                                        std::uint32_t from, std::uint32_t to)
{
    next_commit_ = head;
    auto newer = find_served(to);
    if (!newer) {
        return nullptr;
    }

    auto steps = std::make_shared<ZoneSteps>();
    if (from == to) {
        return steps;
    }
    for (;;) {
        auto older = next_version();
        if (!older) {
            return nullptr;
        }
        // Of several versions with one serial only the newest counts, because it is the one
        // that was served last under that serial.
        if (older->serial == newer->serial || same_records(older->content, newer->content)) {
            continue;
        }
        steps->push_back(make_step(older->content, newer->content));
        if (older->serial == from) {
            if (is_ambiguous(*older)) {
                return nullptr;
            }
            std::reverse(steps->begin(), steps->end());
            return steps;
        }
        newer = std::move(older);
    }
}

// Skips the versions newer than the served one, e.g. a branch head whose zone failed to load.
std::optional<ZoneHistory::Version> ZoneHistory::Walk::find_served(std::uint32_t to)
{
    for (;;) {
        auto version = next_version();
        if (!version) {
            return std::nullopt;
        }
        if (version->serial == to && is_served(*version)) {
            return version;
        }
    }
}

bool ZoneHistory::Walk::is_served(const Version& version)
{
    if (served_ == nullptr) {
        return true;
    }
    if (!served_content_) {
        served_content_ = transfer_content(*served_);
    }
    return same_records(version.content, *served_content_);
}

// True when the version before found has found's serial but other records: a client holding
// that serial may have either, so no difference can be trusted.
bool ZoneHistory::Walk::is_ambiguous(const Version& found)
{
    for (;;) {
        auto older = next_version();
        if (!older) {
            return false; // the start of the history or a limit: nothing contradicts found
        }
        if (same_records(older->content, found.content)) {
            continue;
        }
        if (older->serial != found.serial) {
            return false;
        }
        stop_reason_ = "serial ambiguous";
        return true;
    }
}

// Returns the next older version whose files differ from the last one loaded, skipping
// versions that could not have been served.
std::optional<ZoneHistory::Version> ZoneHistory::Walk::next_version()
{
    while (next_commit_) {
        if (commits_ >= limits_.max_commits) {
            return stop("commit limit reached");
        }
        if (std::chrono::steady_clock::now() > deadline_) {
            return stop("time limit reached");
        }
        ++commits_;

        const store::ObjectId commit = *next_commit_;
        auto snapshot = repository_.snapshot(commit.to_string());
        if (!snapshot) {
            return stop(snapshot.error().message, true);
        }
        auto parent = repository_.parent(commit);
        if (!parent) {
            return stop(parent.error().message, true);
        }
        next_commit_ = *parent;

        if (files_unchanged(*snapshot)) {
            continue;
        }
        auto version = load_version(*snapshot);
        if (version || !stop_reason_.empty()) {
            return version;
        }
    }
    return stop("serial not in history");
}

// Loads the zone of snapshot. Returns nullopt when it could not have been served or does not
// exist. A commit without the zone ends the walk, because the secondaries of a zone that was
// removed and added again are better served by the whole zone.
std::optional<ZoneHistory::Version> ZoneHistory::Walk::load_version(const store::Snapshot& snapshot)
{
    auto loaded = load_zone(snapshot, origin_, repository_.workdir());
    if (!loaded) {
        return stop(loaded.error().message, true);
    }
    if (!*loaded) {
        return stop("zone file not in history");
    }
    last_snapshot_ = snapshot;
    last_files_ = (*loaded)->files;

    const auto& parsed = (*loaded)->result;
    if (has_errors(parsed.diagnostics) || has_errors(zone::validate_zone(parsed.zone))) {
        return std::nullopt;
    }
    Version version{
        .commit = snapshot.commit_id(), .serial = 0, .content = transfer_content(parsed.zone)};
    if (version.content.records.empty()) {
        return std::nullopt;
    }
    version.serial = soa_serial(version.content.records.front());
    return version;
}

bool ZoneHistory::Walk::files_unchanged(const store::Snapshot& older) const
{
    if (!last_snapshot_ || last_files_.empty()) {
        return false;
    }
    return std::all_of(last_files_.begin(), last_files_.end(), [&](const std::string& path) {
        return older.blob_id(path) == last_snapshot_->blob_id(path);
    });
}

std::optional<ZoneHistory::Version> ZoneHistory::Walk::stop(std::string reason, bool failed)
{
    stop_reason_ = std::move(reason);
    failed_ = failed;
    next_commit_.reset();
    return std::nullopt;
}

ZoneHistory::ZoneHistory(store::Repository repository, std::string branch, ZoneHistoryLimits limits)
    : repository_(std::move(repository)), branch_(std::move(branch)), limits_(limits),
      logger_(log::get("dns"))
{
}

std::shared_ptr<const ZoneSteps> ZoneHistory::steps(const CompiledZone& served, std::uint32_t from)
{
    if (journal_ && journal_->contains(served.origin())) {
        auto steps = journal_->steps(served.origin(), from, served.serial());
        logger_->debug("signed journal read zone={} from={} to={} steps={}",
                       served.origin().to_string(), from, served.serial(),
                       steps ? std::to_string(steps->size()) : std::string("none"));
        return steps;
    }
    return cached_steps(served.origin(), from, served.serial(), served.source().get());
}

std::shared_ptr<const ZoneSteps> ZoneHistory::steps(const zone::Name& origin, std::uint32_t from,
                                                    std::uint32_t to)
{
    return cached_steps(origin, from, to, nullptr);
}

std::shared_ptr<const ZoneSteps> ZoneHistory::cached_steps(const zone::Name& origin,
                                                           std::uint32_t from, std::uint32_t to,
                                                           const zone::Zone* served)
{
    const std::string zone_name = origin.to_string();
    auto head = repository_.branch_head(branch_);
    if (!head || !*head) {
        logger_->warn("zone history not readable zone={} branch={} error={}", zone_name, branch_,
                      head ? "branch has no commits" : head.error().message);
        return nullptr;
    }
    if (cache_head_ != **head) {
        cache_.clear();
        cache_head_ = **head;
    }
    CacheKey key{origin.lowercase().to_string(), from, to};
    if (const auto found = cache_.find(key); found != cache_.end()) {
        return found->second;
    }

    Walk walk(repository_, limits_, origin, served);
    auto result = walk.run(**head, from, to);
    ++walk_count_;
    if (result) {
        logger_->debug("zone history walked zone={} from={} to={} steps={} commits={}", zone_name,
                       from, to, result->size(), walk.commits());
    } else {
        // The client then gets the whole zone, which is correct but costs more.
        logger_->info("zone history has no difference zone={} from={} to={} reason=\"{}\" "
                      "commits={}",
                      zone_name, from, to, walk.stop_reason(), walk.commits());
    }
    if (walk.failed()) {
        // A Git error may be transient, so it is not cached and the next request walks again.
        return result;
    }
    if (cache_.size() >= limits_.max_cached) {
        cache_.clear();
    }
    cache_.emplace(std::move(key), result);
    return result;
}

} // namespace robur::dns
