#include "formats/zone/record_text.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>

#include "formats/zone/ldns.hpp"

// Each writer below prints what rdata_to_string prints through ldns 1.8.3 for well-formed
// rdata: fields joined by one space, numbers in decimal, lower-case hex, the NSEC3 salt
// followed by its own space, trailing blanks dropped. A writer returns false, and the caller
// falls back to rdata_to_string, whenever the rdata has any other shape. Only rdata_to_string
// detects when ldns prints a lossy form, for which it writes the RFC 3597 form instead.
// The ZoneRecordText unit tests compare both on signed zones, odd rdata and the corpus.

namespace robur::zone {

namespace {

using Octets = std::span<const std::uint8_t>;

constexpr std::size_t rrsig_fixed_length = 18; // type covered to key tag (RFC 4034 3.1)

std::uint16_t read_u16(Octets bytes, std::size_t offset)
{
    return static_cast<std::uint16_t>((bytes[offset] << 8) | bytes[offset + 1]);
}

std::uint32_t read_u32(Octets bytes, std::size_t offset)
{
    return (std::uint32_t{read_u16(bytes, offset)} << 16) | read_u16(bytes, offset + 2);
}

void append_number(std::string& out, std::uint64_t value)
{
    std::array<char, 20> digits{};
    const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.append(digits.data(), result.ptr);
}

// The mnemonic ldns prints for a type in RRSIG and type bitmaps: its descriptor's name, or
// "TYPEn" when it has none.
void append_type(std::string& out, std::uint16_t type)
{
    const ldns_rr_descriptor* descriptor = ldns_rr_descript(type);
    if (descriptor != nullptr && descriptor->_name != nullptr) {
        out += descriptor->_name;
        return;
    }
    out += "TYPE";
    append_number(out, type);
}

void append_hex(std::string& out, Octets octets)
{
    constexpr std::string_view digits = "0123456789abcdef";
    for (const std::uint8_t octet : octets) {
        out += digits[octet >> 4];
        out += digits[octet & 0x0f];
    }
}

void append_base64(std::string& out, Octets octets)
{
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t i = 0;
    for (; i + 3 <= octets.size(); i += 3) {
        const std::uint32_t group =
            (std::uint32_t{octets[i]} << 16) | (std::uint32_t{octets[i + 1]} << 8) | octets[i + 2];
        out += alphabet[(group >> 18) & 0x3f];
        out += alphabet[(group >> 12) & 0x3f];
        out += alphabet[(group >> 6) & 0x3f];
        out += alphabet[group & 0x3f];
    }
    const std::size_t remaining = octets.size() - i;
    if (remaining == 0) {
        return;
    }
    std::uint32_t group = std::uint32_t{octets[i]} << 16;
    if (remaining == 2) {
        group |= std::uint32_t{octets[i + 1]} << 8;
    }
    out += alphabet[(group >> 18) & 0x3f];
    out += alphabet[(group >> 12) & 0x3f];
    out += remaining == 2 ? alphabet[(group >> 6) & 0x3f] : '=';
    out += '=';
}

// Base32 with the extended hex alphabet in lower case and no padding (RFC 4648 section 7),
// as NSEC3 next hashed owner names are written (RFC 5155 section 3.3).
void append_base32hex(std::string& out, Octets octets)
{
    constexpr std::string_view alphabet = "0123456789abcdefghijklmnopqrstuv";
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const std::uint8_t octet : octets) {
        buffer = (buffer << 8) | octet;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out += alphabet[(buffer >> bits) & 0x1f];
        }
    }
    if (bits > 0) {
        out += alphabet[(buffer << (5 - bits)) & 0x1f];
    }
}

// Length of the uncompressed name at rdata[offset], or nullopt when it is malformed.
std::optional<std::size_t> name_length(Octets rdata, std::size_t offset)
{
    std::size_t position = offset;
    while (position < rdata.size() && position - offset < Name::max_wire_length) {
        const std::uint8_t length = rdata[position];
        if (length == 0) {
            return position + 1 - offset;
        }
        if (length > Name::max_label_length) {
            return std::nullopt;
        }
        position += 1 + std::size_t{length};
    }
    return std::nullopt;
}

