#include "formats/zone/rdata.hpp"

#include <array>

#include <arpa/inet.h>
#include <fmt/format.h>

#include "formats/zone/loc.hpp"
#include "formats/zone/rdata_ldns.hpp"
#include "formats/zone/record.hpp"
#include "formats/zone/svcb.hpp"
#include "formats/zone/text.hpp"

namespace robur::zone {

namespace {

using Octets = std::vector<std::uint8_t>;

constexpr std::uint16_t spf_type = 99;
constexpr std::uint16_t ipseckey_type = 45;
constexpr std::uint16_t loc_type = 29;
constexpr std::size_t max_rdata_length = 65535;

bool is_txt_like(std::uint16_t type)
{
    return type == rrtype::txt || type == spf_type;
}

bool is_svcb_like(std::uint16_t type)
{
    return type == rrtype::svcb || type == rrtype::https;
}

// TXT and SPF: character-strings longer than 255 octets are split into 255-octet strings,
// so one long string and the same data written split give the same rdata.
Result<Octets> txt_from_text(std::uint16_t type, std::span<const Token> tokens)
{
    if (tokens.empty()) {
        return make_error(Errc::parse_error,
                          fmt::format("missing rdata in {} record: at least one character-string "
                                      "is needed",
                                      type_to_string(type)));
    }
    Octets out;
    for (const auto& token : tokens) {
        auto octets = text::unescape(token.text);
        if (!octets) {
            return tl::unexpected(octets.error());
        }
        std::string_view rest = *octets;
        do {
            const std::string_view chunk = rest.substr(0, 255);
            out.push_back(static_cast<std::uint8_t>(chunk.size()));
            out.insert(out.end(), chunk.begin(), chunk.end());
            rest.remove_prefix(chunk.size());
        } while (!rest.empty());
    }
    return out;
}

std::optional<std::string> txt_to_text(std::span<const std::uint8_t> rdata)
{
    if (rdata.empty()) {
        return std::nullopt;
    }
    std::string out;
    std::size_t offset = 0;
    while (offset < rdata.size()) {
        const std::size_t length = rdata[offset];
        if (offset + 1 + length > rdata.size()) {
            return std::nullopt;
        }
        const auto* chars = reinterpret_cast<const char*>(rdata.data() + offset + 1);
        if (!out.empty()) {
            out += ' ';
        }
        out += '"' + text::escape({chars, length}, true) + '"';
        offset += 1 + length;
    }
    return out;
}

std::optional<std::string> ipseckey_to_text(std::span<const std::uint8_t> rdata);

// True when rdata has the structure its type requires. Some valid rdata has no presentation
// form that reads back the same (ldns prints it lossily), so this does not ask for one.
bool fits_type(std::uint16_t type, std::span<const std::uint8_t> rdata)
{
    if (is_txt_like(type)) {
        return txt_to_text(rdata).has_value();
    }
    if (is_svcb_like(type)) {
        return svcb::to_text(rdata).has_value();
    }
    if (type == ipseckey_type) {
        return ipseckey_to_text(rdata).has_value();
    }
    if (ldns_rdata::has_format(type)) {
        return ldns_rdata::to_text(type, rdata).has_value();
    }
    return true;
}

// RFC 3597 section 5: "\# length hex...", where the hex digits may be split into fields.
Result<Octets> generic_from_text(std::uint16_t type, std::span<const Token> tokens)
{
    const std::string type_name = type_to_string(type);
    if (tokens.empty()) {
        return make_error(Errc::parse_error,
                          fmt::format("missing length after \\# in {} record", type_name));
    }
    const auto length = text::parse_unsigned(tokens[0].text, max_rdata_length);
    if (!length) {
        return make_error(
            Errc::parse_error,
            fmt::format("invalid \\# rdata length \"{}\" in {} record", tokens[0].text, type_name));
    }
    std::string digits;
    for (const auto& token : tokens.subspan(1)) {
        digits += token.text;
    }
    auto octets = text::hex_decode(digits);
    if (!octets) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid hex data \"{}\" in {} record", digits, type_name));
    }
    if (octets->size() != *length) {
        return make_error(Errc::parse_error,
                          fmt::format("\\# rdata length {} does not match the {} octets of hex "
                                      "data in {} record",
                                      *length, octets->size(), type_name));
    }
    if (!fits_type(type, *octets)) {
        return make_error(
            Errc::parse_error,
            fmt::format("\\# rdata \"{}\" is not valid rdata for type {}", digits, type_name));
    }
    return std::move(*octets);
}

// True when text parses back to exactly rdata, so printing it loses nothing.
bool round_trips(std::uint16_t type, const std::string& presentation,
                 std::span<const std::uint8_t> rdata)
{
    if (presentation.rfind("\\#", 0) == 0) {
        return false;
    }
    const auto tokens = tokenize_rdata(presentation);
    if (!tokens) {
        return false;
    }
    const auto reparsed = rdata_from_text(type, *tokens, Name());
    return reparsed && std::equal(reparsed->begin(), reparsed->end(), rdata.begin(), rdata.end());
}

