#pragma once

// TSIG keys kept in the data repository as DNSKEY records in `_keys` zone files, in the
// convention of dns-primary-git (ocaml-dns): flags 0, protocol 3, algorithm 161 to 165 for
// HMAC-SHA1, -SHA224, -SHA256, -SHA384 and -SHA512, and the secret in base64. The key name
// states what the key may do:
//
//   <label>._update.<zone>    update, transfer and notify for <zone> and below
//   <label>._transfer.<zone>  transfer and notify
//   <label>._notify.<zone>    notify only
//
// where <label> may be two IPv4 addresses, `<primary>.<secondary>._transfer.<zone>`, naming
// the primary and the secondary it notifies.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "servers/dns/tsig.hpp"

namespace robur::dns::tsig {

// DNSKEY algorithm numbers that dns-primary-git uses for TSIG secrets.
inline constexpr std::uint8_t dnskey_hmac_md5 = 157;
inline constexpr std::uint8_t dnskey_hmac_sha1 = 161;

// Operations a key can be allowed, weakest first: each role allows the ones before it.
enum class Operation : std::uint8_t { notify, transfer, update };

using Ipv4Address = std::array<std::uint8_t, 4>;

// The rights that the key's name encodes.
struct KeyRole {
    Operation operation = Operation::notify; // strongest operation allowed
    zone::Name zone;                         // applies to this zone and below
    std::optional<Ipv4Address> primary;
    std::optional<Ipv4Address> secondary;
};

// A key with its role; keys whose name has no _update, _transfer or _notify label have none
// and authorise nothing.
struct KeyEntry {
    Key key;
    std::optional<KeyRole> role;
};

// The role encoded in a key name, or nothing when it has none.
[[nodiscard]] std::optional<KeyRole> role_from_name(const zone::Name& name);

// The DNSKEY algorithm number of algorithm, 161 to 165.
[[nodiscard]] std::uint8_t dnskey_algorithm(Algorithm algorithm);

// True when entry's role allows operation on zone (the zone is the role's zone or below it).
[[nodiscard]] bool authorises(const KeyEntry& entry, Operation operation, const zone::Name& zone);

// TSIG keys by name; names compare as DNS names.
class KeyTable {
public:
    // Adds entry; fails when a key of that name is already present.
    Result<void> add(KeyEntry entry);

    // The key with this name, or null.
    [[nodiscard]] const KeyEntry* find(const zone::Name& name) const;
    [[nodiscard]] std::size_t size() const { return keys_.size(); }

    // Calls visit(const KeyEntry&) for every key, in no particular order.
    template <typename Visit> void for_each(Visit&& visit) const
    {
        for (const auto& item : keys_) {
            visit(item.second);
        }
    }

    // A lookup for verify_request; it refers to this table, which must outlive it.
    [[nodiscard]] KeyLookup lookup() const;

private:
    std::unordered_map<zone::Name, KeyEntry, zone::NameHash> keys_;
};

// The origin of a keys file by its file name: `_keys` is the root, `example.com._keys` is
// example.com. Returns nothing for other names.
[[nodiscard]] std::optional<zone::Name> keys_file_origin(std::string_view file_name);

// Parses a keys zone file and adds its DNSKEY records to table. Records of other types are
// ignored. Reports every fault (parse errors, hmac-md5, bad flags, protocol or algorithm,
// duplicates) as a diagnostic naming the key, and skips that key.
std::vector<Diagnostic> load_keys(std::string_view text, std::string_view path,
                                  const zone::Name& origin, KeyTable& table);

} // namespace robur::dns::tsig
