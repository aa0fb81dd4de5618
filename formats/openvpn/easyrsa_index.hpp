#pragma once

// easy-rsa 3's certificate database: pki/index.txt (OpenSSL `ca`'s text database) and
// pki/serial. Reading and writing them keeps a pki/ folder usable by easyrsa after robur
// changed it, and the other way round.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"

namespace robur::openvpn {

// Status letters of index.txt: V valid, R revoked, E expired.
enum class IndexStatus { valid, revoked, expired };

// One line of index.txt. Times are Unix seconds.
struct IndexEntry {
    IndexStatus status = IndexStatus::valid;
    std::int64_t expires_at = 0;
    std::int64_t revoked_at = 0;     // 0 unless revoked
    std::string revocation_reason;   // "keyCompromise", ...; empty when none was given
    std::string serial;              // upper-case hexadecimal
    std::string file_name = "unknown";
    std::string subject;             // "/CN=client1"

    // The CN of the subject, or empty when there is none.
    [[nodiscard]] std::string common_name() const;
};

struct IndexOutcome {
    std::vector<IndexEntry> entries;
    std::vector<Diagnostic> diagnostics; // one per malformed line, which is skipped
};

// Parses index.txt. `path` is used in diagnostics.
[[nodiscard]] IndexOutcome parse_index(std::string_view text, std::string_view path);

// Writes index.txt in OpenSSL's format, one entry per line.
[[nodiscard]] std::string write_index(const std::vector<IndexEntry>& entries);

// Formats a time as index.txt and OpenSSL do: UTCTime "YYMMDDHHMMSSZ" before 2050,
// GeneralizedTime "YYYYMMDDHHMMSSZ" from 2050 on (RFC 5280 section 4.1.2.5).
[[nodiscard]] std::string format_index_time(std::int64_t unix_seconds);

// Parses either form. Errors: parse_error naming the text.
[[nodiscard]] Result<std::int64_t> parse_index_time(std::string_view text);

} // namespace robur::openvpn
