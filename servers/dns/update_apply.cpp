#include "servers/dns/update_apply.hpp"

#include <algorithm>
#include <ctime>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "formats/zone/record.hpp"
#include "formats/zone/serial.hpp"

namespace robur::dns {

namespace {

namespace rrtype = zone::rrtype;
namespace rrclass = zone::rrclass;

// Types that exist only in queries and transactions: OPT, TSIG, TKEY, IXFR, AXFR, MAILA,
// MAILB, ANY and the rest of the meta range 128-255 (RFC 6895 section 3.1), and type 0.
bool is_meta_type(std::uint16_t type)
{
    return type == 0 || type == rrtype::opt || (type >= 128 && type <= 255);
}

// Types that may share an owner name with a CNAME (RFC 2181 section 10.1, RFC 4035 section
// 2.5): the DNSSEC records of the name itself.
bool may_stand_beside_cname(std::uint16_t type)
{
    return type == rrtype::cname || type == rrtype::rrsig || type == rrtype::nsec;
}

std::string describe(const UpdateRecord& record)
{
    return fmt::format("{} {} {} {}", record.owner.to_string(),
                       zone::class_to_string(record.rclass), zone::type_to_string(record.type),
                       record.rdata.empty() ? std::string("(no rdata)")
                                            : zone::rdata_to_string(record.type, record.rdata));
}

UpdateOutcome reject(Rcode rcode, std::string reason)
{
    UpdateOutcome outcome;
    outcome.rcode = rcode;
    outcome.reason = std::move(reason);
    return outcome;
}

// The zone's records during the update, with the lookups RFC 2136 pseudocode uses.
class WorkingZone {
public:
    WorkingZone(const zone::Zone& zone, std::uint16_t zone_class)
        : origin_(zone.origin), zone_class_(zone_class)
    {
        for (std::size_t i = 0; i < zone.records.size(); ++i) {
            records_.push_back(WorkingRecord{zone.records[i], i});
        }
    }

    [[nodiscard]] bool name_in_use(const zone::Name& name) const
    {
        return std::any_of(records_.begin(), records_.end(),
                           [&](const WorkingRecord& r) { return r.record.owner == name; });
    }

    [[nodiscard]] bool rrset_exists(const zone::Name& name, std::uint16_t type) const
    {
        return std::any_of(records_.begin(), records_.end(), [&](const WorkingRecord& r) {
            return r.record.owner == name && r.record.type == type;
        });
    }

    // Returns the rdata of an RRset, one entry per distinct value.
    [[nodiscard]] std::vector<std::vector<std::uint8_t>> rrset(const zone::Name& name,
                                                               std::uint16_t type) const
    {
        std::vector<std::vector<std::uint8_t>> values;
        for (const auto& r : records_) {
            if (r.record.owner == name && r.record.type == type) {
                add_distinct(values, type, r.record.rdata);
            }
        }
        return values;
    }

    static void add_distinct(std::vector<std::vector<std::uint8_t>>& values, std::uint16_t type,
                             const std::vector<std::uint8_t>& rdata)
    {
        const bool present = std::any_of(values.begin(), values.end(), [&](const auto& value) {
            return same_rdata(type, value, rdata);
        });
        if (!present) {
            values.push_back(rdata);
        }
    }

    bool add(const UpdateRecord& update, std::vector<std::string>& ignored);
    bool delete_rrsets(const UpdateRecord& update, std::vector<std::string>& ignored);
    bool delete_record(const UpdateRecord& update, std::vector<std::string>& ignored);

    std::vector<WorkingRecord> take() { return std::move(records_); }

private:
    // Removes the records that match; returns true when any was removed.
    template <typename Predicate>
    bool erase(Predicate predicate)
    {
        const auto removed = std::remove_if(records_.begin(), records_.end(), predicate);
        const bool any = removed != records_.end();
        records_.erase(removed, records_.end());
        return any;
    }

    bool replace_soa(const UpdateRecord& update, std::vector<std::string>& ignored);
    void insert(zone::Record record);

