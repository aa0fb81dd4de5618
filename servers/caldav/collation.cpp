#include "servers/caldav/collation.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

namespace robur::caldav {

namespace {

// Code points first, first + stride, ... (count of them) map to themselves plus offset.
struct CaseMapRun {
    char32_t first;
    std::int32_t offset;
    std::uint16_t count;
    std::uint8_t stride;
};

// A code point whose mapping is several code points: `length` of them from `start` in
// case_map_expansion_data.
struct CaseMapExpansion {
    char32_t code_point;
    std::uint16_t start;
    std::uint8_t length;
};

// Code points first to first + count - 1, which share a nonzero canonical combining class.
struct CombiningClassRun {
    char32_t first;
    std::uint16_t count;
    std::uint8_t combining_class;
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

std::uint8_t combining_class(char32_t code_point)
{
    // U+0300 is the first code point with a nonzero class.
    if (code_point < 0x300) {
        return 0;
    }
    const auto* run = std::upper_bound(
        std::begin(combining_class_runs), std::end(combining_class_runs), code_point,
        [](char32_t value, const CombiningClassRun& entry) { return value < entry.first; });
    if (run == std::begin(combining_class_runs)) {
        return 0;
    }
    --run;
    return code_point - run->first < run->count ? run->combining_class : 0;
}

// Writes canonicalized text as UTF-8. Starters (combining class 0) go to the output at once.
// Combining marks wait until the next starter, invalid byte or the end. They are then written
// in the canonical ordering of The Unicode Standard, section 3.11: sorted by combining class,
// with marks of equal class in their original order.
class CanonicalWriter {
public:
    explicit CanonicalWriter(std::string& out) : out_(out) {}

    void push(char32_t code_point)
    {
        const auto mark_class = combining_class(code_point);
        if (mark_class == 0) {
            flush_marks();
            append_utf8(out_, code_point);
            return;
        }

        // The sort key is the class, then the arrival index, then the code point, so that
        // std::sort keeps marks of equal class in order and needs no buffer.
        const auto index = static_cast<std::uint64_t>(marks_.size());
        marks_.push_back((std::uint64_t{mark_class} << 56U) | (index << 21U) | code_point);
    }

    void push_invalid_byte(char byte)
    {
        flush_marks();
        out_ += byte;
    }

    void finish() { flush_marks(); }

private:
    void flush_marks()
    {
        std::sort(marks_.begin(), marks_.end());
        for (const auto key : marks_) {
            append_utf8(out_, static_cast<char32_t>(key & 0x1FFFFFU));
        }
        marks_.clear();
    }

    std::string& out_;
    std::vector<std::uint64_t> marks_;
};

// Hangul syllables have no case and decompose arithmetically into two or three conjoining
// jamo (The Unicode Standard, section 3.12). Returns false for another code point.
bool push_hangul_syllable(CanonicalWriter& writer, char32_t code_point)
{
    constexpr char32_t s_base = 0xAC00;
    constexpr char32_t l_base = 0x1100;
    constexpr char32_t v_base = 0x1161;
    constexpr char32_t t_base = 0x11A7;
    constexpr char32_t t_count = 28;
    constexpr char32_t n_count = 21 * t_count;
    constexpr char32_t s_count = 19 * n_count;
    if (code_point < s_base || code_point >= s_base + s_count) {
        return false;
    }

    const auto s_index = code_point - s_base;
    writer.push(l_base + s_index / n_count);
    writer.push(v_base + (s_index % n_count) / t_count);
    if (s_index % t_count != 0) {
        writer.push(t_base + s_index % t_count);
    }
    return true;
}

// Writes the mapping of one code point: its simple titlecase mapping, fully decomposed.
void push_mapped(CanonicalWriter& writer, char32_t code_point)
{
    if (code_point < 0x80) {
        const bool lower = code_point >= 'a' && code_point <= 'z';
        writer.push(lower ? code_point - 'a' + 'A' : code_point);
        return;
    }
    if (push_hangul_syllable(writer, code_point)) {
        return;
    }

    const auto* expansion = std::lower_bound(
        std::begin(case_map_expansions), std::end(case_map_expansions), code_point,
        [](const CaseMapExpansion& entry, char32_t value) { return entry.code_point < value; });
    if (expansion != std::end(case_map_expansions) && expansion->code_point == code_point) {
        const auto mapped =
            std::span(case_map_expansion_data).subspan(expansion->start, expansion->length);
        for (const auto mapped_code_point : mapped) {
            writer.push(mapped_code_point);
        }
        return;
    }

    // The runs do not overlap, so only the last run starting at or before the code point can
    // contain it.
    const auto* run = std::upper_bound(
        std::begin(case_map_runs), std::end(case_map_runs), code_point,
        [](char32_t value, const CaseMapRun& entry) { return value < entry.first; });
    if (run != std::begin(case_map_runs)) {
        --run;
        const auto distance = code_point - run->first;
        if (distance % run->stride == 0 && distance / run->stride < run->count) {
            const auto mapped = static_cast<std::int64_t>(code_point) + run->offset;
            writer.push(static_cast<char32_t>(mapped));
            return;
        }
    }
    writer.push(code_point);
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

std::string canonicalize_titlecase(std::string_view utf8)
{
    std::string canonical;
    canonical.reserve(utf8.size());
    CanonicalWriter writer(canonical);
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        const auto [code_point, length] = decode_utf8(utf8, pos);
        if (length == 0) {
            writer.push_invalid_byte(utf8[pos]);
            ++pos;
            continue;
        }
        push_mapped(writer, code_point);
        pos += length;
    }
    writer.finish();
    return canonical;
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
        return canonicalize_titlecase(text);
    }
    return std::string(text);
}

} // namespace robur::caldav
