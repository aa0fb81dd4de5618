#pragma once

// DS records for a parent zone, computed from a DNSKEY (RFC 4034 section 5).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {

// DS digest types robur computes (IANA "Delegation Signer (DS) Resource Record (RR) Type
// Digest Algorithms").
enum class DigestType : std::uint8_t {
    sha256 = 2, // RFC 4509
    sha384 = 4, // RFC 6605
};

// "sha256" or "sha384".
[[nodiscard]] std::string_view digest_type_name(DigestType type);

// Parses "sha256", "sha384" in any letter case, or the numbers 2 and 4.
[[nodiscard]] std::optional<DigestType> digest_type_from_string(std::string_view text);

// Builds the DS RDATA for a DNSKEY RDATA at owner: key tag, algorithm, digest type, and the
// digest of the owner name in canonical wire form followed by the DNSKEY RDATA (RFC 4034
// section 5.1.4). Errors: invalid_argument when the RDATA is shorter than its 4-octet header;
// internal when OpenSSL fails.
Result<std::vector<std::uint8_t>>
ds_rdata(const zone::Name& owner, std::span<const std::uint8_t> dnskey_rdata, DigestType type);

// The DS record for a DNSKEY record, with the DNSKEY's owner, class and TTL.
Result<zone::Record> ds_record(const zone::Record& dnskey, DigestType type);

// Formats a DS record as dnssec-dsfromkey does, without a TTL because the parent zone sets
// it: "example.com. IN DS 12345 13 2 <hex digest>".
[[nodiscard]] std::string format_ds_line(const zone::Record& ds);

} // namespace robur::dnssec
