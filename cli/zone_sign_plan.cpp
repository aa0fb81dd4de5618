#include "cli/zone_sign_plan.hpp"

#include <algorithm>
#include <map>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "formats/zone/record.hpp"
#include "formats/zone/record_text.hpp"

namespace robur::cli {

namespace {

bool is_generated_type(std::uint16_t type)
{
    return type == zone::rrtype::rrsig || type == zone::rrtype::nsec ||
           type == zone::rrtype::nsec3 || type == zone::rrtype::nsec3param;
}

std::string ensure_final_newline(std::string text)
{
    if (!text.empty() && !text.ends_with('\n')) {
        text += '\n';
    }
    return text;
}

// The texts of the included files in the zone's order, for the digest.
std::vector<std::string> included_texts(const dns::LoadedZone& zone, const zone::FileTexts& texts)
{
    std::vector<std::string> out;
    for (std::size_t i = 1; i < zone.files.size(); ++i) {
        const auto found = texts.find(zone.files[i]);
        out.push_back(found == texts.end() ? std::string() : found->second);
    }
    return out;
}

// The generated records of the signed zone in master file format, one per line, as
// consecutive parts that threads format at once: the block of a large zone is hundreds of
// thousands of RRSIG and NSEC lines.
std::vector<std::string> format_block(const zone::Zone& signed_zone, std::size_t user_count)
{
    const std::size_t count =
        signed_zone.records.size() - std::min(user_count, signed_zone.records.size());
    const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1,
                                                        std::max<std::size_t>(count / 1000, 1));
    std::vector<std::string> parts(threads);
    auto format_part = [&](std::size_t part) {
        const std::size_t begin = user_count + count * part / threads;
        const std::size_t end = user_count + count * (part + 1) / threads;
        for (std::size_t i = begin; i < end; ++i) {
            zone::append_record_text(parts[part], signed_zone.records[i]);
            parts[part] += '\n';
        }
    };
    std::vector<std::thread> workers;
    for (std::size_t part = 1; part < threads; ++part) {
        workers.emplace_back(format_part, part);
    }
    format_part(0);
    for (auto& worker : workers) {
        worker.join();
    }
    return parts;
}

// Adds one warning per type of generated record removed from the user's part, located at the
// first, because a zone signed elsewhere can hold thousands of them.
void warn_of_generated_records(UserRecords& user)
{
    std::map<std::uint16_t, std::pair<const zone::Record*, std::size_t>> by_type;
    for (const auto& record : user.removed) {
        if (is_generated_type(record.type)) {
            auto& [first, count] = by_type.try_emplace(record.type, &record, 0).first->second;
            ++count;
        }
    }
    for (const auto& [type, found] : by_type) {
        const auto& [first, count] = found;
        user.warnings.push_back(
            {Severity::warning, first->where,
             fmt::format("removed {} {} record{} from the zone's own part, the first here: robur "
                         "zone sign writes DNSSEC records after the marker line",
                         count, zone::type_to_string(type), count == 1 ? "" : "s")});
    }
}

} // namespace

Result<CommittedZoneFiles> read_committed_files(const store::Snapshot& snapshot,
                                                const dns::LoadedZone& zone)
{
    CommittedZoneFiles files;
    files.master_path = zone.path;
    for (const auto& path : zone.files) {
        auto text = snapshot.read(path);
        if (!text) {
            return tl::unexpected(text.error());
        }
        files.texts[path] = std::move(*text);
    }
    if (!files.texts.contains(zone.path)) {
        return make_error(Errc::not_found, fmt::format("{}: file not found", zone.path));
    }
    files.parts = split_signed_file(files.texts[zone.path]);
    if (files.parts.block) {
        const auto digest = signed_file_digest(files.parts.user_text,
                                               included_texts(zone, files.texts),
                                               *files.parts.block);
        files.block_intact = !digest.empty() && digest == files.parts.digest;
    }
    return files;
}

