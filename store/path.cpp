#include "store/path.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace robur::store {

namespace {

bool equals_ignoring_case(std::string_view left, std::string_view right)
{
    return left.size() == right.size() &&
           std::equal(left.begin(), left.end(), right.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

std::optional<std::string> find_path_fault(std::string_view path)
{
    if (path.find('\0') != std::string_view::npos) {
        return "contains a NUL byte";
    }
    if (path.front() == '/') {
        return "is absolute; give a path relative to the repository root";
    }

    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view component = path.substr(start, end - start);
        if (component.empty()) {
            return "contains an empty component";
        }
        if (component == "." || component == "..") {
            return fmt::format("contains a '{}' component", component);
        }
        if (equals_ignoring_case(component, ".git")) {
            return "contains a '.git' component";
        }
        start = end + 1;
    }
    return std::nullopt;
}

} // namespace

Result<std::string> check_repository_path(std::string_view path, bool allow_root)
{
    if (path.size() > 1 && path.back() == '/') {
        path.remove_suffix(1);
    }
    if (path.empty()) {
        if (allow_root) {
            return std::string();
        }
        return make_error(Errc::invalid_argument, "empty path in the repository");
    }

    if (auto fault = find_path_fault(path)) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid repository path '{}': it {}", path, *fault));
    }
    return std::string(path);
}

bool is_private_path(std::string_view path)
{
    if (path.starts_with("keys/") || path.starts_with("users/")) {
        return true;
    }
    // The VPN PKI keeps easy-rsa's layout: private keys under private/ (and
    // revoked/private_by_serial/), static keys such as tls-crypt.key beside them.
    return path.starts_with("vpn/") &&
           (path.find("/private/") != std::string_view::npos ||
            path.find("/private_by_serial/") != std::string_view::npos || path.ends_with(".key"));
}

} // namespace robur::store
