#pragma once

// DNSSEC signing algorithms that robur signs with (RFC 8624 lists them as the ones to use).

#include <cstdint>
#include <optional>
#include <string_view>

namespace robur::dnssec {

// DNSKEY and RRSIG algorithm numbers (IANA "DNS Security Algorithm Numbers").
enum class Algorithm : std::uint8_t {
    rsasha256 = 8,        // RFC 5702
    ecdsap256sha256 = 13, // RFC 6605
    ed25519 = 15,         // RFC 8080
};

// The lower-case mnemonic used on the command line: "rsasha256", "ecdsap256sha256", "ed25519".
[[nodiscard]] std::string_view algorithm_name(Algorithm algorithm);

// Parses a mnemonic in any letter case, or the algorithm's number ("13"); nothing for other
// algorithms, including those robur can verify but does not sign with.
[[nodiscard]] std::optional<Algorithm> algorithm_from_string(std::string_view text);

// The algorithm with this number, when robur signs with it.
[[nodiscard]] std::optional<Algorithm> algorithm_from_number(std::uint8_t number);

} // namespace robur::dnssec
