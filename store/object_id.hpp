#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace robur::store {

// A Git object name: the 20-byte SHA-1 of a commit, tree or blob. The default value is all
// zeros, which names no object.
class ObjectId {
public:
    static constexpr std::size_t size = 20;

    ObjectId() = default;
    explicit ObjectId(const std::array<std::uint8_t, size>& bytes) : bytes_(bytes) {}

    // Parses exactly 40 hexadecimal digits (either case); nullopt for anything else.
    [[nodiscard]] static std::optional<ObjectId> from_hex(std::string_view hex);

    [[nodiscard]] const std::array<std::uint8_t, size>& bytes() const { return bytes_; }

    // Formats as 40 lowercase hexadecimal digits.
    [[nodiscard]] std::string to_string() const;

    // Formats the first `length` hexadecimal digits (at most 40), as `git log --oneline` does.
    [[nodiscard]] std::string short_string(std::size_t length = 7) const;

    [[nodiscard]] bool is_zero() const;

    auto operator<=>(const ObjectId&) const = default;

private:
    std::array<std::uint8_t, size> bytes_{};
};

} // namespace robur::store

template <>
struct std::hash<robur::store::ObjectId> {
    std::size_t operator()(const robur::store::ObjectId& id) const noexcept;
};