// IPSECKEY (RFC 4025 section 3.1), read here because ldns 1.8.3 leaks memory on several of
// its error paths: precedence, gateway type, algorithm, gateway and an optional base64 key.
Result<Octets> ipseckey_from_text(std::span<const Token> tokens, const Name& origin)
{
    const auto invalid = [](std::string_view what, std::string_view value) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid {} \"{}\" in IPSECKEY record", what, value));
    };
    if (tokens.size() < 4) {
        return make_error(Errc::parse_error,
                          fmt::format("missing rdata in IPSECKEY record: 4 fields needed, {} found",
                                      tokens.size()));
    }
    Octets out;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto number = text::parse_unsigned(tokens[i].text, 255);
        if (!number) {
            return invalid("8-bit number", tokens[i].text);
        }
        out.push_back(static_cast<std::uint8_t>(*number));
    }

    const std::string& gateway = tokens[3].text;
    switch (out[1]) {
    case 0:
        if (gateway != ".") {
            return invalid("gateway for gateway type 0 (none, written \".\")", gateway);
        }
        break;
    case 1:
    case 2: {
        const int family = out[1] == 1 ? AF_INET : AF_INET6;
        std::array<std::uint8_t, 16> address{};
        if (inet_pton(family, gateway.c_str(), address.data()) != 1) {
            return invalid(out[1] == 1 ? "IPv4 gateway" : "IPv6 gateway", gateway);
        }
        out.insert(out.end(), address.begin(), address.begin() + (out[1] == 1 ? 4 : 16));
        break;
    }
    case 3: {
        auto name = Name::parse(gateway, origin);
        if (!name) {
            return invalid("gateway name", gateway);
        }
        out.insert(out.end(), name->wire().begin(), name->wire().end());
        break;
    }
    default:
        return invalid("gateway type", tokens[1].text);
    }

    std::string key;
    for (const auto& token : tokens.subspan(4)) {
        key += token.text;
    }
    const auto decoded = text::base64_decode(key);
    if (!decoded) {
        return invalid("base64 public key", key);
    }
    out.insert(out.end(), decoded->begin(), decoded->end());
    return out;
}

std::optional<std::string> ipseckey_to_text(std::span<const std::uint8_t> rdata)
{
    if (rdata.size() < 3) {
        return std::nullopt;
    }
    std::string out = fmt::format("{} {} {} ", rdata[0], rdata[1], rdata[2]);
    std::size_t offset = 3;
    switch (rdata[1]) {
    case 0:
        out += '.';
        break;
    case 1:
    case 2: {
        const std::size_t size = rdata[1] == 1 ? 4 : 16;
        std::array<char, INET6_ADDRSTRLEN> buffer{};
        if (rdata.size() < offset + size ||
            inet_ntop(rdata[1] == 1 ? AF_INET : AF_INET6, rdata.data() + offset, buffer.data(),
                      buffer.size()) == nullptr) {
            return std::nullopt;
        }
        out += buffer.data();
        offset += size;
        break;
    }
    case 3: {
        std::size_t end = offset;
        while (end < rdata.size() && rdata[end] != 0) {
            end += 1 + rdata[end];
        }
        const auto name = end < rdata.size()
                              ? Name::from_wire(rdata.subspan(offset, end + 1 - offset))
                              : Result<Name>(make_error(Errc::parse_error, ""));
        if (!name) {
            return std::nullopt;
        }
        out += name->to_string();
        offset = end + 1;
        break;
    }
    default:
        return std::nullopt;
    }
    if (offset < rdata.size()) {
        out += ' ' + text::base64_encode(rdata.subspan(offset));
    }
    return out;
}

} // namespace

bool has_native_format(std::uint16_t type)
{
    return is_txt_like(type) || is_svcb_like(type) || type == ipseckey_type ||
           ldns_rdata::has_format(type);
}

} // namespace robur::zone

namespace robur::zone {

Result<std::vector<std::uint8_t>> rdata_from_text(std::uint16_t type, std::span<const Token> tokens,
                                                  const Name& origin)
{
    if (!tokens.empty() && !tokens[0].quoted && tokens[0].text == "\\#") {
        return generic_from_text(type, tokens.subspan(1));
    }
    if (is_txt_like(type)) {
        return txt_from_text(type, tokens);
    }
    if (is_svcb_like(type)) {
        auto rdata = svcb::from_text(tokens, origin);
        if (!rdata) {
            return make_error(
                Errc::parse_error,
                fmt::format("invalid {} rdata: {}", type_to_string(type), rdata.error().message));
        }
        return rdata;
    }
    if (type == ipseckey_type) {
        return ipseckey_from_text(tokens, origin);
    }
    if (type == loc_type) {
        return loc_from_text(tokens);
    }
    if (ldns_rdata::has_format(type)) {
        return ldns_rdata::from_text(type, tokens, origin);
    }
    return make_error(Errc::parse_error,
                      fmt::format("type {} has no known presentation format: write its rdata in "
                                  "RFC 3597 form \"\\# length hex\"",
                                  type_to_string(type)));
}

std::optional<std::string> rdata_to_native_text(std::uint16_t type,
                                                std::span<const std::uint8_t> rdata)
{
    if (is_txt_like(type)) {
        return txt_to_text(rdata);
    }
    if (is_svcb_like(type)) {
        return svcb::to_text(rdata);
    }
    if (type == ipseckey_type) {
        return ipseckey_to_text(rdata);
    }
    if (!ldns_rdata::has_format(type)) {
        return std::nullopt;
    }
    auto presentation = ldns_rdata::to_text(type, rdata);
    if (!presentation || !round_trips(type, *presentation, rdata)) {
        return std::nullopt;
    }
    return presentation;
}

} // namespace robur::zone
