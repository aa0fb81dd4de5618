#pragma once

// Shared parts of the `robur vpn` PKI commands: name checks, reading a VPN's pki/ folder from
// a snapshot, issuing certificates and CRLs into file changes, and committing them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "formats/openvpn/easyrsa_index.hpp"
#include "formats/openvpn/pki.hpp"
#include "store/commit.hpp"
#include "store/repository.hpp"
#include "store/snapshot.hpp"

namespace robur::cli::vpn_pki {

// Checks a VPN or client name: 1 to 64 characters from letters, digits, '.', '_', '-' and
// '@', not starting with '.' or '-'. `what` names the argument in the error ("client name").
[[nodiscard]] Result<void> check_name(std::string_view what, std::string_view name);

// "vpn/NAME" and "vpn/NAME/pki".
[[nodiscard]] std::string vpn_folder(std::string_view name);
[[nodiscard]] std::string pki_folder(std::string_view name);

// The current time in Unix seconds.
[[nodiscard]] std::int64_t now_seconds();

// A VPN's PKI as stored at one commit.
struct Pki {
    std::string folder; // "vpn/NAME/pki"
    openvpn::Issuer issuer;
    openvpn::KeyAlgorithm algorithm = openvpn::KeyAlgorithm::ecdsa_p256;
    std::vector<openvpn::IndexEntry> index;
    std::uint64_t next_crl_number = 1;
};

// Reads pki/ca.crt, pki/private/ca.key, pki/index.txt and the CRL number of VPN `name`.
// Errors: not_found when the VPN or its CA is missing, parse_error for a bad index.txt line.
[[nodiscard]] Result<Pki> load_pki(const store::Snapshot& snapshot, std::string_view name);

// The valid (V) index entry of a common name, or nullptr.
[[nodiscard]] const openvpn::IndexEntry* find_valid(const Pki& pki, std::string_view common_name);

// Creates a key and a certificate for `common_name` and returns the files easy-rsa would
// write for it (issued/, private/, reqs/, certs_by_serial/); the index entry is appended to
// `pki.index`, but index.txt itself is written by index_changes().
[[nodiscard]] Result<std::vector<store::FileChange>> issue_leaf(
    Pki& pki, std::string_view common_name, openvpn::CertificateRole role, int days,
    std::int64_t now);

// Returns the changes that write index.txt, index.txt.attr and serial from `pki`.
[[nodiscard]] std::vector<store::FileChange> index_changes(const Pki& pki);

// Issues a CRL of every revoked entry in the index, valid for `days`, and returns the changes
// writing crl.pem and crlnumber.
[[nodiscard]] Result<std::vector<store::FileChange>> crl_changes(Pki& pki, int days,
                                                                 std::int64_t now);

// Commits `changes` on HEAD's branch, guarded by `head`. Returns the new commit's short id.
[[nodiscard]] Result<std::string> commit_changes(store::Repository& repository,
                                                 const std::optional<store::ObjectId>& head,
                                                 std::vector<store::FileChange> changes,
                                                 std::string message);

// Opens the repository and reads the snapshot of HEAD's branch; the snapshot is nullopt for a
// branch without commits.
struct Opened {
    store::Repository repository;
    std::optional<store::ObjectId> head;
    std::optional<store::Snapshot> snapshot;
};
[[nodiscard]] Result<Opened> open_head(const Context& context);

// Formats Unix seconds as "2026-12-05T10:00:00Z".
[[nodiscard]] std::string format_time(std::int64_t unix_seconds);

} // namespace robur::cli::vpn_pki
