#pragma once

// BIND's key file pair for a DNSSEC key, so that BIND tools read robur's keys and robur
// imports keys that dnssec-keygen made:
//
//   K<zone>.+<algorithm, 3 digits>+<key tag, 5 digits>.key      comments and the DNSKEY record
//   K<zone>.+<algorithm, 3 digits>+<key tag, 5 digits>.private  "Private-key-format: v1.3",
//       "Algorithm: 13 (ECDSAP256SHA256)", the key fields in base64, timing metadata
//
// A data repository keeps them in keys/dnssec/<zone>/, where the store writes the .private
// file with mode 0600.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/zone/record.hpp"

namespace robur::dnssec {

// BIND's timing metadata of a key, in seconds since the Unix epoch; nullopt when unset.
struct KeyTiming {
    std::optional<std::int64_t> created;
    std::optional<std::int64_t> publish;
    std::optional<std::int64_t> activate;
    std::optional<std::int64_t> inactive;
    std::optional<std::int64_t> revoke;
    std::optional<std::int64_t> remove; // BIND's "Delete:" field
};

// A key with its timing metadata, as read from or written to the two files.
struct KeyFiles {
    KeyPair key;
    KeyTiming timing;
};

// BIND's upper-case mnemonic of an algorithm, as key files and dnssec-keygen write it:
// "RSASHA256", "ECDSAP256SHA256", "ED25519".
[[nodiscard]] std::string_view bind_algorithm_name(Algorithm algorithm);

// The repository folder of a zone's keys: "keys/dnssec/example.com", with the zone name in
// lower case and without the trailing dot ("keys/dnssec/root" for the root zone).
[[nodiscard]] std::string key_folder(const zone::Name& zone);

// The file name without extension: "Kexample.com.+013+12345" ("K.+008+..." for the root),
// with the owner name in lower case.
[[nodiscard]] std::string key_file_stem(const KeyPair& key);

// The text of the .key file: comments naming the key type, tag and times, then the DNSKEY
// record without a TTL.
// NOTE: a TTL that a .key file read by parse_key_files had is not kept, so it is not written.
[[nodiscard]] std::string format_public_key_file(const KeyFiles& files);

// The text of the .private file (format v1.3). Errors: internal when OpenSSL cannot export
// the private key.
Result<std::string> format_private_key_file(const KeyFiles& files);

// Reads the DNSKEY record of a .key file; path names the file in errors. Errors: parse_error
// with file and line when the file contains no DNSKEY, more than one record, or a DNSKEY with
// a protocol other than 3.
Result<zone::Record> parse_public_key_file(std::string_view text, std::string_view path);

// Reads a .key and .private pair and checks that the private key belongs to the DNSKEY.
// Errors: parse_error with file and line for a malformed line, a missing or repeated field, a
// private-key format other than v1.x, or an algorithm that differs from the DNSKEY's.
// unsupported for an algorithm robur does not sign with. invalid_argument naming the .private
// file when its key does not match the DNSKEY. Unknown fields, such as BIND's SyncPublish,
// are ignored.
Result<KeyFiles> parse_key_files(std::string_view public_text, std::string_view public_path,
                                 std::string_view private_text, std::string_view private_path);

// Parses a key file timestamp, YYYYMMDDHHMMSS in UTC; nullopt when malformed.
[[nodiscard]] std::optional<std::int64_t> parse_key_time(std::string_view text);

// Formats seconds since the epoch as YYYYMMDDHHMMSS in UTC.
[[nodiscard]] std::string format_key_time(std::int64_t seconds);

} // namespace robur::dnssec
