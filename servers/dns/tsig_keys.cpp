#include "servers/dns/tsig_keys.hpp"

#include <charconv>

#include <fmt/format.h>

#include "formats/zone/parser.hpp"
#include "formats/zone/record.hpp"

namespace robur::dns::tsig {

namespace {

constexpr std::uint16_t dnskey_flags = 0;
constexpr std::uint8_t dnskey_protocol = 3;

std::optional<std::uint8_t> parse_octet(std::string_view label)
{
    unsigned value = 256;
    const auto* end = label.data() + label.size();
    auto [ptr, ec] = std::from_chars(label.data(), end, value);
    if (ec != std::errc{} || ptr != end || value > 255 || label.empty() || label.size() > 3) {
        return std::nullopt;
    }
    return static_cast<std::uint8_t>(value);
}

// Reads four labels starting at first as an IPv4 address, leftmost label first.
std::optional<Ipv4Address> parse_address(const zone::Name& name, std::size_t first)
{
    Ipv4Address address{};
    for (std::size_t i = 0; i < 4; ++i) {
        auto octet = parse_octet(name.label(first + i));
        if (!octet) {
            return std::nullopt;
        }
        address.at(i) = *octet;
    }
    return address;
}

bool label_is(std::string_view label, std::string_view expected)
{
    if (label.size() != expected.size()) {
        return false;
    }
    for (std::size_t i = 0; i < label.size(); ++i) {
        const char c = label[i];
        const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        if (lower != expected[i]) {
            return false;
        }
    }
    return true;
}

Result<Algorithm> algorithm_from_dnskey(std::uint8_t number)
{
    if (number == dnskey_hmac_md5) {
        return make_error(Errc::unsupported, "algorithm 157 (hmac-md5) is not supported");
    }
    if (number < dnskey_hmac_sha1 || number > dnskey_hmac_sha1 + 4) {
        return make_error(
            Errc::unsupported,
            fmt::format("DNSKEY algorithm {} is not a TSIG algorithm (161 to 165)", number));
    }
    return static_cast<Algorithm>(number - dnskey_hmac_sha1);
}

// Decodes one DNSKEY record of a keys file into a key.
Result<Key> key_from_record(const zone::Record& record)
{
    const auto& rdata = record.rdata;
    if (rdata.size() < 4) {
        return make_error(Errc::parse_error, "DNSKEY RDATA is shorter than 4 octets");
    }
    const auto flags = static_cast<std::uint16_t>((rdata[0] << 8) | rdata[1]);
    if (flags != dnskey_flags || rdata[2] != dnskey_protocol) {
        return make_error(Errc::invalid_argument,
                          fmt::format("flags {} and protocol {} must be 0 and 3", flags, rdata[2]));
    }
    auto algorithm = algorithm_from_dnskey(rdata[3]);
    if (!algorithm) {
        return tl::unexpected(algorithm.error());
    }
    if (rdata.size() == 4) {
        return make_error(Errc::invalid_argument, "the secret is empty");
    }
    return Key{record.owner, *algorithm, {rdata.begin() + 4, rdata.end()}};
}

} // namespace

std::optional<KeyRole> role_from_name(const zone::Name& name)
{
    const std::size_t count = name.label_count();
    for (std::size_t i = 0; i < count; ++i) {
        const std::string_view label = name.label(i);
        KeyRole role;
        if (label_is(label, "_update")) {
            role.operation = Operation::update;
        } else if (label_is(label, "_transfer")) {
            role.operation = Operation::transfer;
        } else if (label_is(label, "_notify")) {
            role.operation = Operation::notify;
        } else {
            continue;
        }

        role.zone = name.suffix(count - i - 1);
        if (i == 8) {
            role.primary = parse_address(name, 0);
            role.secondary = parse_address(name, 4);
            if (!role.primary || !role.secondary) {
                role.primary.reset();
                role.secondary.reset();
            }
        }
        return role;
    }
    return std::nullopt;
}

std::uint8_t dnskey_algorithm(Algorithm algorithm)
{
    return static_cast<std::uint8_t>(dnskey_hmac_sha1 + static_cast<std::uint8_t>(algorithm));
}

bool authorises(const KeyEntry& entry, Operation operation, const zone::Name& zone)
{
    if (!entry.role) {
        return false;
    }
    return operation <= entry.role->operation && zone.is_subdomain_of(entry.role->zone);
}

Result<void> KeyTable::add(KeyEntry entry)
{
    zone::Name name = entry.key.name;
    if (!keys_.try_emplace(name, std::move(entry)).second) {
        return make_error(Errc::conflict,
                          fmt::format("TSIG key {} is defined twice", name.to_string()));
    }
    return {};
}

const KeyEntry* KeyTable::find(const zone::Name& name) const
{
    auto found = keys_.find(name);
    return found == keys_.end() ? nullptr : &found->second;
}

KeyLookup KeyTable::lookup() const
{
    return [this](const zone::Name& name) -> const Key* {
        const KeyEntry* entry = find(name);
        return entry == nullptr ? nullptr : &entry->key;
    };
}

std::optional<zone::Name> keys_file_origin(std::string_view file_name)
{
    constexpr std::string_view suffix = "._keys";
    if (file_name == "_keys") {
        return zone::Name{};
    }
    if (!file_name.ends_with(suffix) || file_name.size() == suffix.size()) {
        return std::nullopt;
    }
    auto origin = zone::Name::parse(fmt::format("{}.", file_name.substr(0, file_name.size() - 6)));
    if (!origin) {
        return std::nullopt;
    }
    return *origin;
}

std::vector<Diagnostic> load_keys(std::string_view text, std::string_view path,
                                  const zone::Name& origin, KeyTable& table)
{
    zone::ParseOptions options;
    options.origin = origin;
    options.default_ttl = 0;
    zone::ParseResult parsed = zone::parse_zone(text, path, options);
    std::vector<Diagnostic> diagnostics = std::move(parsed.diagnostics);

    for (const zone::Record& record : parsed.zone.records) {
        if (record.type != zone::rrtype::dnskey) {
            continue;
        }
        auto key = key_from_record(record);
        Result<void> added;
        if (key) {
            added = table.add(KeyEntry{*key, role_from_name(key->name)});
        } else {
            added = tl::unexpected(key.error());
        }
        if (!added) {
            diagnostics.push_back(Diagnostic{
                Severity::error, record.where,
                fmt::format("TSIG key {}: {}", record.owner.to_string(), added.error().message)});
        }
    }
    return diagnostics;
}

} // namespace robur::dns::tsig
