#pragma once

// Presentation format of whole records, written without ldns for the types a signed zone is
// mostly made of, because printing through ldns and reading the text back dominates the time
// to write a large signed zone.

#include <string>

#include "formats/zone/record.hpp"

namespace robur::zone {

// Appends "owner TTL class type rdata" with an absolute owner name, the text record_to_string
// returns. The rdata of A, AAAA, NS, CNAME, SOA, MX, DS, DNSKEY, RRSIG, NSEC, NSEC3 and
// NSEC3PARAM records is written here as ldns 1.8.3 prints it. Other types, and rdata that does
// not have its type's exact layout, go through rdata_to_string.
void append_record_text(std::string& out, const Record& record);

} // namespace robur::zone
