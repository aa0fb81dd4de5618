#include "store/object_id.hpp"

#include <algorithm>
#include <cstring>

namespace robur::store {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char digit)
{
    if (digit >= '0' && digit <= '9') {
        return digit - '0';
    }
    if (digit >= 'a' && digit <= 'f') {
        return digit - 'a' + 10;
    }
    if (digit >= 'A' && digit <= 'F') {
        return digit - 'A' + 10;
    }
    return -1;
}

} // namespace

std::optional<ObjectId> ObjectId::from_hex(std::string_view hex)
{
    if (hex.size() != 2 * size) {
        return std::nullopt;
    }

    std::array<std::uint8_t, size> bytes{};
    for (std::size_t i = 0; i < size; ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return ObjectId(bytes);
}

std::string ObjectId::to_string() const
{
    std::string text;
    text.reserve(2 * size);
    for (const std::uint8_t byte : bytes_) {
        text.push_back(hex_digits[byte >> 4]);
        text.push_back(hex_digits[byte & 0x0f]);
    }
    return text;
}

std::string ObjectId::short_string(std::size_t length) const
{
    return to_string().substr(0, std::min(length, 2 * size));
}

bool ObjectId::is_zero() const
{
    return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t byte) { return byte == 0; });
}

} // namespace robur::store

std::size_t std::hash<robur::store::ObjectId>::operator()(
    const robur::store::ObjectId& id) const noexcept
{
    // The id is a cryptographic hash already, so its first bytes are evenly distributed.
    std::size_t value = 0;
    std::memcpy(&value, id.bytes().data(), sizeof(value));
    return value;
}
