#include "formats/dnssec/canonical.hpp"

#include <algorithm>
#include <array>
#include <string>

#include <fmt/format.h>

#include "formats/zone/writer.hpp"

namespace robur::dnssec {

namespace {

// Fields of an RDATA layout, enough to find the embedded names.
enum class Field : std::uint8_t { end, name, string, fixed2, fixed4, fixed6, fixed18, a6 };

struct Layout {
    std::uint16_t type;
    std::array<Field, 5> fields;
};

// RFC 4034 section 6.2 item 3 without NSEC and RRSIG (RFC 6840 section 5.1). HINFO is listed
// there too but contains no names, so its canonical form is its wire form.
constexpr std::array<Layout, 23> layouts{{
    {2, {Field::name}},                                                              // NS
    {3, {Field::name}},                                                              // MD
    {4, {Field::name}},                                                              // MF
    {5, {Field::name}},                                                              // CNAME
    {6, {Field::name, Field::name}},                                                 // SOA
    {7, {Field::name}},                                                              // MB
    {8, {Field::name}},                                                              // MG
    {9, {Field::name}},                                                              // MR
    {12, {Field::name}},                                                             // PTR
    {13, {}},                                                                        // HINFO
    {14, {Field::name, Field::name}},                                                // MINFO
    {15, {Field::fixed2, Field::name}},                                              // MX
    {17, {Field::name, Field::name}},                                                // RP
    {18, {Field::fixed2, Field::name}},                                              // AFSDB
    {21, {Field::fixed2, Field::name}},                                              // RT
    {24, {Field::fixed18, Field::name}},                                             // SIG
    {26, {Field::fixed2, Field::name, Field::name}},                                 // PX
    {30, {Field::name}},                                                             // NXT
    {33, {Field::fixed6, Field::name}},                                              // SRV
    {35, {Field::fixed4, Field::string, Field::string, Field::string, Field::name}}, // NAPTR
    {36, {Field::fixed2, Field::name}},                                              // KX
    {38, {Field::a6}},                                                               // A6
    {39, {Field::name}},                                                             // DNAME
}};

const Layout* find_layout(std::uint16_t type)
{
    const auto* found = std::find_if(layouts.begin(), layouts.end(),
                                     [type](const Layout& layout) { return layout.type == type; });
    return found == layouts.end() ? nullptr : found;
}

std::uint8_t to_lower(std::uint8_t octet)
{
    return (octet >= 'A' && octet <= 'Z') ? static_cast<std::uint8_t>(octet + ('a' - 'A')) : octet;
}

// Lower-cases the uncompressed name at rdata[position] and moves position past it.
bool lowercase_name(std::vector<std::uint8_t>& rdata, std::size_t& position)
{
    while (position < rdata.size()) {
        const std::uint8_t length = rdata[position];
        if (length == 0) {
            ++position;
            return true;
        }
        if (length > zone::Name::max_label_length || position + 1 + length > rdata.size()) {
            return false;
        }
        for (std::size_t i = position + 1; i <= position + length; ++i) {
            rdata[i] = to_lower(rdata[i]);
        }
        position += 1 + std::size_t{length};
    }
    return false;
}

// Moves position past one field other than a name; false when the rdata ends first.
bool skip_field(Field field, const std::vector<std::uint8_t>& rdata, std::size_t& position)
{
    std::size_t length = 0;
    switch (field) {
    case Field::string:
        length = position < rdata.size() ? 1 + std::size_t{rdata[position]} : 1;
        break;
    case Field::fixed2:
        length = 2;
        break;
    case Field::fixed4:
        length = 4;
        break;
    case Field::fixed6:
        length = 6;
        break;
    case Field::fixed18:
        length = 18;
        break;
    default:
        break;
    }
    position += length;
    return position <= rdata.size();
}

// A6 (RFC 2874 section 3.1): prefix length, the address suffix, then a prefix name only when
// the prefix length is not 0.
bool lowercase_a6(std::vector<std::uint8_t>& rdata, std::size_t& position)
{
    if (rdata.empty() || rdata[0] > 128) {
        return false;
    }
    const std::size_t prefix_length = rdata[0];
    position = 1 + (128 - prefix_length + 7) / 8;
    if (position > rdata.size()) {
        return false;
    }
    return prefix_length == 0 || lowercase_name(rdata, position);
}

bool lowercase_fields(const Layout& layout, std::vector<std::uint8_t>& rdata)
{
    std::size_t position = 0;
    for (const Field field : layout.fields) {
        bool ok = true;
        if (field == Field::end) {
            break;
        }
        if (field == Field::name) {
            ok = lowercase_name(rdata, position);
        } else if (field == Field::a6) {
            ok = lowercase_a6(rdata, position);
        } else {
            ok = skip_field(field, rdata, position);
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

// A record's place in RRset order, with its owner's canonical_name_key computed once, so that
// sorting compares flat strings rather than labels from the right.
struct RecordKey {
    std::string owner_key;
    std::size_t index;
};

} // namespace

bool lowercases_rdata_names(std::uint16_t type)
{
    return find_layout(type) != nullptr;
}

Result<std::vector<std::uint8_t>> canonical_rdata(std::uint16_t type,
                                                  std::span<const std::uint8_t> rdata)
{
    std::vector<std::uint8_t> canonical(rdata.begin(), rdata.end());
    const Layout* layout = find_layout(type);
    if (layout == nullptr) {
        return canonical;
    }
    if (!lowercase_fields(*layout, canonical)) {
        return make_error(Errc::parse_error,
                          fmt::format("{} rdata is truncated or holds a malformed name",
                                      zone::type_to_string(type)));
    }
    return canonical;
}

Result<std::vector<RRset>> group_rrsets(std::span<const zone::Record> records)
{
    std::vector<RecordKey> keys(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        keys[i] = {zone::canonical_name_key(records[i].owner), i};
    }
    // The index breaks ties, so the first record of an RRset in file order gives its location.
    std::sort(keys.begin(), keys.end(), [&](const RecordKey& left, const RecordKey& right) {
        if (const int order = left.owner_key.compare(right.owner_key); order != 0) {
            return order < 0;
        }
        const auto& a = records[left.index];
        const auto& b = records[right.index];
        if (a.type != b.type) {
            return a.type < b.type;
        }
        return a.rclass != b.rclass ? a.rclass < b.rclass : left.index < right.index;
    });

    std::vector<RRset> rrsets;
    const std::string* previous_key = nullptr;
    for (const auto& key : keys) {
        const zone::Record& record = records[key.index];
        auto rdata = canonical_rdata(record.type, record.rdata);
        if (!rdata) {
            return make_error(Errc::parse_error, rdata.error().message, record.where);
        }
        const bool same_rrset = previous_key != nullptr && rrsets.back().type == record.type &&
                                rrsets.back().rclass == record.rclass &&
                                *previous_key == key.owner_key;
        if (!same_rrset) {
            rrsets.push_back({record.owner.lowercase(), record.type, record.rclass, record.ttl, {},
                              record.where});
        }
        previous_key = &key.owner_key;
        RRset& rrset = rrsets.back();
        rrset.ttl = std::min(rrset.ttl, record.ttl);
        rrset.rdatas.push_back(std::move(*rdata));
    }

    for (auto& rrset : rrsets) {
        std::sort(rrset.rdatas.begin(), rrset.rdatas.end());
        rrset.rdatas.erase(std::unique(rrset.rdatas.begin(), rrset.rdatas.end()),
                           rrset.rdatas.end());
    }
    return rrsets;
}

std::optional<std::size_t> wire_name_length(std::span<const std::uint8_t> wire)
{
    std::size_t position = 0;
    while (position < wire.size() && position < zone::Name::max_wire_length) {
        const std::uint8_t length = wire[position];
        if (length == 0) {
            return position + 1;
        }
        if (length > zone::Name::max_label_length) {
            return std::nullopt;
        }
        position += 1 + std::size_t{length};
    }
    return std::nullopt;
}

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value)
{
    append_u16(out, static_cast<std::uint16_t>(value >> 16));
    append_u16(out, static_cast<std::uint16_t>(value & 0xffff));
}

void append_canonical_rr(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> owner_wire,
                         std::uint16_t type, std::uint16_t rclass, std::uint32_t ttl,
                         std::span<const std::uint8_t> rdata)
{
    out.insert(out.end(), owner_wire.begin(), owner_wire.end());
    append_u16(out, type);
    append_u16(out, rclass);
    append_u32(out, ttl);
    append_u16(out, static_cast<std::uint16_t>(rdata.size()));
    out.insert(out.end(), rdata.begin(), rdata.end());
}

} // namespace robur::dnssec
