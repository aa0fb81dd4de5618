#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "core/error.hpp"
#include "store/snapshot.hpp"

namespace robur::vpn {

// The file name of the config openvpn is started with, inside the runtime folder.
inline constexpr std::string_view served_config_name = "robur-served.conf";

// A user and group that must be able to read the runtime folder, because openvpn drops its
// privileges to them (`user`, `group`) and reads crl-verify again at every TLS handshake.
struct FileOwner {
    uid_t uid = 0;
    gid_t gid = 0;
};

// Returns where `robur serve vpn` keeps the files of VPN `name` when --runtime-dir is not
// given: $RUNTIME_DIRECTORY/<name> (set by systemd's RuntimeDirectory=), else
// /run/robur/vpn/<name> for root, else $XDG_RUNTIME_DIR/robur/vpn/<name>.
// Errors: not_found when none of these applies.
[[nodiscard]] Result<std::filesystem::path> default_runtime_folder(std::string_view name);

// Resolves the `user` and `group` of a served config to ids; nullopt when neither is set.
// Errors: not_found for an unknown user or group.
[[nodiscard]] Result<std::optional<FileOwner>> resolve_owner(const std::string& user,
                                                             const std::string& group);

// Writes the files of one commit's vpn/<name>/ and the served config into a new folder next to
// `runtime`, and returns the new folder. Folders get mode 0700, files 0600 (executable files
// 0700), all owned by `owner` when it is given and the process runs as root.
// Symlinks in the commit are left out and listed in `skipped`. Errors: io_error when the folder or a file cannot be written, git_error when the commit
// cannot be read.
[[nodiscard]] Result<std::filesystem::path> prepare_runtime_folder(
    const store::Snapshot& snapshot, std::string_view name, std::string_view served_config,
    const std::filesystem::path& runtime, const std::optional<FileOwner>& owner,
    std::vector<std::string>& skipped);

// Puts a prepared folder in place of `runtime` in one step (renameat2 RENAME_EXCHANGE when
// `runtime` exists, rename otherwise), then deletes the previous contents.
// Errors: io_error when the rename fails; the prepared folder is then deleted.
[[nodiscard]] Result<void> install_runtime_folder(const std::filesystem::path& prepared,
                                                  const std::filesystem::path& runtime);

// Deletes the runtime folder and any prepared folders a stopped process left next to it.
void remove_runtime_folder(const std::filesystem::path& runtime);

} // namespace robur::vpn
