#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"
#include "formats/openvpn/config.hpp"
#include "store/snapshot.hpp"

namespace robur::vpn {

// The folder of one VPN in the repository, "vpn/<name>".
[[nodiscard]] std::string vpn_folder(std::string_view name);

// Returns the repository path of `path` as openvpn resolves it in its working folder
// vpn/<name>/, or nullopt when the path is absolute or leaves that folder (openvpn would read
// a file outside the repository there).
[[nodiscard]] std::optional<std::string> resolve_in_vpn_folder(std::string_view name,
                                                               std::string_view path);

// Parses vpn/<name>/<file> of a commit, with `config` includes read from vpn/<name>/ only.
// Diagnostics name the file by its repository path. Errors: not_found when the file is absent,
// git_error when the commit cannot be read.
[[nodiscard]] Result<openvpn::ParseOutcome> parse_vpn_file(const store::Snapshot& snapshot,
                                                           std::string_view name,
                                                           std::string_view file);

// Checks the VPN `name` of a commit as openvpn 2.6 would read it: parses
// vpn/<name>/server.conf and, when present, vpn/<name>/client.conf, with `config` includes and
// referenced files read from the snapshot under vpn/<name>/ only, then runs the semantic checks.
// `now` is Unix seconds for certificate and CRL validity, 0 for the current time. Returns every
// diagnostic, with paths as in the repository. Errors: invalid_argument for a name that is not
// a single path component, not_found when vpn/<name>/server.conf is absent, git_error when the
// commit cannot be read.
[[nodiscard]] Result<std::vector<Diagnostic>> check_vpn(const store::Snapshot& snapshot,
                                                        std::string_view name, std::int64_t now);

// Returns an error for a VPN name that cannot be a folder name: empty, ".", "..", or holding a
// slash, a NUL or a control character.
[[nodiscard]] Result<void> validate_vpn_name(std::string_view name);

} // namespace robur::vpn
