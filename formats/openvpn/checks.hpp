#pragma once

// Semantic checks of an OpenVPN config: what openvpn 2.6 only warns about, or meets when it
// starts or when a client connects. Pure: files come through a FileReader.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "formats/openvpn/config.hpp"

namespace robur::openvpn {

// Reads a file the config references (ca, cert, key, crl-verify, tls-auth, tls-crypt,
// tls-crypt-v2, secret, dh, pkcs12, ...) by the path as written. When the config has a `cd`
// option, relative paths come joined to its folder. Returns nullopt when the file is absent.
using FileReader = std::function<std::optional<std::string>(std::string_view path)>;

struct CheckOptions {
    std::int64_t now = 0; // Unix seconds; 0 = current time
};

// Certificates expiring within this many days get a warning.
inline constexpr std::int64_t certificate_warning_days = 30;
// CRLs whose nextUpdate is within this many days get a warning.
inline constexpr std::int64_t crl_warning_days = 7;

// Findings openvpn itself only warns about or meets at run time, as errors and warnings with
// the file and line of the directive concerned (or of the line of a referenced file).
std::vector<Diagnostic> check_config(const Config& config, std::string_view path,
                                     const FileReader& read_file, const CheckOptions& options);

} // namespace robur::openvpn