    zone::Name origin_;
    std::uint16_t zone_class_;
    std::vector<WorkingRecord> records_;
};

// RFC 2136 section 3.4.2.2, for one update record of the zone's class.
bool WorkingZone::add(const UpdateRecord& update, std::vector<std::string>& ignored)
{
    const bool has_cname = rrset_exists(update.owner, rrtype::cname);
    const bool has_other_data =
        std::any_of(records_.begin(), records_.end(), [&](const WorkingRecord& r) {
            return r.record.owner == update.owner && !may_stand_beside_cname(r.record.type);
        });
    if (update.type == rrtype::cname && has_other_data) {
        ignored.push_back(fmt::format("{}: a CNAME cannot be added beside other data",
                                      describe(update)));
        return false;
    }
    if (update.type != rrtype::cname && !may_stand_beside_cname(update.type) && has_cname) {
        ignored.push_back(fmt::format("{}: data cannot be added beside a CNAME", describe(update)));
        return false;
    }
    if (update.type == rrtype::soa) {
        return replace_soa(update, ignored);
    }

    bool changed = false;
    bool duplicate = false;
    for (auto& r : records_) {
        if (r.record.owner != update.owner || r.record.type != update.type) {
            continue;
        }
        if (update.type == rrtype::cname) {
            // A name has one CNAME: a new one replaces it (RFC 2136 section 3.4.2.2).
            duplicate = true;
            changed = changed || !same_rdata(update.type, r.record.rdata, update.rdata) ||
                      r.record.ttl != update.ttl;
            r.record.rdata = update.rdata;
        } else if (same_rdata(update.type, r.record.rdata, update.rdata)) {
            duplicate = true;
        }
        // One TTL per RRset (RFC 2181 section 5.2): the added record's TTL wins.
        if (r.record.ttl != update.ttl) {
            r.record.ttl = update.ttl;
            changed = true;
        }
    }
    if (!duplicate) {
        insert(zone::Record{update.owner, update.type, zone_class_, update.ttl, update.rdata, {}});
        changed = true;
    }
    return changed;
}

bool WorkingZone::replace_soa(const UpdateRecord& update, std::vector<std::string>& ignored)
{
    const auto current = std::find_if(records_.begin(), records_.end(), [&](const auto& r) {
        return r.record.owner == update.owner && r.record.type == rrtype::soa;
    });
    if (current == records_.end() || update.owner != origin_) {
        ignored.push_back(fmt::format("{}: an SOA record only exists at the zone apex",
                                      describe(update)));
        return false;
    }
    const auto old_serial = soa_serial(current->record.rdata);
    const auto new_serial = soa_serial(update.rdata);
    if (!old_serial || !new_serial || !zone::serial_gt(*new_serial, *old_serial)) {
        ignored.push_back(fmt::format("{}: the serial is not greater than the current one",
                                      describe(update)));
        return false;
    }
    current->record.rdata = update.rdata;
    current->record.ttl = update.ttl;
    return true;
}

void WorkingZone::insert(zone::Record record)
{
    records_.push_back(WorkingRecord{std::move(record), std::nullopt});
}

// RFC 2136 section 3.4.2.3: class ANY deletes one RRset, or every RRset of a name. At the
// apex the SOA and NS RRsets are kept.
bool WorkingZone::delete_rrsets(const UpdateRecord& update, std::vector<std::string>& ignored)
{
    const bool at_apex = update.owner == origin_;
    if (update.type == rrtype::any) {
        return erase([&](const WorkingRecord& r) {
            return r.record.owner == update.owner &&
                   !(at_apex && (r.record.type == rrtype::soa || r.record.type == rrtype::ns));
        });
    }
    if (at_apex && (update.type == rrtype::soa || update.type == rrtype::ns)) {
        ignored.push_back(fmt::format("{}: the apex SOA and NS RRsets cannot be deleted",
                                      describe(update)));
        return false;
    }
    return erase([&](const WorkingRecord& r) {
        return r.record.owner == update.owner && r.record.type == update.type;
    });
}

// RFC 2136 section 3.4.2.4: class NONE deletes one record; never the SOA, never the last
// apex NS.
bool WorkingZone::delete_record(const UpdateRecord& update, std::vector<std::string>& ignored)
{
    if (update.type == rrtype::soa) {
        ignored.push_back(fmt::format("{}: the SOA record cannot be deleted", describe(update)));
        return false;
    }
    if (update.type == rrtype::ns && update.owner == origin_) {
        const auto values = rrset(update.owner, rrtype::ns);
        if (values.size() == 1 && same_rdata(rrtype::ns, values.front(), update.rdata)) {
            ignored.push_back(fmt::format("{}: the last NS record at the apex cannot be deleted",
                                          describe(update)));
            return false;
        }
    }
    return erase([&](const WorkingRecord& r) {
        return r.record.owner == update.owner && r.record.type == update.type &&
               same_rdata(update.type, r.record.rdata, update.rdata);
    });
}

// RFC 2136 section 3.2.5. Value-dependent prerequisites are gathered into RRsets and compared
// as sets after the others passed.
UpdateOutcome check_prerequisites(const WorkingZone& zone, const UpdateMessage& message)
{
    using RrsetKey = std::tuple<zone::Name, std::uint16_t>;
    std::map<RrsetKey, std::vector<std::vector<std::uint8_t>>> expected;
    for (const auto& prerequisite : message.prerequisites) {
        const std::string text = describe(prerequisite);
        if (prerequisite.ttl != 0) {
            return reject(Rcode::formerr, fmt::format("prerequisite {} has TTL {}; it must be 0",
                                                      text, prerequisite.ttl));
        }
        if (!prerequisite.owner.is_subdomain_of(message.zone)) {
            return reject(Rcode::notzone,
                          fmt::format("prerequisite {} is outside the zone", text));
        }
        const bool any_type = prerequisite.type == rrtype::any;
        if (prerequisite.rclass == rrclass::any || prerequisite.rclass == rrclass::none) {
            const bool must_exist = prerequisite.rclass == rrclass::any;
            if (!prerequisite.rdata.empty()) {
                return reject(Rcode::formerr,
                              fmt::format("prerequisite {} has rdata; it must have none", text));
            }
            if (!any_type && is_meta_type(prerequisite.type)) {
                return reject(Rcode::formerr,
                              fmt::format("prerequisite {} names a meta type", text));
            }
            const bool exists = any_type ? zone.name_in_use(prerequisite.owner)
                                         : zone.rrset_exists(prerequisite.owner, prerequisite.type);
            if (must_exist && !exists) {
                return reject(any_type ? Rcode::nxdomain : Rcode::nxrrset,
                              fmt::format("prerequisite failed: {} does not exist",
                                          any_type ? prerequisite.owner.to_string() : text));
            }
            if (!must_exist && exists) {
                return reject(any_type ? Rcode::yxdomain : Rcode::yxrrset,
                              fmt::format("prerequisite failed: {} exists",
                                          any_type ? prerequisite.owner.to_string() : text));
            }
            continue;
        }
        if (prerequisite.rclass != message.zone_class || is_meta_type(prerequisite.type)) {
            return reject(Rcode::formerr,
                          fmt::format("prerequisite {} has an invalid class or type", text));
        }
        WorkingZone::add_distinct(expected[RrsetKey{prerequisite.owner, prerequisite.type}],
                                  prerequisite.type, prerequisite.rdata);
    }

    for (const auto& [key, values] : expected) {
        const auto& [owner, type] = key;
        const auto actual = zone.rrset(owner, type);
        const bool equal =
            actual.size() == values.size() &&
            std::all_of(values.begin(), values.end(), [&, type = type](const auto& value) {
                return std::any_of(actual.begin(), actual.end(), [&](const auto& present) {
                    return same_rdata(type, present, value);
                });
            });
        if (!equal) {
            return reject(Rcode::nxrrset,
                          fmt::format("prerequisite failed: the {} {} RRset differs from the "
                                      "one required",
                                      owner.to_string(), zone::type_to_string(type)));
        }
    }
    return {};
}

// RFC 2136 section 3.4.1.3.
UpdateOutcome prescan_updates(const UpdateMessage& message)
{
    for (const auto& update : message.updates) {
        const std::string text = describe(update);
        if (!update.owner.is_subdomain_of(message.zone)) {
            return reject(Rcode::notzone, fmt::format("update {} is outside the zone", text));
        }
        if (update.rclass == message.zone_class) {
            if (is_meta_type(update.type)) {
                return reject(Rcode::formerr,
                              fmt::format("update {} adds a record of a meta type", text));
            }
        } else if (update.rclass == rrclass::any) {
            if (update.ttl != 0 || !update.rdata.empty() ||
                (is_meta_type(update.type) && update.type != rrtype::any)) {
                return reject(Rcode::formerr,
                              fmt::format("update {} deletes an RRset but has a TTL, rdata or "
                                          "a meta type",
                                          text));
            }
        } else if (update.rclass == rrclass::none) {
            if (update.ttl != 0 || is_meta_type(update.type)) {
                return reject(Rcode::formerr,
                              fmt::format("update {} deletes a record but has a TTL or a meta "
                                          "type",
                                          text));
            }
        } else {
            return reject(Rcode::formerr,
                          fmt::format("update {} has class {}, neither the zone's, ANY nor NONE",
                                      text, zone::class_to_string(update.rclass)));
        }
    }
    return {};
}

std::uint16_t class_of(const zone::Zone& zone)
{
    for (const auto& record : zone.records) {
        if (record.type == rrtype::soa && record.owner == zone.origin) {
            return record.rclass;
        }
    }
    return rrclass::in;
}

} // namespace

UpdateOutcome apply_update(const zone::Zone& zone, const UpdateMessage& message)
{
    const std::uint16_t zone_class = class_of(zone);
    if (message.zone_class != zone_class) {
        return reject(Rcode::notauth,
                      fmt::format("zone {} is served in class {}, not {}", zone.origin.to_string(),
                                  zone::class_to_string(zone_class),
                                  zone::class_to_string(message.zone_class)));
    }

    WorkingZone working(zone, zone_class);
    if (auto checked = check_prerequisites(working, message); checked.rcode != Rcode::noerror) {
        return checked;
    }
    if (auto scanned = prescan_updates(message); scanned.rcode != Rcode::noerror) {
        return scanned;
    }

    UpdateOutcome outcome;
    for (const auto& update : message.updates) {
        bool changed = false;
        if (update.rclass == rrclass::any) {
            changed = working.delete_rrsets(update, outcome.ignored);
        } else if (update.rclass == rrclass::none) {
            changed = working.delete_record(update, outcome.ignored);
        } else {
            changed = working.add(update, outcome.ignored);
        }
        outcome.changed = outcome.changed || changed;
    }
    outcome.records = working.take();
    return outcome;
}

std::optional<std::uint32_t> soa_serial(std::span<const std::uint8_t> rdata)
{
    // MNAME and RNAME come first, then SERIAL, REFRESH, RETRY, EXPIRE and MINIMUM (RFC 1035
    // section 3.3.13): the serial is the fifth-last 32-bit field.
    if (rdata.size() < 22) {
        return std::nullopt;
    }
    return read_u32(rdata.data() + rdata.size() - 20);
}

std::optional<std::uint32_t> raise_serial(const zone::Name& origin,
                                          std::vector<WorkingRecord>& records,
                                          std::uint32_t previous, std::uint32_t today)
{
    for (auto& working : records) {
        zone::Record& record = working.record;
        if (record.type != rrtype::soa || record.owner != origin) {
            continue;
        }
        const auto current = soa_serial(record.rdata);
        if (!current) {
            return std::nullopt;
        }
        if (zone::serial_gt(*current, previous)) {
            return current;
        }
        const std::uint32_t next = zone::next_serial(previous, today);
        write_u32(record.rdata.data() + record.rdata.size() - 20, next);
        return next;
    }
    return std::nullopt;
}

bool same_rdata(std::uint16_t type, std::span<const std::uint8_t> left,
                std::span<const std::uint8_t> right)
{
    if (left.size() != right.size()) {
        return false;
    }
    const auto offsets = zone::compressible_name_offsets(type, left);
    if (offsets.empty()) {
        return std::equal(left.begin(), left.end(), right.begin());
    }
    // Names are the same length in both when the sizes match and they compare equal, so
    // comparing every octet with ASCII case folding inside the names is enough.
    std::vector<bool> in_name(left.size(), false);
    for (const std::size_t offset : offsets) {
        std::size_t position = offset;
        while (position < left.size() && left[position] != 0) {
            const std::size_t length = left[position];
            std::fill(in_name.begin() + static_cast<std::ptrdiff_t>(position + 1),
                      in_name.begin() +
                          static_cast<std::ptrdiff_t>(std::min(position + 1 + length, left.size())),
                      true);
            position += length + 1;
        }
    }
    for (std::size_t i = 0; i < left.size(); ++i) {
        auto fold = [](std::uint8_t c) {
            return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c + ('a' - 'A')) : c;
        };
        const bool equal = in_name[i] ? fold(left[i]) == fold(right[i]) : left[i] == right[i];
        if (!equal) {
            return false;
        }
    }
    return true;
}

