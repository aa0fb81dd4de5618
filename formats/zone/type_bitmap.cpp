#include "formats/zone/type_bitmap.hpp"

#include <array>
#include <cstddef>

namespace robur::zone {

void append_type_bitmap(std::vector<std::uint8_t>& out, std::span<const std::uint16_t> types)
{
    std::size_t i = 0;
    while (i < types.size()) {
        const auto window = static_cast<std::uint8_t>(types[i] >> 8);
        std::array<std::uint8_t, 32> bits{};
        std::size_t used = 0;
        for (; i < types.size() && (types[i] >> 8) == window; ++i) {
            const std::size_t low = types[i] & 0xff;
            bits[low / 8] = static_cast<std::uint8_t>(bits[low / 8] | (0x80 >> (low % 8)));
            used = low / 8 + 1;
        }
        out.push_back(window);
        out.push_back(static_cast<std::uint8_t>(used));
        out.insert(out.end(), bits.begin(), bits.begin() + static_cast<std::ptrdiff_t>(used));
    }
}

} // namespace robur::zone
