#pragma once

#include <string>
#include <string_view>

namespace robur::icalendar {

// Returns the SHA-256 digest of `bytes` as 64 lower-case hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

} // namespace robur::icalendar
