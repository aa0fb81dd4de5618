#include "formats/icalendar/resource_name.hpp"

#include <fmt/format.h>

#include "formats/icalendar/digest.hpp"

namespace robur::icalendar {
namespace {

constexpr std::string_view hex_digits = "0123456789ABCDEF";

bool is_kept(char c, bool first)
{
    if (first && c == '.') {
        return false;
    }
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("._@+=-").find(c) != std::string_view::npos;
}

// True for "uid-" followed by 64 lower-case hex digits: the form of a digest name's stem.
bool is_digest_stem(std::string_view stem)
{
    if (stem.size() != 4 + 64 || stem.substr(0, 4) != "uid-") {
        return false;
    }
    return stem.substr(4).find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

int hex_value(char c)
{
    auto position = hex_digits.find(c);
    return position == std::string_view::npos ? -1 : static_cast<int>(position);
}

} // namespace

std::string resource_name_for_uid(std::string_view uid, std::string_view extension)
{
    std::string name;
    for (std::size_t i = 0; i < uid.size(); ++i) {
        auto byte = static_cast<unsigned char>(uid[i]);
        if (is_kept(uid[i], i == 0)) {
            name += uid[i];
            continue;
        }
        name += '%';
        name += hex_digits[byte >> 4U];
        name += hex_digits[byte & 0x0FU];
    }
    name += extension;

    if (name.size() > max_resource_name_length) {
        return fmt::format("uid-{}{}", sha256_hex(uid), extension);
    }
    return name;
}

std::optional<std::string> uid_for_resource_name(std::string_view name)
{
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) {
        return std::nullopt;
    }
    auto stem = name.substr(0, dot);
    auto extension = name.substr(dot);
    if (is_digest_stem(stem)) {
        return std::nullopt;
    }

    std::string uid;
    for (std::size_t i = 0; i < stem.size(); ++i) {
        if (stem[i] != '%') {
            if (!is_kept(stem[i], i == 0)) {
                return std::nullopt;
            }
            uid += stem[i];
            continue;
        }
        if (i + 2 >= stem.size()) {
            return std::nullopt;
        }
        int high = hex_value(stem[i + 1]);
        int low = hex_value(stem[i + 2]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        uid += static_cast<char>((high << 4) | low);
        i += 2;
    }

    // A name the encoder would not produce for this UID (a digest name, an escaped byte that
    // needs none) does not identify its UID.
    if (resource_name_for_uid(uid, extension) != name) {
        return std::nullopt;
    }
    return uid;
}

} // namespace robur::icalendar
