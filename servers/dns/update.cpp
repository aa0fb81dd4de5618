#include "servers/dns/update.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include "core/log.hpp"
#include "formats/zone/diff.hpp"
#include "formats/zone/validate.hpp"
#include "servers/dns/dnssec_policy.hpp"
#include "servers/dns/notify_message.hpp"
#include "servers/dns/update_apply.hpp"
#include "servers/dns/update_files.hpp"
#include "servers/dns/update_message.hpp"
#include "servers/dns/zone_loader.hpp"
#include "store/config.hpp"

extern char** environ;

namespace robur::dns {

namespace {

// A result without a commit: a rejected update, or one that changed nothing.
UpdateResult no_commit(Rcode rcode, std::string summary)
{
    return UpdateResult{rcode, std::nullopt, std::move(summary)};
}

// Error messages of a zone, to tell the faults an update brings from those it already had.
std::set<std::string> error_messages(const std::vector<Diagnostic>& diagnostics)
{
    std::set<std::string> messages;
    for (const auto& diagnostic : diagnostics) {
        if (diagnostic.severity == Severity::error) {
            messages.insert(diagnostic.message);
        }
    }
    return messages;
}

// Returns the first error the update brings into the zone, or nullopt when it brings none.
std::optional<std::string> new_zone_error(const zone::Zone& before, const zone::Zone& after)
{
    const auto findings = zone::validate_zone(after);
    if (!has_errors(findings)) {
        return std::nullopt;
    }
    const auto old_errors = error_messages(zone::validate_zone(before));
    for (const auto& diagnostic : findings) {
        if (diagnostic.severity == Severity::error && old_errors.count(diagnostic.message) == 0) {
            return diagnostic.message;
        }
    }
    return std::nullopt;
}

// The commit message: a summary line, then one line per changed record and the serial change.
std::string commit_message(const zone::Zone& before, const zone::Zone& after)
{
    const zone::ZoneDiff diff = zone::diff_zones(before, after);
    std::size_t added = 0;
    std::size_t removed = 0;
    std::string lines;
    for (const auto& line : diff.lines) {
        if (line.record.type == zone::rrtype::soa && line.record.owner == before.origin) {
            continue;
        }
        const bool is_added = line.kind == zone::DiffLine::Kind::added;
        (is_added ? added : removed) += 1;
        const zone::Record& record = line.record;
        lines += fmt::format("{} {} {} {} {} {}\n", is_added ? '+' : '-', record.owner.to_string(),
                             record.ttl, zone::class_to_string(record.rclass),
                             zone::type_to_string(record.type),
                             zone::rdata_to_string(record.type, record.rdata));
    }
    if (diff.before_serial && diff.after_serial && diff.before_serial != diff.after_serial) {
        lines += fmt::format("serial {} -> {}\n", *diff.before_serial, *diff.after_serial);
    }
    std::string name = before.origin.to_string();
    if (name.size() > 1) {
        name.pop_back();
    }
    return fmt::format("Update {}: {} added, {} removed\n\n{}", name, added, removed, lines);
}

bool is_signer_type(std::uint16_t type)
{
    return type == zone::rrtype::rrsig || type == zone::rrtype::nsec ||
           type == zone::rrtype::nsec3 || type == zone::rrtype::nsec3param;
}

// Refuses updates that the zone's DNSSEC signing cannot take. The server signs a zone with
// dnssec = online itself, so RRSIG, NSEC, NSEC3, NSEC3PARAM and apex DNSKEY records are its
// own, derived from the keys and records in Git. A zone signed offline has
// its signatures committed, which the server cannot redo for a changed zone without committing
// signatures. Returns nullopt when the update may go ahead.
std::optional<UpdateResult> check_signing(const store::Snapshot& snapshot, const zone::Zone& zone,
                                          const UpdateMessage& message)
{
    const std::string zone_name = zone.origin.to_string();
    DnssecPolicy policy;
    auto config = store::Config::load(snapshot);
    if (config) {
        auto read = dnssec_policy(*config, zone.origin);
        if (!read) {
            return no_commit(Rcode::servfail, read.error().message);
        }
        policy = *read;
    } else if (config.error().code != Errc::not_found) {
        return no_commit(Rcode::servfail, config.error().message);
    }

    if (policy.mode == SigningMode::online) {
        for (const auto& update : message.updates) {
            const bool apex_dnskey =
                update.type == zone::rrtype::dnskey && update.owner == zone.origin;
            if (is_signer_type(update.type) || apex_dnskey) {
                return no_commit(
                    Rcode::refused,
                    fmt::format("zone {} is signed by the server (dnssec = online), which makes "
                                "its {} records itself; an update may not change them",
                                zone_name,
                                apex_dnskey ? "apex DNSKEY" : zone::type_to_string(update.type)));
            }
        }
        return std::nullopt;
    }
    const bool has_signatures =
        std::any_of(zone.records.begin(), zone.records.end(),
                    [](const zone::Record& record) { return record.type == zone::rrtype::rrsig; });
    if (policy.mode == SigningMode::offline || has_signatures) {
        return no_commit(Rcode::refused,
                         fmt::format("zone {} is signed offline and the server cannot sign it "
                                     "again without committing signatures; set dnssec = online "
                                     "for it in robur.conf to let the server sign updates",
                                     zone_name));
    }
    return std::nullopt;
}

// Starts `git push REMOTE BRANCH` for the repository and logs its outcome from a detached
// thread, so the caller does not wait for the remote. A failed push is only logged, because the
// commit is already on the branch and the next successful push carries it too.
void push_commit(const store::Repository& repository, const std::string& remote,
                 const std::string& branch)
{
    const std::string refspec = branch.empty() ? std::string("HEAD") : branch;
    std::vector<std::string> arguments{"git",    "--git-dir", repository.git_dir().string(),
                                       "push",   "--quiet",   remote,
                                       refspec};
    std::vector<char*> argv;
    for (auto& argument : arguments) {
        argv.push_back(argument.data());
    }
    argv.push_back(nullptr);
    // No credential prompt: the server has no terminal to answer it.
    std::string no_prompt = "GIT_TERMINAL_PROMPT=0";
    std::vector<char*> environment;
    for (char** variable = environ; *variable != nullptr; ++variable) {
        environment.push_back(*variable);
    }
    environment.push_back(no_prompt.data());
    environment.push_back(nullptr);

    // An empty signal mask, because `robur serve dns` blocks the signals it waits for and a
    // child would otherwise inherit that mask.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

    const auto logger = log::get("dns");
    pid_t pid = 0;
    const int spawned =
        posix_spawnp(&pid, "git", nullptr, &attributes, argv.data(), environment.data());
    posix_spawnattr_destroy(&attributes);
    if (spawned != 0) {
        logger->warn("update push failed remote={} reason=\"cannot start git: {}\"", remote,
                     std::strerror(spawned));
        return;
    }
    std::thread([logger, pid, remote, refspec] {
        int status = 0;
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            logger->warn("update push failed remote={} branch={} exit={}", remote, refspec,
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            return;
        }
        logger->info("update pushed remote={} branch={}", remote, refspec);
    }).detach();
}

// One try of an UPDATE against the branch head. Errors are only Errc::conflict, when the
// branch moved before the commit; every other outcome is an UpdateResult.
class UpdateAttempt {
public:
    UpdateAttempt(store::Repository& repository, const UpdateOptions& options,
                  const UpdateMessage& message, const std::string& author)
        : repository_(repository), options_(options), message_(message), author_(author)
    {
    }

