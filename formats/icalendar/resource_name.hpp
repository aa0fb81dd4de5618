#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace robur::icalendar {

// Maximum length in bytes of a file name derived from a UID, extension included; longer names
// are replaced by a digest of the UID.
inline constexpr std::size_t max_resource_name_length = 200;

// Derives the file name of a resource from its UID, reversibly: bytes in [A-Za-z0-9._@+=-] are
// kept, except a leading '.', and every other byte becomes %XX in upper-case hex
// ("../x" gives "%2E.%2Fx.ics"). A name longer than max_resource_name_length becomes
// "uid-<SHA-256 of the UID in hex><extension>", which uid_for_resource_name cannot reverse.
// The extension includes its dot (".ics", ".vcf").
[[nodiscard]] std::string resource_name_for_uid(std::string_view uid, std::string_view extension);

// Recovers the UID from a file name made by resource_name_for_uid, extension included. Returns
// nullopt for a name of the digest form (even when a UID itself has that form, so callers read
// the UID from the file) and for a name resource_name_for_uid cannot produce (a byte that should
// have been escaped, a malformed or lower-case escape).
[[nodiscard]] std::optional<std::string> uid_for_resource_name(std::string_view name);

} // namespace robur::icalendar
