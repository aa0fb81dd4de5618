#include "servers/caldav/collation.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>

namespace robur::caldav {

namespace {

// Code points first, first + stride, ... (count of them) fold to themselves plus offset.
struct FoldRun {
    char32_t first;
    std::uint16_t count;
    std::int32_t offset;
    std::uint8_t stride;
};

// A code point whose folding is several code points, such as U+00DF to "ss".
struct FoldExpansion {
    char32_t code_point;
    std::string_view folded; // UTF-8
};

#include "servers/caldav/casefold_table.inc"

// Decodes one UTF-8 sequence at `pos`. Returns the code point and its length, or a length of
// 0 for an invalid sequence (bad lead or continuation byte, overlong form, surrogate).
std::pair<char32_t, std::size_t> decode_utf8(std::string_view text, std::size_t pos)
{
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) {
        return {lead, 1};
    }
    std::size_t length = 0;
    char32_t code_point = 0;
    char32_t minimum = 0;
    if ((lead & 0xE0U) == 0xC0U) {
        length = 2;
        code_point = lead & 0x1FU;
        minimum = 0x80;
    } else if ((lead & 0xF0U) == 0xE0U) {
        length = 3;
        code_point = lead & 0x0FU;
        minimum = 0x800;
    } else if ((lead & 0xF8U) == 0xF0U) {
        length = 4;
        code_point = lead & 0x07U;
        minimum = 0x10000;
    } else {
        return {0, 0};
    }
    if (pos + length > text.size()) {
        return {0, 0};
    }
    for (std::size_t i = 1; i < length; ++i) {
        const auto byte = static_cast<unsigned char>(text[pos + i]);
        if ((byte & 0xC0U) != 0x80U) {
            return {0, 0};
        }
        code_point = (code_point << 6U) | (byte & 0x3FU);
    }
    if (code_point < minimum || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point < 0xE000)) {
        return {0, 0};
    }
    return {code_point, length};
}

void append_utf8(std::string& out, char32_t code_point)
{
    const auto byte = [](char32_t value) { return static_cast<char>(value); };
    if (code_point < 0x80) {
        out += byte(code_point);
    } else if (code_point < 0x800) {
        out += byte(0xC0U | (code_point >> 6U));
        out += byte(0x80U | (code_point & 0x3FU));
    } else if (code_point < 0x10000) {
        out += byte(0xE0U | (code_point >> 12U));
        out += byte(0x80U | ((code_point >> 6U) & 0x3FU));
        out += byte(0x80U | (code_point & 0x3FU));
    } else {
        out += byte(0xF0U | (code_point >> 18U));
        out += byte(0x80U | ((code_point >> 12U) & 0x3FU));
        out += byte(0x80U | ((code_point >> 6U) & 0x3FU));
        out += byte(0x80U | (code_point & 0x3FU));
    }
}

// Appends the full case folding of one code point.
void append_folded(std::string& out, char32_t code_point)
{
    const auto* expansion = std::lower_bound(
        std::begin(fold_expansions), std::end(fold_expansions), code_point,
        [](const FoldExpansion& entry, char32_t value) { return entry.code_point < value; });
    if (expansion != std::end(fold_expansions) && expansion->code_point == code_point) {
        out += expansion->folded;
        return;
    }

    // The runs do not overlap, so only the last run starting at or before the code point can
    // contain it.
    const auto* run =
        std::upper_bound(std::begin(fold_runs), std::end(fold_runs), code_point,
                         [](char32_t value, const FoldRun& entry) { return value < entry.first; });
    if (run != std::begin(fold_runs)) {
        --run;
        const auto distance = code_point - run->first;
        if (distance % run->stride == 0 && distance / run->stride < run->count) {
            const auto folded = static_cast<std::int64_t>(code_point) + run->offset;
            append_utf8(out, static_cast<char32_t>(folded));
            return;
        }
    }
    append_utf8(out, code_point);
}

} // namespace

std::optional<Collation> parse_collation(std::string_view identifier)
{
    if (identifier == "i;octet") {
        return Collation::octet;
    }
    if (identifier == "i;ascii-casemap") {
        return Collation::ascii_casemap;
    }
    if (identifier == "i;unicode-casemap") {
        return Collation::unicode_casemap;
    }
    return std::nullopt;
}

std::string fold_case(std::string_view utf8)
{
    std::string folded;
    folded.reserve(utf8.size());
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        const auto [code_point, length] = decode_utf8(utf8, pos);
        if (length == 0) {
            folded += utf8[pos];
            ++pos;
            continue;
        }
        append_folded(folded, code_point);
        pos += length;
    }
    return folded;
}

std::string collation_key(std::string_view text, Collation collation)
{
    switch (collation) {
    case Collation::octet:
        return std::string(text);
    case Collation::ascii_casemap: {
        std::string key(text);
        for (auto& c : key) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c - 'A' + 'a');
            }
        }
        return key;
    }
    case Collation::unicode_casemap:
        return fold_case(text);
    }
    return std::string(text);
}

} // namespace robur::caldav