    Result<UpdateResult> run(std::size_t attempt);

private:
    // Reads the zone at the branch head into zone; returns the failure when it cannot be used.
    std::optional<UpdateResult> read_zone(std::optional<LoadedZone>& zone);
    Result<UpdateResult> commit(const LoadedZone& loaded, const zone::Zone& after,
                                const zone::FileTexts& changed, std::size_t attempt);
    // Returns the failure, or nullopt with the edited files in changed.
    std::optional<UpdateResult> edit_files(const LoadedZone& loaded, const zone::Zone& after,
                                           const std::vector<WorkingRecord>& records,
                                           zone::FileTexts& changed);

    store::Repository& repository_;
    const UpdateOptions& options_;
    const UpdateMessage& message_;
    const std::string& author_;
    std::optional<store::Snapshot> snapshot_;
    std::optional<store::ObjectId> head_;
};

std::optional<UpdateResult> UpdateAttempt::read_zone(std::optional<LoadedZone>& zone)
{
    const std::string zone_name = message_.zone.to_string();
    auto head = repository_.branch_head(options_.branch);
    if (!head) {
        return no_commit(Rcode::servfail,
                      fmt::format("cannot read the branch: {}", head.error().message));
    }
    if (!*head) {
        return no_commit(Rcode::notauth,
                      fmt::format("zone {} is not served: the branch has no commits", zone_name));
    }
    head_ = **head;
    auto snapshot = repository_.snapshot(head_->to_string());
    if (!snapshot) {
        return no_commit(Rcode::servfail, snapshot.error().message);
    }
    snapshot_ = std::move(*snapshot);

    auto loaded = load_zone(*snapshot_, message_.zone, repository_.workdir());
    if (!loaded) {
        return no_commit(Rcode::servfail, loaded.error().message);
    }
    if (!*loaded) {
        return no_commit(Rcode::notauth, fmt::format("zone {} is not served: no {}", zone_name,
                                                  zone_file_path(message_.zone)));
    }
    if (!(*loaded)->result.ok()) {
        return no_commit(Rcode::servfail,
                      fmt::format("zone {} has errors at {}; fix the zone file first", zone_name,
                                  head_->short_string()));
    }
    zone = std::move(**loaded);
    return std::nullopt;
}

Result<UpdateResult> UpdateAttempt::run(std::size_t attempt)
{
    const std::string zone_name = message_.zone.to_string();
    std::optional<LoadedZone> loaded;
    if (auto failed = read_zone(loaded)) {
        return std::move(*failed);
    }
    const LoadedZone& zone = *loaded;
    if (auto refused = check_signing(*snapshot_, zone.result.zone, message_)) {
        return std::move(*refused);
    }

    UpdateOutcome outcome = apply_update(zone.result.zone, message_);
    std::string ignored;
    for (const auto& reason : outcome.ignored) {
        ignored += fmt::format("; ignored {}", reason);
    }
    if (outcome.rcode != Rcode::noerror) {
        return no_commit(outcome.rcode, outcome.reason);
    }
    if (!outcome.changed) {
        return no_commit(Rcode::noerror, fmt::format("zone {} unchanged{}", zone_name, ignored));
    }

    const auto previous = zone.result.zone.serial();
    if (previous) {
        raise_serial(zone.result.zone.origin, outcome.records, *previous, today_yyyymmdd());
    }
    zone::Zone after{zone.result.zone.origin, {}, zone.result.zone.files};
    for (const auto& working : outcome.records) {
        after.records.push_back(working.record);
    }
    if (auto fault = new_zone_error(zone.result.zone, after)) {
        return no_commit(Rcode::refused,
                      fmt::format("update would make zone {} invalid: {}", zone_name, *fault));
    }

    zone::FileTexts changed;
    if (auto failed = edit_files(zone, after, outcome.records, changed)) {
        return std::move(*failed);
    }
    auto committed = commit(zone, after, changed, attempt);
    if (committed && committed->commit) {
        committed->summary += ignored;
    }
    return committed;
}

std::optional<UpdateResult> UpdateAttempt::edit_files(const LoadedZone& loaded,
                                                      const zone::Zone& after,
                                                      const std::vector<WorkingRecord>& records,
                                                      zone::FileTexts& changed)
{
    const zone::Zone& before = loaded.result.zone;
    auto files = read_zone_files(*snapshot_, before);
    if (!files) {
        return no_commit(Rcode::servfail, files.error().message);
    }
    auto edited = zone::edit_zone_files(before, *files, plan_edit(before, records));
    if (!edited) {
        const Rcode rcode =
            edited.error().code == Errc::unsupported ? Rcode::refused : Rcode::servfail;
        return no_commit(rcode, edited.error().to_string());
    }

    // Never commit files that do not say what was intended.
    const zone::ParseResult check =
        reparse_zone(*snapshot_, before, *edited, repository_.workdir());
    if (!check.ok() || !same_records(check.zone.records, after.records)) {
        return no_commit(Rcode::servfail,
                      fmt::format("edited files of zone {} do not parse to the updated records",
                                  before.origin.to_string()));
    }
    changed = std::move(*edited);
    return std::nullopt;
}

Result<UpdateResult> UpdateAttempt::commit(const LoadedZone& loaded, const zone::Zone& after,
                                           const zone::FileTexts& changed, std::size_t attempt)
{
    store::CommitRequest request;
    request.branch = options_.branch;
    request.expected_head = head_;
    for (const auto& [path, text] : changed) {
        request.changes.push_back(store::FileChange{path, text, store::mode_file});
    }
    request.author = store::Signature{.name = author_, .email = author_, .time = std::nullopt,
                                      .utc_offset_minutes = 0};
    request.committer = committer_signature(repository_);
    request.message = commit_message(loaded.result.zone, after);

    if (options_.before_commit) {
        options_.before_commit(attempt);
    }
    auto id = repository_.commit(request);
    if (!id) {
        if (id.error().code == Errc::conflict) {
            return tl::unexpected(id.error());
        }
        return no_commit(Rcode::servfail, fmt::format("commit failed: {}", id.error().message));
    }
    const std::string summary = request.message.substr(0, request.message.find('\n'));
    return UpdateResult{Rcode::noerror, *id,
                        fmt::format("{}, serial {}", summary, after.serial().value_or(0))};
}

} // namespace

ZoneUpdater::ZoneUpdater(store::Repository repository, UpdateOptions options)
    : repository_(std::move(repository)), options_(std::move(options))
{
    // Packing a large zone's history can take minutes, and the update thread must not wait.
    repository_.set_auto_pack(store::AutoPack::background);
}

UpdateResult ZoneUpdater::apply(std::span<const std::uint8_t> message, const std::string& author)
{
    const auto logger = log::get("dns");
    auto parsed = parse_update(message);
    if (!parsed) {
        logger->debug("update rejected author={} rcode=FORMERR reason=\"{}\"", author,
                      parsed.error().message);
        return no_commit(Rcode::formerr, parsed.error().message);
    }

    const std::string zone_name = parsed->zone.to_string();
    const std::size_t attempts = std::max<std::size_t>(options_.max_attempts, 1);
    for (std::size_t attempt = 1; attempt <= attempts; ++attempt) {
        UpdateAttempt runner(repository_, options_, *parsed, author);
        auto result = runner.run(attempt);
        if (!result) {
            logger->info("update retried zone={} author={} attempt={} reason=\"branch moved\"",
                         zone_name, author, attempt);
            continue;
        }
        if (result->commit) {
            logger->info("update committed zone={} author={} commit={} summary=\"{}\"", zone_name,
                         author, result->commit->short_string(), result->summary);
            if (options_.push_remote) {
                push_commit(repository_, *options_.push_remote, options_.branch);
            }
        } else if (result->rcode == Rcode::servfail || result->rcode == Rcode::refused) {
            logger->warn("update failed zone={} author={} rcode={} reason=\"{}\"", zone_name,
                         author, rcode_name(result->rcode), result->summary);
        } else {
            logger->debug("update done zone={} author={} rcode={} summary=\"{}\"", zone_name,
                          author, rcode_name(result->rcode), result->summary);
        }
        return std::move(*result);
    }
    const std::string reason =
        fmt::format("branch moved during each of {} attempts; nothing was committed", attempts);
    logger->warn("update failed zone={} author={} rcode=SERVFAIL reason=\"{}\"", zone_name, author,
                 reason);
    return no_commit(Rcode::servfail, reason);
}

} // namespace robur::dns
