#include "formats/zone/serial.hpp"

#include <fmt/format.h>

namespace robur::zone {

namespace {

// True when serial reads as YYYYMMDDnn with a plausible date.
bool is_date_serial(std::uint32_t serial)
{
    const std::uint32_t date = serial / 100;
    const std::uint32_t year = date / 10000;
    const std::uint32_t month = date / 100 % 100;
    const std::uint32_t day = date % 100;
    return year >= 1970 && year <= 2100 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

} // namespace

Result<std::uint32_t> serial_increment(std::uint32_t serial, std::uint32_t amount)
{
    if (amount == 0 || amount > max_serial_increment) {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid serial increment {}: it must be between 1 and {}",
                                      amount, max_serial_increment));
    }
    // Unsigned arithmetic wraps modulo 2^32, which is the addition RFC 1982 defines.
    return serial + amount;
}

std::uint32_t next_serial(std::uint32_t current, std::uint32_t today_yyyymmdd)
{
    const std::uint64_t today_first = std::uint64_t{today_yyyymmdd} * 100;
    if (is_date_serial(current) && today_first <= 0xffffffffU) {
        const auto candidate = static_cast<std::uint32_t>(today_first);
        if (serial_gt(candidate, current)) {
            return candidate;
        }
    }
    return current + 1;
}

} // namespace robur::zone