UserRecords user_records(const dns::LoadedZone& zone, const CommittedZoneFiles& files,
                         const std::vector<dnssec::KeyPair>& signing_keys)
{
    UserRecords user;
    user.zone.origin = zone.result.zone.origin;
    user.zone.files = zone.result.zone.files;
    for (const auto& record : zone.result.zone.records) {
        const bool in_block = files.parts.marker_line != 0 &&
                              record.where.path == files.master_path &&
                              record.where.line > files.parts.marker_line;
        if (in_block) {
            continue;
        }
        if (is_generated_type(record.type)) {
            user.removed.push_back(record);
            continue;
        }
        const bool foreign_dnskey = record.type == zone::rrtype::dnskey &&
                                    record.owner == user.zone.origin && record.rdata.size() >= 4;
        if (foreign_dnskey &&
            std::none_of(signing_keys.begin(), signing_keys.end(), [&](const auto& key) {
                return static_cast<std::uint8_t>(key.algorithm) == record.rdata[3];
            })) {
            // Every algorithm in the DNSKEY RRset must sign every RRset (RFC 4035 section 2.2).
            user.removed.push_back(record);
            user.warnings.push_back(
                {Severity::warning, record.where,
                 fmt::format("removed DNSKEY record of algorithm {}: no signing key of the zone "
                             "has that algorithm",
                             record.rdata[3])});
            continue;
        }
        user.zone.records.push_back(record);
    }
    warn_of_generated_records(user);
    return user;
}

bool set_soa_serial(zone::Zone& zone, std::uint32_t serial)
{
    for (auto& record : zone.records) {
        if (record.type != zone::rrtype::soa || record.owner != zone.origin) {
            continue;
        }
        // SERIAL is the fifth-last 32-bit field of the SOA rdata (RFC 1035 section 3.3.13).
        if (record.rdata.size() < 22) {
            return false;
        }
        auto* field = record.rdata.data() + record.rdata.size() - 20;
        for (int shift = 24, i = 0; shift >= 0; shift -= 8, ++i) {
            field[i] = static_cast<std::uint8_t>(serial >> shift);
        }
        return true;
    }
    return false;
}

Result<zone::FileTexts> build_signed_files(const dns::LoadedZone& zone,
                                           const CommittedZoneFiles& files,
                                           const UserRecords& user, const zone::Zone& signed_zone,
                                           std::optional<std::uint32_t> new_serial,
                                           std::vector<Diagnostic>& warnings)
{
    zone::ZoneEdit edit;
    edit.removed = user.removed;
    edit.serial = new_serial;
    // sign_zone keeps the input records first and in order. It may give an RRset one TTL, or
    // the DNSKEY RRset the configured TTL, so the file must state the TTL that was signed.
    const std::size_t user_count = user.zone.records.size();
    for (std::size_t i = 0; i < user_count && i < signed_zone.records.size(); ++i) {
        const auto& before = user.zone.records[i];
        const auto ttl = signed_zone.records[i].ttl;
        if (before.ttl != ttl) {
            edit.ttl_changes.emplace_back(before, ttl);
            warnings.push_back(
                {Severity::warning, before.where,
                 fmt::format("TTL of {} {} changed from {} to {} to match what was signed",
                             before.owner.to_string(), zone::type_to_string(before.type),
                             before.ttl, ttl)});
        }
    }

    auto edited = zone::edit_zone_files(zone.result.zone, files.texts, edit);
    if (!edited) {
        return tl::unexpected(edited.error());
    }
    zone::FileTexts texts = files.texts;
    for (auto& [path, text] : *edited) {
        texts[path] = std::move(text);
    }

    const auto parts = split_signed_file(texts[files.master_path]);
    const std::string user_text = ensure_final_newline(parts.user_text);
    const auto block = format_block(signed_zone, user_count);
    const auto serial = new_serial ? *new_serial : signed_zone.serial().value_or(0);
    const auto digest = signed_file_digest(user_text, included_texts(zone, texts), block);
    texts[files.master_path] = join_signed_file(user_text, serial, digest, block);

    zone::FileTexts changed;
    for (auto& [path, text] : texts) {
        const auto old = files.texts.find(path);
        if (old == files.texts.end() || old->second != text) {
            changed[path] = std::move(text);
        }
    }
    return changed;
}

} // namespace robur::cli
