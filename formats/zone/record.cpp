#include "formats/zone/record.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "formats/zone/ldns.hpp"
#include "formats/zone/rdata.hpp"
#include "formats/zone/record_text.hpp"
#include "formats/zone/text.hpp"

namespace robur::zone {

namespace {

// Types that ldns 1.8.3 has no descriptor name for but that appear in queries and logs.
constexpr std::array<std::pair<std::uint16_t, std::string_view>, 5> meta_type_names = {{
    {rrtype::ixfr, "IXFR"},
    {rrtype::axfr, "AXFR"},
    {253, "MAILB"},
    {254, "MAILA"},
    {rrtype::any, "ANY"},
}};

constexpr std::array<std::pair<std::uint16_t, std::string_view>, 5> class_names = {{
    {rrclass::in, "IN"},
    {rrclass::ch, "CH"},
    {rrclass::hs, "HS"},
    {rrclass::none, "NONE"},
    {rrclass::any, "ANY"},
}};

// Parses "<prefix><digits>" with a 16-bit number, as in "TYPE262" or "CLASS3".
std::optional<std::uint16_t> parse_numbered(std::string_view text, std::string_view prefix)
{
    if (text.size() <= prefix.size() ||
        !text::equals_ignoring_case(text.substr(0, prefix.size()), prefix)) {
        return std::nullopt;
    }
    const auto number = text::parse_unsigned(text.substr(prefix.size()), 65535);
    if (!number) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(*number);
}

// Length of the uncompressed name at rdata[offset], or 0 when it is malformed.
std::size_t name_length_at(std::span<const std::uint8_t> rdata, std::size_t offset)
{
    std::size_t position = offset;
    while (position < rdata.size()) {
        const std::uint8_t length = rdata[position];
        if (length == 0) {
            return position + 1 - offset;
        }
        if (length > Name::max_label_length) {
            return 0;
        }
        position += 1 + length;
    }
    return 0;
}

} // namespace

bool Record::same_data(const Record& other) const
{
    return type == other.type && rclass == other.rclass && owner == other.owner &&
           rdata == other.rdata;
}

std::string type_to_string(std::uint16_t type)
{
    for (const auto& [number, name] : meta_type_names) {
        if (number == type) {
            return std::string(name);
        }
    }
    const ldns_rr_descriptor* descriptor = ldns_rr_descript(type);
    if (type != 0 && descriptor != nullptr && descriptor->_name != nullptr) {
        return descriptor->_name; // "TYPEnnn" for the numbers ldns has no name for
    }
    return fmt::format("TYPE{}", type);
}

std::optional<std::uint16_t> type_from_string(std::string_view text)
{
    // ldns wraps "TYPE65536" to 0 and reads "TYPE-1" as 65535, so numbered forms stop here.
    if (text.size() > 4 && text::equals_ignoring_case(text.substr(0, 4), "TYPE")) {
        return parse_numbered(text, "TYPE");
    }
    for (const auto& [number, name] : meta_type_names) {
        if (text::equals_ignoring_case(text, name)) {
            return number;
        }
    }
    const std::string terminated(text);
    const ldns_rr_type type = ldns_get_rr_type_by_name(terminated.c_str());
    if (type == 0) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(type);
}

std::string class_to_string(std::uint16_t rclass)
{
    for (const auto& [number, name] : class_names) {
        if (number == rclass) {
            return std::string(name);
        }
    }
    return fmt::format("CLASS{}", rclass);
}

std::optional<std::uint16_t> class_from_string(std::string_view text)
{
    if (auto number = parse_numbered(text, "CLASS")) {
        return number;
    }
    for (const auto& [number, name] : class_names) {
        if (text::equals_ignoring_case(text, name)) {
            return number;
        }
    }
    return std::nullopt;
}

std::string rdata_to_string(std::uint16_t type, std::span<const std::uint8_t> rdata)
{
    if (auto native = rdata_to_native_text(type, rdata)) {
        return std::move(*native);
    }
    if (rdata.empty()) {
        return "\\# 0";
    }
    return fmt::format("\\# {} {}", rdata.size(), text::hex_encode(rdata));
}

std::string record_to_string(const Record& record)
{
    std::string out;
    append_record_text(out, record);
    return out;
}

std::vector<std::size_t> compressible_name_offsets(std::uint16_t type,
                                                   std::span<const std::uint8_t> rdata)
{
    constexpr std::uint16_t md = 3, mf = 4, mb = 7, mg = 8, mr = 9, minfo = 14;
    std::size_t names = 0;
    std::size_t first = 0;
    switch (type) {
    case rrtype::ns:
    case rrtype::cname:
    case rrtype::ptr:
    case md:
    case mf:
    case mb:
    case mg:
    case mr:
        names = 1;
        break;
    case rrtype::soa:
    case minfo:
        names = 2;
        break;
    case rrtype::mx:
        names = 1;
        first = 2; // after the 16-bit preference
        break;
    default:
        return {};
    }

    std::vector<std::size_t> offsets;
    std::size_t offset = first;
    for (std::size_t i = 0; i < names; ++i) {
        const std::size_t length = name_length_at(rdata, offset);
        if (length == 0) {
            return {}; // malformed rdata: compress nothing rather than guess
        }
        offsets.push_back(offset);
        offset += length;
    }
    return offsets;
}

} // namespace robur::zone
