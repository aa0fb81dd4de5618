#include "formats/zone/svcb.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include <arpa/inet.h>
#include <fmt/format.h>

#include "formats/zone/text.hpp"

namespace robur::zone::svcb {

namespace {

// SvcParamKeys registered with IANA (RFC 9460 section 14.3.2, RFC 9461, RFC 9540).
enum Key : std::uint16_t {
    mandatory = 0,
    alpn = 1,
    no_default_alpn = 2,
    port = 3,
    ipv4hint = 4,
    ech = 5,
    ipv6hint = 6,
    dohpath = 7,
    ohttp = 8,
    invalid_key = 65535, // reserved by RFC 9460 section 14.3.2
};

constexpr std::array<std::string_view, 9> key_names = {"mandatory", "alpn",     "no-default-alpn",
                                                       "port",      "ipv4hint", "ech",
                                                       "ipv6hint",  "dohpath",  "ohttp"};

using Octets = std::vector<std::uint8_t>;
using Params = std::map<std::uint16_t, Octets>; // ordered by key, as the wire form needs

std::string key_to_string(std::uint16_t key)
{
    return key < key_names.size() ? std::string(key_names[key]) : fmt::format("key{}", key);
}

Result<std::uint16_t> key_from_string(std::string_view name)
{
    const auto known = std::find(key_names.begin(), key_names.end(), name);
    if (known != key_names.end()) {
        return static_cast<std::uint16_t>(known - key_names.begin());
    }
    if (name.size() > 3 && name.substr(0, 3) == "key") {
        const auto number = text::parse_unsigned(name.substr(3), 65535);
        if (number && *number != invalid_key && (name.size() == 4 || name[3] != '0')) {
            return static_cast<std::uint16_t>(*number);
        }
    }
    return make_error(Errc::parse_error, fmt::format("unknown SvcParamKey \"{}\"", name));
}

void put_u16(Octets& out, std::uint16_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

std::uint16_t get_u16(std::span<const std::uint8_t> octets, std::size_t offset)
{
    return static_cast<std::uint16_t>((octets[offset] << 8) | octets[offset + 1]);
}

// Splits a value-list at unescaped commas, resolving "\," and "\\" (RFC 9460 appendix A.1).
std::vector<std::string> split_value_list(std::string_view value)
{
    std::vector<std::string> items(1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
            items.back() += value[++i];
        } else if (value[i] == ',') {
            items.emplace_back();
        } else {
            items.back() += value[i];
        }
    }
    return items;
}

Result<Octets> alpn_value(std::string_view value)
{
    Octets out;
    for (const auto& id : split_value_list(value)) {
        if (id.empty() || id.size() > 255) {
            return make_error(Errc::parse_error,
                              fmt::format("invalid alpn value \"{}\": every protocol id needs 1 "
                                          "to 255 octets",
                                          value));
        }
        out.push_back(static_cast<std::uint8_t>(id.size()));
        out.insert(out.end(), id.begin(), id.end());
    }
    return out;
}

Result<Octets> mandatory_value(std::string_view value)
{
    std::vector<std::uint16_t> keys;
    for (const auto& name : split_value_list(value)) {
        auto key = key_from_string(name);
        if (!key) {
            return make_error(Errc::parse_error, fmt::format("invalid mandatory value \"{}\": {}",
                                                             value, key.error().message));
        }
        if (*key == mandatory) {
            return make_error(Errc::parse_error,
                              "mandatory must not list the key \"mandatory\" itself");
        }
        if (std::find(keys.begin(), keys.end(), *key) != keys.end()) {
            return make_error(Errc::parse_error,
                              fmt::format("mandatory lists the key \"{}\" twice", name));
        }
        keys.push_back(*key);
    }
    std::sort(keys.begin(), keys.end());
    Octets out;
    for (const auto key : keys) {
        put_u16(out, key);
    }
    return out;
}

template <std::size_t Size>
Result<Octets> address_list_value(std::string_view key_name, std::string_view value, int family)
{
    Octets out;
    for (const auto& item : split_value_list(value)) {
        std::array<std::uint8_t, Size> address{};
        if (inet_pton(family, item.c_str(), address.data()) != 1) {
            return make_error(Errc::parse_error,
                              fmt::format("invalid address \"{}\" in {}", item, key_name));
        }
        out.insert(out.end(), address.begin(), address.end());
    }
    return out;
}

Result<Octets> port_value(std::string_view value)
{
    const auto number = text::parse_unsigned(value, 65535);
    if (!number) {
        return make_error(
            Errc::parse_error,
            fmt::format("invalid port \"{}\": expected a number from 0 to 65535", value));
    }
    Octets out;
    put_u16(out, static_cast<std::uint16_t>(*number));
    return out;
}

// Converts the presentation value of one SvcParam (already unescaped) to wire octets.
Result<Octets> param_value(std::uint16_t key, const std::optional<std::string>& value)
{
    const bool flag_key = key == no_default_alpn || key == ohttp;
    if (flag_key) {
        if (value) {
            return make_error(Errc::parse_error,
                              fmt::format("{} takes no value", key_to_string(key)));
        }
        return Octets{};
    }
    const bool value_required = key <= dohpath;
    if (value_required && (!value || value->empty())) {
        return make_error(Errc::parse_error, fmt::format("{} needs a value", key_to_string(key)));
    }
    const std::string_view text = value ? std::string_view(*value) : std::string_view();
    switch (key) {
    case mandatory:
        return mandatory_value(text);
    case alpn:
        return alpn_value(text);
    case port:
        return port_value(text);
    case ipv4hint:
        return address_list_value<4>("ipv4hint", text, AF_INET);
    case ipv6hint:
        return address_list_value<16>("ipv6hint", text, AF_INET6);
    case ech: {
        auto decoded = text::base64_decode(text);
        if (!decoded) {
            return make_error(Errc::parse_error, fmt::format("invalid base64 in ech \"{}\"", text));
        }
        return std::move(*decoded);
    }
    default:
        return Octets(text.begin(), text.end());
    }
}

// Splits "key=value" (value possibly a separate quoted token) into the key and raw value.
struct RawParam {
    std::string key;
    std::optional<std::string> value;
};

std::vector<RawParam> split_params(std::span<const Token> tokens)
{
    std::vector<RawParam> params;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const std::string& field = tokens[i].text;
        const auto equals = field.find('=');
        if (equals == std::string::npos) {
            params.push_back({field, std::nullopt});
            continue;
        }
        RawParam param{field.substr(0, equals), field.substr(equals + 1)};
        const bool quoted_value_follows = equals + 1 == field.size() && i + 1 < tokens.size() &&
                                          tokens[i + 1].quoted && tokens[i + 1].attached;
        if (quoted_value_follows) {
            param.value = tokens[++i].text;
        }
        params.push_back(std::move(param));
    }
    return params;
}

Result<void> check_consistency(const Params& params)
{
    const auto listed = params.find(mandatory);
    if (listed != params.end()) {
        for (std::size_t i = 0; i + 1 < listed->second.size(); i += 2) {
            const std::uint16_t key = get_u16(listed->second, i);
            if (!params.contains(key)) {
                return make_error(Errc::parse_error,
                                  fmt::format("mandatory lists \"{}\" but the record has no such "
                                              "SvcParam",
                                              key_to_string(key)));
            }
        }
    }
    // RFC 9460 section 7.1.1: no-default-alpn without alpn leaves no protocol to use.
    if (params.contains(no_default_alpn) && !params.contains(alpn)) {
        return make_error(Errc::parse_error, "no-default-alpn needs an alpn SvcParam as well");
    }
    return {};
}

// Reads the SvcParams of a record, ordered by key as the wire form needs them.
Result<Params> parse_params(std::span<const Token> tokens)
{
    Params params;
    for (const auto& raw : split_params(tokens)) {
        auto key = key_from_string(raw.key);
        if (!key) {
            return tl::unexpected(key.error());
        }
        std::optional<std::string> value;
        if (raw.value) {
            auto unescaped = text::unescape(*raw.value);
            if (!unescaped) {
                return tl::unexpected(unescaped.error());
            }
            value = std::move(*unescaped);
        }
        auto octets = param_value(*key, value);
        if (!octets) {
            return tl::unexpected(octets.error());
        }
        if (octets->size() > 65535) {
            return make_error(Errc::parse_error,
                              fmt::format("value of {} is longer than 65535 octets", raw.key));
        }
        if (!params.emplace(*key, std::move(*octets)).second) {
            return make_error(Errc::parse_error,
                              fmt::format("SvcParamKey \"{}\" appears more than once", raw.key));
        }
    }
    return params;
}

} // namespace

