#pragma once

#include <cstdint>

#include "core/error.hpp"

namespace robur::zone {

// Serial number arithmetic of RFC 1982 for SOA serials (SERIAL_BITS = 32). Two serials that
// differ by exactly 2^31 are neither greater nor less than each other: the RFC leaves that
// comparison undefined, so both functions return false for it.

// The largest amount that may be added to a serial in one step (RFC 1982 section 3.1).
inline constexpr std::uint32_t max_serial_increment = 0x7fffffffU;

// True when left is greater than right (RFC 1982 section 3.2).
[[nodiscard]] constexpr bool serial_gt(std::uint32_t left, std::uint32_t right)
{
    constexpr std::uint32_t half = 0x80000000U;
    return (left < right && right - left > half) || (left > right && left - right < half);
}

// True when left is less than right (RFC 1982 section 3.2).
[[nodiscard]] constexpr bool serial_lt(std::uint32_t left, std::uint32_t right)
{
    return serial_gt(right, left);
}

// Adds amount to serial modulo 2^32 (RFC 1982 section 3.1). Fails with invalid_argument when
// amount is 0 or above max_serial_increment, since the result would then not compare greater.
[[nodiscard]] Result<std::uint32_t> serial_increment(std::uint32_t serial,
                                                     std::uint32_t amount = 1);

// Returns the serial that follows current. When current follows the YYYYMMDDnn convention and
// today (YYYYMMDD) gives a greater serial, that is today's first serial YYYYMMDD00; otherwise
// it is current + 1.
[[nodiscard]] std::uint32_t next_serial(std::uint32_t current, std::uint32_t today_yyyymmdd);

} // namespace robur::zone
