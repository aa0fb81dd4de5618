#include "servers/dns/update_serial.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "formats/zone/diff.hpp"
#include "formats/zone/serial.hpp"
#include "formats/zone/text.hpp"
#include "servers/dns/update_apply.hpp"
#include "servers/dns/update_files.hpp"
#include "servers/dns/zone_loader.hpp"

namespace robur::dns {

namespace {

// The serial change one zone needs, with its edited files.
struct SerialRaise {
    std::string zone;
    std::uint32_t from = 0;
    std::uint32_t to = 0;
    zone::FileTexts files;
};

// Returns the records of zone with the apex SOA serial set to serial.
std::vector<zone::Record> with_serial(const zone::Zone& zone, std::uint32_t serial)
{
    std::vector<zone::Record> records = zone.records;
    for (auto& record : records) {
        if (record.type == zone::rrtype::soa && record.owner == zone.origin &&
            soa_serial(record.rdata)) {
            write_u32(record.rdata.data() + record.rdata.size() - 20, serial);
            break;
        }
    }
    return records;
}

// Works out whether one zone needs its serial raised, and edits its files when it does.
Result<std::optional<SerialRaise>> plan_raise(const store::Repository& repository,
                                              const store::Snapshot& before,
                                              const store::Snapshot& after,
                                              const LoadedZone& loaded)
{
    if (!loaded.result.ok() || !zone_files_changed(loaded, before, after)) {
        return std::optional<SerialRaise>();
    }
    auto previous = load_zone(before, loaded.origin, repository.workdir());
    if (!previous) {
        return tl::unexpected(previous.error());
    }
    if (!*previous) {
        return std::optional<SerialRaise>(); // a new zone has no serial to exceed
    }
    const zone::Zone& old_zone = (*previous)->result.zone;
    const zone::Zone& new_zone = loaded.result.zone;
    const auto old_serial = old_zone.serial();
    const auto new_serial = new_zone.serial();
    if (!old_serial || !new_serial || zone::serial_gt(*new_serial, *old_serial) ||
        zone::diff_zones(old_zone, new_zone).empty()) {
        return std::optional<SerialRaise>();
    }

    const std::uint32_t raised = zone::next_serial(*old_serial, today_yyyymmdd());
    auto files = read_zone_files(after, new_zone);
    if (!files) {
        return tl::unexpected(files.error());
    }
    zone::ZoneEdit edit;
    edit.serial = raised;
    auto edited = zone::edit_zone_files(new_zone, *files, edit);
    if (!edited) {
        return tl::unexpected(edited.error());
    }
    const zone::ParseResult check = reparse_zone(after, new_zone, *edited, repository.workdir());
    if (!check.ok() || !same_records(check.zone.records, with_serial(new_zone, raised))) {
        return make_error(Errc::internal,
                          fmt::format("raising the serial of {} did not give the intended zone",
                                      new_zone.origin.to_string()));
    }
    std::string name = new_zone.origin.to_string();
    if (name.size() > 1) {
        name.pop_back();
    }
    return std::optional<SerialRaise>(SerialRaise{name, *new_serial, raised, std::move(*edited)});
}

std::string raise_message(const std::vector<SerialRaise>& raises)
{
    if (raises.size() == 1) {
        return fmt::format("Raise serial of {} to {}\n\nserial {} -> {}\n", raises.front().zone,
                           raises.front().to, raises.front().from, raises.front().to);
    }
    std::string message = fmt::format("Raise serials of {} zones\n\n", raises.size());
    for (const auto& raise : raises) {
        message += fmt::format("{}: serial {} -> {}\n", raise.zone, raise.from, raise.to);
    }
    return message;
}

} // namespace

Result<bool> serial_is_auto(const store::Config& config, const zone::Name& zone)
{
    std::optional<std::string> value;
    for (const auto& subsection : config.subsections("zone")) {
        const std::string text = subsection.empty() || subsection.back() != '.'
                                     ? subsection + "."
                                     : subsection;
        auto name = zone::Name::parse(text);
        if (!name || *name != zone) {
            continue;
        }
        auto zone_value = config.get_string(fmt::format("zone.{}.serial", subsection));
        if (!zone_value) {
            return tl::unexpected(zone_value.error());
        }
        if (*zone_value) {
            value = *zone_value;
        }
    }
    if (!value) {
        auto global = config.get_string("dns.serial");
        if (!global) {
            return tl::unexpected(global.error());
        }
        value = *global;
    }
    if (!value || zone::text::equals_ignoring_case(*value, "manual")) {
        return false;
    }
    if (zone::text::equals_ignoring_case(*value, "auto")) {
        return true;
    }
    return make_error(Errc::invalid_argument,
                      fmt::format("invalid serial = {} for zone {} in {}: expected auto or "
                                  "manual",
                                  *value, zone.to_string(), config.path()));
}

Result<std::optional<store::ObjectId>> raise_stale_serials(store::Repository& repository,
                                                           const std::string& branch,
                                                           const store::ObjectId& before,
                                                           const store::ObjectId& after)
{
    auto old_snapshot = repository.snapshot(before.to_string());
    auto new_snapshot = repository.snapshot(after.to_string());
    if (!old_snapshot || !new_snapshot) {
        return tl::unexpected(old_snapshot ? new_snapshot.error() : old_snapshot.error());
    }
    if (!new_snapshot->exists("robur.conf")) {
        return std::optional<store::ObjectId>();
    }
    auto config = store::Config::load(*new_snapshot);
    if (!config) {
        return tl::unexpected(config.error());
    }
    auto zones = load_zones(*new_snapshot, repository.workdir());
    if (!zones) {
        return tl::unexpected(zones.error());
    }

    std::vector<SerialRaise> raises;
    for (const auto& loaded : zones->zones) {
        auto automatic = serial_is_auto(*config, loaded.origin);
        if (!automatic) {
            return tl::unexpected(automatic.error());
        }
        if (!*automatic) {
            continue;
        }
        auto raise = plan_raise(repository, *old_snapshot, *new_snapshot, loaded);
        if (!raise) {
            return tl::unexpected(raise.error());
        }
        if (*raise) {
            raises.push_back(std::move(**raise));
        }
    }
    if (raises.empty()) {
        return std::optional<store::ObjectId>();
    }

    store::CommitRequest request;
    request.branch = branch;
    request.expected_head = after;
    for (const auto& raise : raises) {
        for (const auto& [path, text] : raise.files) {
            request.changes.push_back(store::FileChange{path, text, store::mode_file});
        }
    }
    request.author = committer_signature(repository);
    request.message = raise_message(raises);
    auto id = repository.commit(request);
    if (!id) {
        if (id.error().code == Errc::conflict) {
            return std::optional<store::ObjectId>();
        }
        return tl::unexpected(id.error());
    }
    log::get("dns")->info("serial raised commit={} zones={}", id->short_string(), raises.size());
    return std::optional<store::ObjectId>(*id);
}

} // namespace robur::dns
