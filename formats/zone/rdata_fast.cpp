#include "formats/zone/rdata_fast.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "formats/zone/record.hpp"
#include "formats/zone/text.hpp"
#include "formats/zone/type_bitmap.hpp"

// Every reader below accepts a strict subset of what rdata_from_text accepts and produces the
// same octets for it. Anything outside that subset returns nullopt. The ZoneFastRdata unit
// tests compare both on signed zones and on odd input.

namespace robur::zone {

namespace {

using Octets = std::vector<std::uint8_t>;
using Tokens = std::span<const Token>;

constexpr std::size_t max_rdata_length = 65535;

// True for a token that ldns and robur read alike: unquoted, not glued to the previous one
// and without escapes.
bool is_plain(const Token& token)
{
    return !token.quoted && !token.attached && !token.text.empty() &&
           token.text.find('\\') == std::string::npos;
}

// A decimal number without sign, leading zeros or units, at most max.
std::optional<std::uint32_t> parse_number(std::string_view text, std::uint32_t max)
{
    if (text.empty() || text.size() > 10 || (text.size() > 1 && text.front() == '0')) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > max) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(value);
}

void append_u16(Octets& out, std::uint32_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

void append_u32(Octets& out, std::uint32_t value)
{
    append_u16(out, value >> 16);
    append_u16(out, value & 0xffff);
}

// Appends a number of 1, 2 or 4 octets.
bool append_number(Octets& out, const Token& token, std::size_t octets)
{
    std::uint32_t max = 0xffffffff;
    if (octets == 1) {
        max = 0xff;
    } else if (octets == 2) {
        max = 0xffff;
    }
    const auto value = parse_number(token.text, max);
    if (!value) {
        return false;
    }
    if (octets == 1) {
        out.push_back(static_cast<std::uint8_t>(*value));
    } else if (octets == 2) {
        append_u16(out, *value);
    } else {
        append_u32(out, *value);
    }
    return true;
}

bool append_name(Octets& out, const Token& token, const Name& origin)
{
    const auto name = Name::parse(token.text, origin);
    if (!name) {
        return false;
    }
    out.insert(out.end(), name->wire().begin(), name->wire().end());
    return true;
}

// A type written as the mnemonic type_to_string gives it, or as TYPEn for a type without one.
// Type 0 and the meta and query types 128 to 255 (RFC 6895 section 3.1) are left to
// rdata_from_text.
std::optional<std::uint16_t> parse_type(std::string_view text)
{
    constexpr std::uint16_t first_meta_type = 128;
    constexpr std::uint16_t last_meta_type = 255;
    const auto type = type_from_string(text);
    if (!type || *type == 0 || (*type >= first_meta_type && *type <= last_meta_type) ||
        type_to_string(*type) != text) {
        return std::nullopt;
    }
    return type;
}

bool append_hex(Octets& out, std::string_view text)
{
    if (text.size() % 2 != 0) {
        return false;
    }
    const auto octets = text::hex_decode(text);
    if (!octets) {
        return false;
    }
    out.insert(out.end(), octets->begin(), octets->end());
    return true;
}

bool append_base64(Octets& out, std::string_view text)
{
    const auto octets = text::base64_decode(text);
    if (!octets || octets->empty()) {
        return false;
    }
    out.insert(out.end(), octets->begin(), octets->end());
    return true;
}

// Lower-case base32hex without padding in whole 40-bit groups (RFC 4648 section 7), the form
// robur and most signers write NSEC3 hashes in.
bool append_base32hex(Octets& out, std::string_view text)
{
    if (text.empty() || text.size() % 8 != 0 || text.size() / 8 * 5 > 255) {
        return false;
    }
    out.push_back(static_cast<std::uint8_t>(text.size() / 8 * 5));
    std::uint64_t group = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        std::uint64_t value = 0;
        if (c >= '0' && c <= '9') {
            value = static_cast<std::uint64_t>(c - '0');
        } else if (c >= 'a' && c <= 'v') {
            value = static_cast<std::uint64_t>(c - 'a' + 10);
        } else {
            return false;
        }
        group = (group << 5) | value;
        if (i % 8 == 7) {
            for (int shift = 32; shift >= 0; shift -= 8) {
                out.push_back(static_cast<std::uint8_t>(group >> shift));
            }
            group = 0;
        }
    }
    return true;
}

// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = year / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
                                day_of_year;
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

// An RRSIG time as YYYYMMDDHHmmSS in UTC from 1970 on, reduced to 32 bits as RFC 4034
// section 3.1.5 writes it. Dates that do not exist and the plain-seconds form are left to
// rdata_from_text.
bool append_time(Octets& out, std::string_view text)
{
    if (text.size() != 14 || !std::all_of(text.begin(), text.end(), [](char c) {
            return c >= '0' && c <= '9';
        })) {
        return false;
    }
    const auto field = [&](std::size_t offset, std::size_t length) {
        unsigned value = 0;
        for (std::size_t i = offset; i < offset + length; ++i) {
            value = value * 10 + static_cast<unsigned>(text[i] - '0');
        }
        return value;
    };
    const unsigned year = field(0, 4);
    const unsigned month = field(4, 2);
    const unsigned day = field(6, 2);
    const unsigned hour = field(8, 2);
    const unsigned minute = field(10, 2);
    const unsigned second = field(12, 2);
    constexpr std::array<unsigned, 12> month_days = {31, 29, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
        (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 59) {
        return false;
    }
    const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 +
                                 minute * 60 + second;
    append_u32(out, static_cast<std::uint32_t>(static_cast<std::uint64_t>(seconds)));
    return true;
}

// An RFC 4034 section 4.1.2 type bitmap from types in strictly ascending order.
bool append_bitmap(Octets& out, Tokens tokens)
{
    std::vector<std::uint16_t> types;
    types.reserve(tokens.size());
    for (const auto& token : tokens) {
        const auto type = parse_type(token.text);
        if (!type || (!types.empty() && *type <= types.back())) {
            return false;
        }
        types.push_back(*type);
    }
    append_type_bitmap(out, types);
    return true;
}

bool read_a(Octets& out, Tokens tokens)
{
    if (tokens.size() != 1) {
        return false;
    }
    std::string_view text = tokens[0].text;
    for (int part = 0; part < 4; ++part) {
        const std::size_t dot = part < 3 ? text.find('.') : text.size();
        if (dot == std::string_view::npos) {
            return false;
        }
        const auto value = parse_number(text.substr(0, dot), 255);
        if (!value) {
            return false;
        }
        out.push_back(static_cast<std::uint8_t>(*value));
        text.remove_prefix(std::min(text.size(), dot + 1));
    }
    return true;
}

bool read_aaaa(Octets& out, Tokens tokens)
{
    if (tokens.size() != 1 ||
        tokens[0].text.find_first_not_of("0123456789abcdefABCDEF:") != std::string::npos) {
        return false;
    }
    std::array<std::uint8_t, 16> address{};
    if (inet_pton(AF_INET6, tokens[0].text.c_str(), address.data()) != 1) {
        return false;
    }
    out.insert(out.end(), address.begin(), address.end());
    return true;
}

bool read_soa(Octets& out, Tokens tokens, const Name& origin)
{
    if (tokens.size() != 7 || !append_name(out, tokens[0], origin) ||
        !append_name(out, tokens[1], origin)) {
        return false;
    }
    return std::all_of(tokens.begin() + 2, tokens.end(),
                       [&](const Token& token) { return append_number(out, token, 4); });
}

bool read_mx(Octets& out, Tokens tokens, const Name& origin)
{
    return tokens.size() == 2 && append_number(out, tokens[0], 2) &&
           append_name(out, tokens[1], origin);
}

// DS and DNSKEY: a 16-bit field, two 8-bit fields, then hex (DS) or base64 (DNSKEY).
bool read_ds_or_dnskey(Octets& out, Tokens tokens, bool base64)
{
    if (tokens.size() != 4 || !append_number(out, tokens[0], 2) ||
        !append_number(out, tokens[1], 1) || !append_number(out, tokens[2], 1)) {
        return false;
    }
    return base64 ? append_base64(out, tokens[3].text)
                  : !tokens[3].text.empty() && append_hex(out, tokens[3].text);
}

bool read_rrsig(Octets& out, Tokens tokens, const Name& origin)
{
    if (tokens.size() != 9) {
        return false;
    }
    const auto covered = parse_type(tokens[0].text);
    if (!covered) {
        return false;
    }
    append_u16(out, *covered);
    return append_number(out, tokens[1], 1) && append_number(out, tokens[2], 1) &&
           append_number(out, tokens[3], 4) && append_time(out, tokens[4].text) &&
           append_time(out, tokens[5].text) && append_number(out, tokens[6], 2) &&
           append_name(out, tokens[7], origin) && append_base64(out, tokens[8].text);
}

bool read_nsec(Octets& out, Tokens tokens, const Name& origin)
{
    return tokens.size() >= 2 && append_name(out, tokens[0], origin) &&
           append_bitmap(out, tokens.subspan(1));
}

// Hash algorithm, flags, iterations and salt, the start of NSEC3 and NSEC3PARAM.
bool read_nsec3_parameters(Octets& out, Tokens tokens)
{
    if (tokens.size() < 4 || !append_number(out, tokens[0], 1) ||
        !append_number(out, tokens[1], 1) || !append_number(out, tokens[2], 2)) {
        return false;
    }
    const std::string& salt = tokens[3].text;
    if (salt == "-") {
        out.push_back(0);
        return true;
    }
    if (salt.size() > 2 * 255) {
        return false;
    }
    out.push_back(static_cast<std::uint8_t>(salt.size() / 2));
    return append_hex(out, salt);
}

bool read_nsec3(Octets& out, Tokens tokens)
{
    return tokens.size() >= 5 && read_nsec3_parameters(out, tokens.first(4)) &&
           append_base32hex(out, tokens[4].text) && append_bitmap(out, tokens.subspan(5));
}

bool read_nsec3param(Octets& out, Tokens tokens)
{
    return tokens.size() == 4 && read_nsec3_parameters(out, tokens);
}

bool read_rdata(Octets& out, std::uint16_t type, Tokens tokens, const Name& origin)
{
    switch (type) {
    case rrtype::a:
        return read_a(out, tokens);
    case rrtype::aaaa:
        return read_aaaa(out, tokens);
    case rrtype::ns:
    case rrtype::cname:
        return tokens.size() == 1 && append_name(out, tokens[0], origin);
    case rrtype::soa:
        return read_soa(out, tokens, origin);
    case rrtype::mx:
        return read_mx(out, tokens, origin);
    case rrtype::ds:
        return read_ds_or_dnskey(out, tokens, false);
    case rrtype::dnskey:
        return read_ds_or_dnskey(out, tokens, true);
    case rrtype::rrsig:
        return read_rrsig(out, tokens, origin);
    case rrtype::nsec:
        return read_nsec(out, tokens, origin);
    case rrtype::nsec3:
        return read_nsec3(out, tokens);
    case rrtype::nsec3param:
        return read_nsec3param(out, tokens);
    default:
        return false;
    }
}

} // namespace

std::optional<std::vector<std::uint8_t>> fast_rdata_from_text(std::uint16_t type,
                                                              std::span<const Token> tokens,
                                                              const Name& origin)
{
    if (!std::all_of(tokens.begin(), tokens.end(), is_plain)) {
        return std::nullopt;
    }
    Octets out;
    if (!read_rdata(out, type, tokens, origin) || out.size() > max_rdata_length) {
        return std::nullopt;
    }
    return out;
}

} // namespace robur::zone