// Appends the name at rdata[offset] and moves offset past it.
bool append_name(std::string& out, Octets rdata, std::size_t& offset)
{
    const auto length = name_length(rdata, offset);
    if (!length) {
        return false;
    }
    const auto name = Name::from_wire(rdata.subspan(offset, *length));
    if (!name) {
        return false;
    }
    out += name->to_string();
    offset += *length;
    return true;
}

// An RRSIG time as ldns prints it: the date closest to now with these 32 bits (RFC 4034
// section 3.1.5 serial number arithmetic), as YYYYMMDDHHmmSS in UTC.
bool append_time(std::string& out, std::uint32_t value)
{
    const std::int64_t now = std::time(nullptr);
    const auto offset = static_cast<std::int32_t>(value - static_cast<std::uint32_t>(now));
    const auto when = static_cast<std::time_t>(now + offset);
    std::tm parts{};
    std::array<char, 16> text{};
    if (gmtime_r(&when, &parts) == nullptr ||
        std::strftime(text.data(), 15, "%Y%m%d%H%M%S", &parts) == 0) {
        return false;
    }
    out += text.data();
    return true;
}

// Appends " TYPE" for each type of an RFC 4034 section 4.1.2 bitmap. Only the minimal
// encoding is accepted (windows ascending, no trailing zero octet), because ldns's text of
// any other encoding reads back as different octets.
bool append_bitmap(std::string& out, Octets bitmap)
{
    std::size_t position = 0;
    int previous_window = -1;
    while (position < bitmap.size()) {
        if (position + 2 > bitmap.size()) {
            return false;
        }
        const std::uint8_t window = bitmap[position];
        const std::size_t length = bitmap[position + 1];
        position += 2;
        if (window <= previous_window || length == 0 || length > 32 ||
            position + length > bitmap.size() || bitmap[position + length - 1] == 0) {
            return false;
        }
        for (std::size_t bit = 0; bit < length * 8; ++bit) {
            if ((bitmap[position + bit / 8] & (0x80 >> (bit % 8))) != 0) {
                out += ' ';
                append_type(out, static_cast<std::uint16_t>(window * 256 + bit));
            }
        }
        previous_window = window;
        position += length;
    }
    return true;
}

bool append_a(std::string& out, Octets rdata)
{
    if (rdata.size() != 4) {
        return false;
    }
    for (std::size_t i = 0; i < 4; ++i) {
        if (i > 0) {
            out += '.';
        }
        append_number(out, rdata[i]);
    }
    return true;
}

bool append_aaaa(std::string& out, Octets rdata)
{
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (rdata.size() != 16 || inet_ntop(AF_INET6, rdata.data(), text.data(), text.size()) ==
                                  nullptr) {
        return false;
    }
    out += text.data();
    return true;
}

bool append_single_name(std::string& out, Octets rdata)
{
    std::size_t offset = 0;
    return append_name(out, rdata, offset) && offset == rdata.size();
}

bool append_soa(std::string& out, Octets rdata)
{
    std::size_t offset = 0;
    if (!append_name(out, rdata, offset)) {
        return false;
    }
    out += ' ';
    if (!append_name(out, rdata, offset) || offset + 20 != rdata.size()) {
        return false;
    }
    for (std::size_t field = 0; field < 5; ++field) {
        out += ' ';
        append_number(out, read_u32(rdata, offset + 4 * field));
    }
    return true;
}

bool append_mx(std::string& out, Octets rdata)
{
    if (rdata.size() < 3) {
        return false;
    }
    append_number(out, read_u16(rdata, 0));
    out += ' ';
    std::size_t offset = 2;
    return append_name(out, rdata, offset) && offset == rdata.size();
}

// DS and DNSKEY share a layout: 16-bit field, two octets, then hex (DS) or base64 (DNSKEY).
bool append_ds_or_dnskey(std::string& out, Octets rdata, bool base64)
{
    if (rdata.size() <= 4) {
        return false;
    }
    append_number(out, read_u16(rdata, 0));
    out += ' ';
    append_number(out, rdata[2]);
    out += ' ';
    append_number(out, rdata[3]);
    out += ' ';
    if (base64) {
        append_base64(out, rdata.subspan(4));
    } else {
        append_hex(out, rdata.subspan(4));
    }
    return true;
}