Result<std::vector<std::uint8_t>> from_text(std::span<const Token> tokens, const Name& origin)
{
    if (tokens.size() < 2) {
        return make_error(Errc::parse_error,
                          "missing SvcPriority or TargetName: expected \"priority target "
                          "[params...]\"");
    }
    const auto priority = text::parse_unsigned(tokens[0].text, 65535);
    if (!priority) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid SvcPriority \"{}\": expected a number from 0 to "
                                      "65535",
                                      tokens[0].text));
    }
    auto target = Name::parse(tokens[1].text, origin);
    if (!target) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid TargetName: {}", target.error().message));
    }

    auto params = parse_params(tokens.subspan(2));
    if (!params) {
        return tl::unexpected(params.error());
    }
    if (auto consistent = check_consistency(*params); !consistent) {
        return tl::unexpected(consistent.error());
    }

    Octets out;
    put_u16(out, static_cast<std::uint16_t>(*priority));
    const auto target_wire = target->wire();
    out.insert(out.end(), target_wire.begin(), target_wire.end());
    for (const auto& [key, value] : *params) {
        put_u16(out, key);
        put_u16(out, static_cast<std::uint16_t>(value.size()));
        out.insert(out.end(), value.begin(), value.end());
    }
    return out;
}

namespace {

// Escapes one value-list item: ',' and '\' get a backslash first (RFC 9460 appendix A.1).
std::string escape_list_item(std::string_view item)
{
    std::string out;
    for (const char c : item) {
        if (c == ',' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

std::optional<std::string> alpn_text(std::span<const std::uint8_t> value)
{
    std::string list;
    std::size_t offset = 0;
    while (offset < value.size()) {
        const std::size_t length = value[offset];
        if (length == 0 || offset + 1 + length > value.size()) {
            return std::nullopt;
        }
        if (!list.empty()) {
            list += ',';
        }
        const auto* id = reinterpret_cast<const char*>(value.data() + offset + 1);
        list += escape_list_item(std::string_view(id, length));
        offset += 1 + length;
    }
    if (list.empty()) {
        return std::nullopt;
    }
    return text::escape(list, false);
}

std::optional<std::string> mandatory_text(std::span<const std::uint8_t> value)
{
    if (value.empty() || value.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string out;
    std::optional<std::uint16_t> previous;
    for (std::size_t i = 0; i < value.size(); i += 2) {
        const std::uint16_t key = get_u16(value, i);
        if (key == mandatory || (previous && key <= *previous)) {
            return std::nullopt;
        }
        previous = key;
        if (!out.empty()) {
            out += ',';
        }
        out += key_to_string(key);
    }
    return out;
}

template <std::size_t Size>
std::optional<std::string> address_list_text(std::span<const std::uint8_t> value, int family)
{
    if (value.empty() || value.size() % Size != 0) {
        return std::nullopt;
    }
    std::string out;
    for (std::size_t i = 0; i < value.size(); i += Size) {
        std::array<char, INET6_ADDRSTRLEN> buffer{};
        if (inet_ntop(family, value.data() + i, buffer.data(), buffer.size()) == nullptr) {
            return std::nullopt;
        }
        if (!out.empty()) {
            out += ',';
        }
        out += buffer.data();
    }
    return out;
}

// Presentation value of one SvcParam, without "key="; nullopt when the value is malformed.
std::optional<std::string> param_text(std::uint16_t key, std::span<const std::uint8_t> value)
{
    const auto* chars = reinterpret_cast<const char*>(value.data());
    switch (key) {
    case mandatory:
        return mandatory_text(value);
    case alpn:
        return alpn_text(value);
    case no_default_alpn:
    case ohttp:
        return value.empty() ? std::optional<std::string>("") : std::nullopt;
    case port:
        if (value.size() != 2) {
            return std::nullopt;
        }
        return fmt::format("{}", get_u16(value, 0));
    case ipv4hint:
        return address_list_text<4>(value, AF_INET);
    case ipv6hint:
        return address_list_text<16>(value, AF_INET6);
    case ech:
        return value.empty() ? std::nullopt : std::optional(text::base64_encode(value));
    case dohpath:
        return value.empty() ? std::nullopt
                             : std::optional(text::escape({chars, value.size()}, false));
    default:
        return text::escape({chars, value.size()}, false);
    }
}

} // namespace

std::optional<std::string> to_text(std::span<const std::uint8_t> rdata)
{
    if (rdata.size() < 3) {
        return std::nullopt;
    }
    std::size_t offset = 2;
    std::size_t name_end = offset;
    while (name_end < rdata.size() && rdata[name_end] != 0) {
        name_end += 1 + rdata[name_end];
    }
    if (name_end >= rdata.size()) {
        return std::nullopt;
    }
    const auto target = Name::from_wire(rdata.subspan(offset, name_end + 1 - offset));
    if (!target) {
        return std::nullopt;
    }
    offset = name_end + 1;

    std::string out = fmt::format("{} {}", get_u16(rdata, 0), target->to_string());
    Params params;
    std::optional<std::uint16_t> previous;
    while (offset < rdata.size()) {
        if (offset + 4 > rdata.size()) {
            return std::nullopt;
        }
        const std::uint16_t key = get_u16(rdata, offset);
        const std::size_t length = get_u16(rdata, offset + 2);
        // RFC 9460 section 2.2: keys appear in strictly increasing order.
        if ((previous && key <= *previous) || key == invalid_key ||
            offset + 4 + length > rdata.size()) {
            return std::nullopt;
        }
        previous = key;
        const auto value = rdata.subspan(offset + 4, length);
        const auto value_text = param_text(key, value);
        if (!value_text) {
            return std::nullopt;
        }
        out += ' ' + key_to_string(key);
        if (!value_text->empty()) {
            out += '=' + *value_text;
        }
        params.emplace(key, Octets(value.begin(), value.end()));
        offset += 4 + length;
    }
    if (!check_consistency(params)) {
        return std::nullopt;
    }
    return out;
}

} // namespace robur::zone::svcb
