#pragma once

// The catalog zone (RFC 9432) that the primary publishes of every zone it serves, so that
// secondaries that consume catalogs (BIND, Knot, NSD) add and drop member zones without a
// change to their configuration. robur.conf names it:
//
//   [dns]
//       catalog = catalog.invalid
//
// The zone holds the SOA, the NS record "invalid." (RFC 9432 section 4.1), the version
// property `version TXT "2"` and one `<id>.zones PTR <member>` record per served zone. Each id
// is the first 64 bits of the SHA-256 digest of the member's lower-cased wire name in hex, so
// a member keeps its id across reloads and restarts.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/zone.hpp"

namespace robur::dns {

// The member label of zone in a catalog: 16 lower-case hex digits.
[[nodiscard]] std::string catalog_member_id(const zone::Name& member);

// Builds the catalog zone named catalog listing members, with serial. Members at or below the
// catalog's own name are left out. Errors: invalid_argument when a record cannot be built.
[[nodiscard]] Result<zone::Zone> build_catalog_zone(const zone::Name& catalog,
                                                    const std::vector<zone::Name>& members,
                                                    std::uint32_t serial);

// Chooses catalog serials: a new serial only when the member list changes. The first serial is
// the time in seconds since 1970, so a restarted server does not go back below what its
// secondaries hold (RFC 1982 arithmetic allows about 68 years of such serials).
class CatalogSerial {
public:
    // The serial for this member list at time now (seconds since 1970).
    std::uint32_t next(const std::vector<zone::Name>& members, std::uint64_t now);

private:
    std::optional<std::vector<zone::Name>> members_;
    std::uint32_t serial_ = 0;
};

} // namespace robur::dns