bool append_rrsig(std::string& out, Octets rdata)
{
    if (rdata.size() <= rrsig_fixed_length) {
        return false;
    }
    append_type(out, read_u16(rdata, 0));
    for (const std::size_t offset : {2, 3}) {
        out += ' ';
        append_number(out, rdata[offset]);
    }
    out += ' ';
    append_number(out, read_u32(rdata, 4));
    for (const std::size_t offset : {8, 12}) {
        out += ' ';
        if (!append_time(out, read_u32(rdata, offset))) {
            return false;
        }
    }
    out += ' ';
    append_number(out, read_u16(rdata, 16));
    out += ' ';
    std::size_t offset = rrsig_fixed_length;
    if (!append_name(out, rdata, offset) || offset == rdata.size()) {
        return false;
    }
    out += ' ';
    append_base64(out, rdata.subspan(offset));
    return true;
}

bool append_nsec(std::string& out, Octets rdata)
{
    std::size_t offset = 0;
    if (!append_name(out, rdata, offset) || offset == rdata.size()) {
        return false;
    }
    return append_bitmap(out, rdata.subspan(offset));
}

// Hash algorithm, flags, iterations and salt, the common start of NSEC3 and NSEC3PARAM
// (RFC 5155 sections 3.2 and 4.2). Moves offset past them.
bool append_nsec3_parameters(std::string& out, Octets rdata, std::size_t& offset)
{
    if (rdata.size() < 5 || rdata.size() < 5 + std::size_t{rdata[4]}) {
        return false;
    }
    append_number(out, rdata[0]);
    out += ' ';
    append_number(out, rdata[1]);
    out += ' ';
    append_number(out, read_u16(rdata, 2));
    out += ' ';
    const std::size_t salt_length = rdata[4];
    if (salt_length == 0) {
        out += '-';
    } else {
        append_hex(out, rdata.subspan(5, salt_length));
    }
    offset = 5 + salt_length;
    return true;
}

bool append_nsec3(std::string& out, Octets rdata)
{
    std::size_t offset = 0;
    if (!append_nsec3_parameters(out, rdata, offset) || offset >= rdata.size()) {
        return false;
    }
    const std::size_t hash_length = rdata[offset];
    // ldns reads back only base32 text of whole 40-bit groups, so other lengths go through
    // rdata_to_string. A SHA-1 hash is 20 octets (RFC 5155 section 3.2).
    if (hash_length == 0 || hash_length % 5 != 0 || offset + 1 + hash_length > rdata.size()) {
        return false;
    }
    // ldns ends the salt field with a space of its own, so two spaces precede the hash.
    out += "  ";
    append_base32hex(out, rdata.subspan(offset + 1, hash_length));
    return append_bitmap(out, rdata.subspan(offset + 1 + hash_length));
}

bool append_nsec3param(std::string& out, Octets rdata)
{
    std::size_t offset = 0;
    return append_nsec3_parameters(out, rdata, offset) && offset == rdata.size();
}

// Writes the rdata of the types above; false for any other type or shape.
bool append_fast_rdata(std::string& out, std::uint16_t type, Octets rdata)
{
    switch (type) {
    case rrtype::a:
        return append_a(out, rdata);
    case rrtype::aaaa:
        return append_aaaa(out, rdata);
    case rrtype::ns:
    case rrtype::cname:
        return append_single_name(out, rdata);
    case rrtype::soa:
        return append_soa(out, rdata);
    case rrtype::mx:
        return append_mx(out, rdata);
    case rrtype::ds:
        return append_ds_or_dnskey(out, rdata, false);
    case rrtype::dnskey:
        return append_ds_or_dnskey(out, rdata, true);
    case rrtype::rrsig:
        return append_rrsig(out, rdata);
    case rrtype::nsec:
        return append_nsec(out, rdata);
    case rrtype::nsec3:
        return append_nsec3(out, rdata);
    case rrtype::nsec3param:
        return append_nsec3param(out, rdata);
    default:
        return false;
    }
}

} // namespace

void append_record_text(std::string& out, const Record& record)
{
    out += record.owner.to_string();
    out += '\t';
    append_number(out, record.ttl);
    out += '\t';
    out += record.rclass == rrclass::in ? std::string("IN") : class_to_string(record.rclass);
    out += '\t';
    out += type_to_string(record.type);
    out += '\t';

    const std::size_t rdata_start = out.size();
    if (!append_fast_rdata(out, record.type, record.rdata)) {
        out.resize(rdata_start);
        out += rdata_to_string(record.type, record.rdata);
    }
}

} // namespace robur::zone
