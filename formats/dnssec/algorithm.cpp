#include "formats/dnssec/algorithm.hpp"

#include <array>
#include <charconv>

namespace robur::dnssec {

namespace {

struct Entry {
    Algorithm algorithm;
    std::string_view name;
};

constexpr std::array<Entry, 3> algorithms{{
    {Algorithm::rsasha256, "rsasha256"},
    {Algorithm::ecdsap256sha256, "ecdsap256sha256"},
    {Algorithm::ed25519, "ed25519"},
}};

bool equal_ignoring_case(std::string_view left, std::string_view right)
{
    if (left.size() != right.size()) {
        return false;
    }
    for (std::size_t i = 0; i < left.size(); ++i) {
        const char c = left[i];
        const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        if (lower != right[i]) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string_view algorithm_name(Algorithm algorithm)
{
    for (const auto& entry : algorithms) {
        if (entry.algorithm == algorithm) {
            return entry.name;
        }
    }
    return "unknown";
}

std::optional<Algorithm> algorithm_from_string(std::string_view text)
{
    for (const auto& entry : algorithms) {
        if (equal_ignoring_case(text, entry.name)) {
            return entry.algorithm;
        }
    }
    unsigned number = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, number);
    if (ec != std::errc{} || ptr != end || number > 255 || text.empty()) {
        return std::nullopt;
    }
    return algorithm_from_number(static_cast<std::uint8_t>(number));
}

std::optional<Algorithm> algorithm_from_number(std::uint8_t number)
{
    for (const auto& entry : algorithms) {
        if (static_cast<std::uint8_t>(entry.algorithm) == number) {
            return entry.algorithm;
        }
    }
    return std::nullopt;
}

} // namespace robur::dnssec
