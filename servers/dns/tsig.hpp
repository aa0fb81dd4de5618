#pragma once

// Transaction signatures (TSIG, RFC 8945) on raw DNS messages: verifying a signed request,
// signing its answer or the messages of a multi-message answer, and signing a request robur
// sends. Only HMAC-SHA1 and the HMAC-SHA2 family are supported; HMAC-MD5 is rejected.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/name.hpp"

namespace robur::dns::tsig {

enum class Algorithm : std::uint8_t {
    hmac_sha1,
    hmac_sha224,
    hmac_sha256,
    hmac_sha384,
    hmac_sha512
};

// The algorithm with this name ("hmac-sha256." or "HMAC-SHA256"); fails for hmac-md5 and for
// names that are not TSIG algorithms.
Result<Algorithm> algorithm_from_name(const zone::Name& name);
Result<Algorithm> algorithm_from_string(std::string_view text);

// The algorithm's name as RFC 8945 section 6 lists it, without the trailing dot.
[[nodiscard]] std::string_view algorithm_string(Algorithm algorithm);
[[nodiscard]] zone::Name algorithm_name(Algorithm algorithm);

// Length in octets of the algorithm's untruncated HMAC output.
[[nodiscard]] std::size_t digest_size(Algorithm algorithm);

// A shared secret and the name both sides know it by.
struct Key {
    zone::Name name;
    Algorithm algorithm = Algorithm::hmac_sha256;
    std::vector<std::uint8_t> secret;
};

// Error values in the TSIG record's Error field (RFC 8945 section 3 and 5.2).
enum class TsigError : std::uint16_t {
    noerror = 0,
    badsig = 16,
    badkey = 17,
    badtime = 18,
    badtrunc = 22,
};

inline constexpr std::uint16_t rcode_formerr = 1;
inline constexpr std::uint16_t rcode_notauth = 9;   // RFC 8945 section 5.2: every TSIG error
inline constexpr std::uint16_t default_fudge = 300; // seconds, RFC 8945 section 10
inline constexpr std::uint16_t tsig_type = 250;
inline constexpr std::uint16_t any_class = 255;

// The fields of a TSIG record's RDATA (RFC 8945 section 4.2) and where it sits in its message.
struct Record {
    zone::Name key_name;
    zone::Name algorithm;
    std::uint64_t time_signed = 0; // seconds since 1970, 48 bits on the wire
    std::uint16_t fudge = 0;       // seconds
    std::vector<std::uint8_t> mac;
    std::uint16_t original_id = 0;
    std::uint16_t error = 0;
    std::vector<std::uint8_t> other_data;
    std::size_t offset = 0; // where the TSIG RR starts; the signed message ends there
};

// Finds the TSIG record of message; returns nothing when the message has none. Fails with
// Errc::parse_error when the message or the record is malformed or the TSIG RR is not the last
// record of the additional section. It also fails when the class is not ANY or the TTL not 0.
Result<std::optional<Record>> find_record(std::span<const std::uint8_t> message);

// Looks a key up by name; returns null when it is unknown. Names compare as DNS names.
using KeyLookup = std::function<const Key*(const zone::Name& name)>;

enum class Status : std::uint8_t {
    unsigned_message, // no TSIG record: the caller decides whether that is allowed
    verified,
    formerr,  // malformed TSIG record or MAC length outside RFC 8945 section 5.2.2.1
    badkey,   // unknown key or algorithm differs from the key's
    badsig,   // MAC does not match
    badtime,  // MAC matches but time signed is outside the fudge
    badtrunc, // MAC matches but is shorter than the local minimum
};

[[nodiscard]] std::string_view to_string(Status status);

// What the checks found, and what signing the answer needs.
struct Verification {
    Status status = Status::unsigned_message;
    std::optional<Record> record; // the request's TSIG record, when it could be parsed
    const Key* key = nullptr;     // the key that matched, for verified, badtime and badtrunc
    std::string message;          // one line for logs: why the check failed; never a secret
};

struct VerifyOptions {
    std::uint64_t now = 0;        // seconds since 1970
    std::size_t min_mac_size = 0; // local minimum; shorter valid MACs get BADTRUNC
};

// Verifies the TSIG record of a request (RFC 8945 section 5.2): format, key, MAC, time and
// truncation, in that order.
Verification verify_request(std::span<const std::uint8_t> message, const KeyLookup& keys,
                            const VerifyOptions& options);

// Verifies an answer to a request we signed with key; request_mac is that request's MAC
// (RFC 8945 section 5.3). Unsigned answers and TSIG errors are reported in the status.
Verification verify_answer(std::span<const std::uint8_t> message, const Key& key,
                           std::span<const std::uint8_t> request_mac, const VerifyOptions& options);

// Values of a TSIG record to append; the MAC is computed.
struct SignOptions {
    std::uint64_t time_signed = 0;
    std::uint16_t fudge = default_fudge;
    TsigError error = TsigError::noerror;
    std::vector<std::uint8_t> other_data;
};

// Appends a TSIG record to a request (RFC 8945 section 5.1) and increments ARCOUNT. Returns
// the MAC, which the caller keeps to verify the answer. Fails when the message has no header.
Result<std::vector<std::uint8_t>> sign_request(std::vector<std::uint8_t>& message, const Key& key,
                                               const SignOptions& options);

// Appends the TSIG record to the answer of a request that verify_request checked (RFC 8945
// section 5.2 and 5.3). A verified request's answer is signed with the request MAC. A BADTIME
// answer is signed too and carries the server time in Other Data. BADKEY, BADSIG and BADTRUNC
// answers are unsigned (empty MAC). Every error answer gets RCODE NOTAUTH. Returns the MAC
// (empty when unsigned), which a multi-message answer passes on to sign_subsequent. Fails
// for unsigned_message and formerr, which get no TSIG record.
Result<std::vector<std::uint8_t>> sign_answer(std::vector<std::uint8_t>& answer,
                                              const Verification& request, std::uint64_t now);

// Signs a second or later message of a multi-message answer such as AXFR (RFC 8945 section
// 5.3.1): the MAC covers the prior MAC, this message and the timers only. Returns the new MAC
// for the next message.
Result<std::vector<std::uint8_t>> sign_subsequent(std::vector<std::uint8_t>& message,
                                                  const Key& key,
                                                  std::span<const std::uint8_t> prior_mac,
                                                  const SignOptions& options);

} // namespace robur::dns::tsig