std::uint32_t today_yyyymmdd()
{
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    return static_cast<std::uint32_t>((utc.tm_year + 1900) * 10000 + (utc.tm_mon + 1) * 100 +
                                      utc.tm_mday);
}

zone::ZoneEdit plan_edit(const zone::Zone& zone, const std::vector<WorkingRecord>& records)
{
    zone::ZoneEdit edit;
    std::vector<bool> kept(zone.records.size(), false);
    for (const auto& working : records) {
        if (!working.original) {
            edit.added.push_back(working.record);
            continue;
        }
        kept[*working.original] = true;
        const zone::Record& before = zone.records[*working.original];
        const zone::Record& after = working.record;
        if (before.rdata == after.rdata) {
            if (before.ttl != after.ttl) {
                edit.ttl_changes.emplace_back(before, after.ttl);
            }
            continue;
        }
        const bool serial_only = after.type == rrtype::soa && before.ttl == after.ttl &&
                                 before.rdata.size() == after.rdata.size() &&
                                 std::equal(before.rdata.begin(), before.rdata.end() - 20,
                                            after.rdata.begin()) &&
                                 std::equal(before.rdata.end() - 16, before.rdata.end(),
                                            after.rdata.end() - 16);
        if (serial_only) {
            edit.serial = soa_serial(after.rdata);
        } else {
            edit.replaced.emplace_back(before, after);
        }
    }
    for (std::size_t i = 0; i < zone.records.size(); ++i) {
        if (!kept[i]) {
            edit.removed.push_back(zone.records[i]);
        }
    }
    return edit;
}

} // namespace robur::dns
