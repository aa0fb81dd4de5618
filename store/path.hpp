#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace robur::store {

// Checks a path inside the repository: relative, '/'-separated, without empty, "." or ".."
// components and without a ".git" component (in any letter case), because Git itself will not
// check such paths out. A trailing '/' is dropped. The empty path (the root) is accepted
// only when `allow_root` is set. Errors: invalid_argument naming the path.
[[nodiscard]] Result<std::string> check_repository_path(std::string_view path,
                                                        bool allow_root = false);

// Returns true when a file at `path` contains private material (anything under keys/ and
// users/, private keys and static keys under vpn/), which is materialised with mode 0600.
[[nodiscard]] bool is_private_path(std::string_view path);

} // namespace robur::store
