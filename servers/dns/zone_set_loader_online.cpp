// The parts of ZoneSetLoader that sign zones again without a commit.

#include <algorithm>

#include <fmt/format.h>

#include "servers/dns/log_quote.hpp"
#include "servers/dns/zone_set_loader.hpp"

namespace robur::dns {

namespace {

// How long a zone whose signing failed waits before the next try.
constexpr std::int64_t resign_retry_seconds = 60;

} // namespace

std::optional<std::int64_t> ZoneSetLoader::next_resign() const
{
    std::optional<std::int64_t> earliest;
    for (const auto& [path, state] : zones_) {
        if (state.online) {
            const auto at = state.online->version.resign_at;
            earliest = earliest ? std::min(*earliest, at) : at;
        }
    }
    return earliest;
}

std::optional<LoadSummary> ZoneSetLoader::resign()
{
    const auto now = clock_();
    std::size_t changed = 0;
    for (auto& [path, state] : zones_) {
        if (state.online && state.online->version.resign_at <= now && resign_zone(state, now)) {
            ++changed;
        }
    }
    if (changed == 0) {
        return std::nullopt;
    }
    auto summary = publish_zone_set();
    summary.changed = changed;
    return summary;
}

// Signs one online zone again from its unsigned version. Returns true when the served zone
// changed.
bool ZoneSetLoader::resign_zone(ZoneState& state, std::int64_t now)
{
    auto& online = *state.online;
    auto result = sign_online_zone(online, now);
    auto compiled =
        result ? compile_zone(result->version.zone)
               : Result<std::shared_ptr<const CompiledZone>>(tl::unexpected(result.error()));
    if (!compiled) {
        // The served version stays, with its signatures, until they expire.
        logger_->error("zone signing failed, serving the previous version zone={} serial={} "
                       "retry_s={} error={}",
                       state.origin, online.version.serial, resign_retry_seconds,
                       log_quote(compiled.error().message));
        online.version.resign_at = now + resign_retry_seconds;
        return false;
    }
    const bool changed = result->changed;
    log_signing(state, *result, now, "signatures expiring or key event");
    online.version = std::move(result->version);
    if (!changed) {
        return false;
    }
    journal_->add(*online.version.zone);
    state.compiled = std::move(*compiled);
    return true;
}

void ZoneSetLoader::log_signing(const ZoneState& state, const OnlineSignResult& result,
                                std::int64_t now, std::string_view reason) const
{
    const auto& version = result.version;
    if (!result.changed) {
        logger_->debug("zone signatures still valid zone={} serial={} next_resign_s={}",
                       state.origin, version.serial, version.resign_at - now);
        return;
    }
    logger_->info("zone signed zone={} serial={} committed_serial={} records={} reason={} "
                  "next_resign_s={}",
                  state.origin, version.serial, version.committed_serial,
                  version.zone->records.size(), log_quote(std::string(reason)),
                  version.resign_at - now);
    if (result.serial_raised) {
        // Secondaries transfer only a greater serial (RFC 1034 section 4.3.5), so a change of
        // the signed records without a new committed serial raises the served one.
        logger_->info("served serial raised above the committed serial zone={} committed={} "
                      "served={}",
                      state.origin, version.committed_serial, version.serial);
    }
}

} // namespace robur::dns
