#include "servers/dns/notify_targets.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "servers/dns/notify_message.hpp"

namespace robur::dns {

namespace {

namespace rrtype = zone::rrtype;

// Splits text at blanks and tabs.
std::vector<std::string_view> split_words(std::string_view text)
{
    std::vector<std::string_view> words;
    std::size_t position = 0;
    while (position < text.size()) {
        const auto start = text.find_first_not_of(" \t", position);
        if (start == std::string_view::npos) {
            break;
        }
        const auto end = std::min(text.find_first_of(" \t", start), text.size());
        words.push_back(text.substr(start, end - start));
        position = end;
    }
    return words;
}

// Adds target, or merges it into the target with the same address and port.
void add_target(std::vector<NotifyTarget>& targets, NotifyTarget target)
{
    const auto same = std::find_if(targets.begin(), targets.end(), [&](const NotifyTarget& known) {
        return known.address == target.address;
    });
    if (same == targets.end()) {
        targets.push_back(std::move(target));
        return;
    }
    if (!same->key && target.key) {
        same->key = std::move(target.key);
    }
    same->source += ", " + target.source;
}

// The MNAME field of the zone's SOA: the first name of the RDATA, which is never compressed.
std::optional<zone::Name> soa_mname(const CompiledZone& zone)
{
    const auto soa = soa_record(zone);
    if (!soa) {
        return std::nullopt;
    }
    const std::span<const std::uint8_t> rdata(soa->rdata);
    std::size_t length = 0;
    while (length < rdata.size() && rdata[length] != 0) {
        length += std::size_t{rdata[length]} + 1;
    }
    if (length >= rdata.size()) {
        return std::nullopt;
    }
    auto name = zone::Name::from_wire(rdata.first(length + 1));
    return name ? std::optional<zone::Name>(std::move(*name)) : std::nullopt;
}

// The A and AAAA addresses of name in every zone of zones that has a node for it.
std::vector<asio::ip::address> addresses_of(const zone::Name& name, const ZoneSet& zones)
{
    const zone::Name lower = name.lowercase();
    std::vector<asio::ip::address> addresses;
    for (const auto& served : zones.zones()) {
        if (!served->contains(lower.wire())) {
            continue;
        }
        const auto index = served->find_node(lower.wire());
        if (index == no_index) {
            continue;
        }
        const auto& node = served->node(index);
        for (const auto type : {rrtype::a, rrtype::aaaa}) {
            const auto* rrset = served->find_rrset(node, type);
            if (rrset == nullptr) {
                continue;
            }
            for (std::uint32_t i = 0; i < rrset->record_count; ++i) {
                const auto rdata = served->record(rrset->first_record + i).rdata;
                if (type == rrtype::a && rdata.size() == 4) {
                    asio::ip::address_v4::bytes_type bytes{};
                    std::copy(rdata.begin(), rdata.end(), bytes.begin());
                    addresses.emplace_back(asio::ip::address_v4(bytes));
                } else if (type == rrtype::aaaa && rdata.size() == 16) {
                    asio::ip::address_v6::bytes_type bytes{};
                    std::copy(rdata.begin(), rdata.end(), bytes.begin());
                    addresses.emplace_back(asio::ip::address_v6(bytes));
                }
            }
        }
    }
    return addresses;
}

// RFC 1996 section 3.6: the servers the apex NS RRset names, except the primary (SOA MNAME).
void add_ns_targets(std::vector<NotifyTarget>& targets, const zone::Name& origin,
                    const ZoneSet& zones)
{
    const zone::Name lower = origin.lowercase();
    const CompiledZone* served = zones.find_exact(lower.wire());
    if (served == nullptr) {
        return;
    }
    const auto* ns = served->find_rrset(served->node(served->apex()), rrtype::ns);
    if (ns == nullptr) {
        return;
    }
    const auto mname = soa_mname(*served);
    for (std::uint32_t i = 0; i < ns->record_count; ++i) {
        auto server = zone::Name::from_wire(served->record(ns->first_record + i).rdata);
        if (!server || (mname && *server == *mname)) {
            continue;
        }
        for (const auto& address : addresses_of(*server, zones)) {
            add_target(targets, NotifyTarget{.address = {address, ListenAddress::default_port},
                                             .key = std::nullopt,
                                             .source = "NS " + server->to_string()});
        }
    }
}

// The secondaries that `<primary-ip>.<secondary-ip>._transfer.<zone>` keys name. The table is
// walked in name order, so the targets do not depend on hash order.
void add_key_targets(std::vector<NotifyTarget>& targets, const zone::Name& origin,
                     const tsig::KeyTable& keys)
{
    std::vector<const tsig::KeyEntry*> entries;
    keys.for_each([&](const tsig::KeyEntry& entry) {
        if (entry.role && entry.role->secondary &&
            entry.role->operation == tsig::Operation::transfer &&
            origin.is_subdomain_of(entry.role->zone)) {
            entries.push_back(&entry);
        }
    });
    std::sort(entries.begin(), entries.end(),
              [](const auto* left, const auto* right) { return left->key.name < right->key.name; });
    for (const auto* entry : entries) {
        const asio::ip::address_v4 address(*entry->role->secondary);
        add_target(targets, NotifyTarget{.address = {address, ListenAddress::default_port},
                                         .key = entry->key,
                                         .source = "key " + entry->key.name.to_string()});
    }
}

} // namespace

Result<AlsoNotify> parse_also_notify(std::string_view text)
{
    const auto words = split_words(text);
    const bool has_key = words.size() == 3 && (words[1] == "key" || words[1] == "KEY");
    if (words.size() != 1 && !has_key) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid also-notify value \"{}\": expected ADDRESS[:PORT] "
                                      "or ADDRESS[:PORT] key NAME",
                                      text));
    }
    auto address = parse_listen_address(words[0]);
    if (!address) {
        return make_error(
            Errc::invalid_argument,
            fmt::format("invalid also-notify value \"{}\": {}", text, address.error().message));
    }
    AlsoNotify result{*address, std::nullopt};
    if (has_key) {
        auto name = zone::Name::parse(words[2], zone::Name{});
        if (!name) {
            return make_error(Errc::invalid_argument,
                              fmt::format("invalid key name in also-notify value \"{}\": {}", text,
                                          name.error().message));
        }
        result.key_name = std::move(*name);
    }
    return result;
}

Result<std::vector<NotifyTarget>> notify_targets(const zone::Name& zone, const ZoneSet& zones,
                                                 const tsig::KeyTable& keys,
                                                 const std::vector<std::string>& also_notify)
{
    std::vector<NotifyTarget> targets;
    for (const auto& value : also_notify) {
        auto entry = parse_also_notify(value);
        if (!entry) {
            return tl::unexpected(entry.error());
        }
        NotifyTarget target{
            .address = entry->address, .key = std::nullopt, .source = "also-notify"};
        if (entry->key_name) {
            const auto* key = keys.find(*entry->key_name);
            if (key == nullptr) {
                return make_error(Errc::not_found,
                                  fmt::format("also-notify key {} of zone {} is not in the keys "
                                              "files",
                                              entry->key_name->to_string(), zone.to_string()));
            }
            target.key = key->key;
        }
        add_target(targets, std::move(target));
    }

    add_key_targets(targets, zone, keys);
    add_ns_targets(targets, zone, zones);
    return targets;
}

} // namespace robur::dns
