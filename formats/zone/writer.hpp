#pragma once

#include <string>
#include <vector>

#include "formats/zone/zone.hpp"

namespace robur::zone {

// Returns a byte string whose octet-wise order is the canonical name order of RFC 4034
// section 6.1. It contains the labels from the right, lower-cased, each ended by a zero octet,
// and octets 0 and 1 inside a label are escaped with a leading 1. Names equal under operator==
// give equal keys, so sorting many names can compare keys instead of labels.
[[nodiscard]] std::string canonical_name_key(const Name& name);

// Returns the records in canonical order: owner names in RFC 4034 section 6.1 order, the
// SOA first at the apex, then by type number and by rdata octets. Records with the same
// owner, type, class and rdata are kept once (the first, with its TTL).
std::vector<Record> canonical_records(const Zone& zone);

// Writes the zone in canonical presentation format: a $ORIGIN line, then one record per line
// as "owner TTL class type rdata" with absolute owner names, in canonical_records() order.
// Parsing the output again with the same origin gives the same records.
std::string format_zone(const Zone& zone);

} // namespace robur::zone
