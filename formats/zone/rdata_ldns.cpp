#include "formats/zone/rdata_ldns.hpp"

#include <fmt/format.h>

#include "formats/zone/ldns.hpp"
#include "formats/zone/record.hpp"
#include "formats/zone/text.hpp"

namespace robur::zone::ldns_rdata {

namespace {

using Octets = std::vector<std::uint8_t>;

constexpr std::size_t max_rdata_length = 65535;

const ldns_rr_descriptor* find_descriptor(std::uint16_t type)
{
    const ldns_rr_descriptor* descriptor = ldns_rr_descript(type);
    if (descriptor == nullptr || descriptor->_name == nullptr || type == 0) {
        return nullptr;
    }
    // ldns names the types it has no format for "TYPEnnn"; those are unknown here.
    if (std::string_view(descriptor->_name).substr(0, 4) == "TYPE") {
        return nullptr;
    }
    return descriptor;
}

// Fields that ldns reads from exactly one presentation token.
bool is_single_token_field(ldns_rdf_type field)
{
    switch (field) {
    case LDNS_RDF_TYPE_DNAME:
    case LDNS_RDF_TYPE_INT8:
    case LDNS_RDF_TYPE_INT16:
    case LDNS_RDF_TYPE_INT32:
    case LDNS_RDF_TYPE_A:
    case LDNS_RDF_TYPE_AAAA:
    case LDNS_RDF_TYPE_STR:
    case LDNS_RDF_TYPE_B32_EXT:
    case LDNS_RDF_TYPE_TYPE:
    case LDNS_RDF_TYPE_CLASS:
    case LDNS_RDF_TYPE_CERT_ALG:
    case LDNS_RDF_TYPE_ALG:
    case LDNS_RDF_TYPE_TIME:
    case LDNS_RDF_TYPE_PERIOD:
    case LDNS_RDF_TYPE_NSEC3_SALT:
    case LDNS_RDF_TYPE_ILNP64:
    case LDNS_RDF_TYPE_EUI48:
    case LDNS_RDF_TYPE_EUI64:
    case LDNS_RDF_TYPE_TAG:
    case LDNS_RDF_TYPE_CERTIFICATE_USAGE:
    case LDNS_RDF_TYPE_SELECTOR:
    case LDNS_RDF_TYPE_MATCHING_TYPE:
        return true;
    default:
        return false;
    }
}

std::string_view field_kind(ldns_rdf_type field)
{
    switch (field) {
    case LDNS_RDF_TYPE_DNAME:
        return "domain name";
    case LDNS_RDF_TYPE_INT8:
        return "8-bit number";
    case LDNS_RDF_TYPE_INT16:
        return "16-bit number";
    case LDNS_RDF_TYPE_INT32:
        return "32-bit number";
    case LDNS_RDF_TYPE_A:
        return "IPv4 address";
    case LDNS_RDF_TYPE_AAAA:
        return "IPv6 address";
    case LDNS_RDF_TYPE_PERIOD:
        return "time period";
    case LDNS_RDF_TYPE_TIME:
        return "timestamp";
    case LDNS_RDF_TYPE_TYPE:
        return "type";
    case LDNS_RDF_TYPE_ALG:
        return "algorithm";
    case LDNS_RDF_TYPE_CERT_ALG:
        return "certificate type";
    default:
        return "value";
    }
}

// Checks one field before ldns reads it, because ldns 1.8.3 truncates numbers that overflow
// their field. Periods with units ("1h") are turned into seconds.
Result<std::string> check_field(std::uint16_t type, ldns_rdf_type field, const Token& token,
                                const Name& origin)
{
    const auto invalid = [&](std::string_view detail) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid {} \"{}\" in {} record{}", field_kind(field),
                                      token.text, type_to_string(type), detail));
    };
    // ldns 1.8.3 leaks memory on an empty or zero certificate type, so those stop here.
    // Type 0 is reserved (RFC 4398 section 2.1).
    if (field == LDNS_RDF_TYPE_CERT_ALG &&
        (token.text.empty() || text::parse_unsigned(token.text, 65535) == 0U)) {
        return invalid("");
    }

    std::optional<std::uint64_t> number;
    switch (field) {
    case LDNS_RDF_TYPE_INT8:
        number = text::parse_unsigned(token.text, 255);
        break;
    case LDNS_RDF_TYPE_INT16:
        number = text::parse_unsigned(token.text, 65535);
        break;
    case LDNS_RDF_TYPE_INT32:
        number = text::parse_unsigned(token.text, 4294967295U);
        break;
    case LDNS_RDF_TYPE_PERIOD:
        number = text::parse_duration(token.text, 4294967295U);
        if (number) {
            return fmt::format("{}", *number);
        }
        break;
    case LDNS_RDF_TYPE_DNAME: {
        auto name = Name::parse(token.text, origin);
        if (!name) {
            return invalid(": " + name.error().message);
        }
        return name->to_string();
    }
    default: {
        const ldns::RdfPtr rdf(ldns_rdf_new_frm_str(field, token.text.c_str()));
        if (!rdf) {
            return invalid("");
        }
        return token.quoted ? '"' + token.text + '"' : token.text;
    }
    }
    if (!number) {
        return invalid("");
    }
    return token.text;
}

std::string describe_ldns_failure(std::uint16_t type, const ldns_rr_descriptor* descriptor,
                                  std::size_t checked_fields, std::span<const Token> tokens,
                                  ldns_status status)
{
    const std::string type_name = type_to_string(type);
    const std::size_t minimum = ldns_rr_descriptor_minimum(descriptor);
    if (status == LDNS_STATUS_SYNTAX_MISSING_VALUE_ERR || tokens.size() < minimum) {
        return fmt::format("missing rdata in {} record: {} fields needed, {} found", type_name,
                           minimum, tokens.size());
    }
    const bool fixed_fields = descriptor->_variable == LDNS_RDF_TYPE_NONE &&
                              checked_fields == ldns_rr_descriptor_maximum(descriptor);
    if (status == LDNS_STATUS_SYNTAX_SUPERFLUOUS_TEXT_ERR && fixed_fields &&
        tokens.size() > checked_fields) {
        return fmt::format("extra text \"{}\" after the rdata of {} record",
                           tokens[checked_fields].text, type_name);
    }
    return fmt::format("invalid {} rdata: {}", type_name, ldns_get_errorstr_by_id(status));
}

// Checks base64 key or signature data that ends the rdata (DNSKEY, RRSIG, DHCID, ...).
// ldns 1.8.3 leaks memory when such data is malformed, so it must not see it.
Result<void> check_trailing_base64(std::uint16_t type, const ldns_rr_descriptor* descriptor,
                                   std::span<const Token> tokens)
{
    std::size_t first_token = 0;
    const std::size_t fields = ldns_rr_descriptor_maximum(descriptor);
    if (fields > 0 && descriptor->_variable == LDNS_RDF_TYPE_NONE &&
        ldns_rr_descriptor_field_type(descriptor, fields - 1) == LDNS_RDF_TYPE_B64) {
        first_token = fields - 1;
    } else {
        return {};
    }
    if (tokens.size() <= first_token) {
        return {};
    }
    std::string joined;
    for (const auto& token : tokens.subspan(first_token)) {
        joined += token.text;
    }
    if (!text::base64_decode(joined)) {
        return make_error(Errc::parse_error, fmt::format("invalid base64 data \"{}\" in {} record",
                                                         joined, type_to_string(type)));
    }
    return {};
}

Result<Octets> convert_from_text(std::uint16_t type, const ldns_rr_descriptor* descriptor,
                                 std::span<const Token> tokens, const Name& origin)
{
    // Every field takes at least one token. Missing fields are caught here because ldns 1.8.3
    // leaks memory when it finds them missing.
    const std::size_t minimum = ldns_rr_descriptor_minimum(descriptor);
    if (tokens.size() < minimum) {
        return make_error(Errc::parse_error,
                          fmt::format("missing rdata in {} record: {} fields needed, {} found",
                                      type_to_string(type), minimum, tokens.size()));
    }

    // Fields that take one token each are checked here first, so that errors name the value.
    std::string line = ". 0 IN " + type_to_string(type);
    std::size_t checked = 0;
    for (; checked < tokens.size() && checked < ldns_rr_descriptor_maximum(descriptor); ++checked) {
        const ldns_rdf_type field = ldns_rr_descriptor_field_type(descriptor, checked);
        if (!is_single_token_field(field)) {
            break;
        }
        auto normalised = check_field(type, field, tokens[checked], origin);
        if (!normalised) {
            return tl::unexpected(normalised.error());
        }
        line += ' ' + *normalised;
    }
    for (const auto& token : tokens.subspan(checked)) {
        line += ' ';
        line += token.quoted ? '"' + token.text + '"' : token.text;
    }
    if (auto checked_base64 = check_trailing_base64(type, descriptor, tokens); !checked_base64) {
        return tl::unexpected(checked_base64.error());
    }

    const auto origin_wire = origin.wire();
    const ldns::RdfPtr origin_rdf(ldns_dname_new_frm_data(
        static_cast<std::uint16_t>(origin_wire.size()), origin_wire.data()));
    ldns_rr* parsed = nullptr;
    const ldns_status status =
        ldns_rr_new_frm_str(&parsed, line.c_str(), 0, origin_rdf.get(), nullptr);
    const ldns::RrPtr rr(parsed);
    if (status != LDNS_STATUS_OK) {
        return make_error(Errc::parse_error,
                          describe_ldns_failure(type, descriptor, checked, tokens, status));
    }

    Octets out;
    for (std::size_t i = 0; i < ldns_rr_rd_count(rr.get()); ++i) {
        const ldns_rdf* rdf = ldns_rr_rdf(rr.get(), i);
        const std::uint8_t* data = ldns_rdf_data(rdf);
        out.insert(out.end(), data, data + ldns_rdf_size(rdf));
    }
    if (out.size() > max_rdata_length) {
        return make_error(Errc::parse_error, fmt::format("{} rdata is longer than 65535 octets",
                                                         type_to_string(type)));
    }
    return out;
}

} // namespace

bool has_format(std::uint16_t type)
{
    return find_descriptor(type) != nullptr;
}

Result<std::vector<std::uint8_t>> from_text(std::uint16_t type, std::span<const Token> tokens,
                                            const Name& origin)
{
    const ldns_rr_descriptor* known = find_descriptor(type);
    if (known == nullptr) {
        return make_error(
            Errc::unsupported,
            fmt::format("ldns has no presentation format for type {}", type_to_string(type)));
    }
    return convert_from_text(type, known, tokens, origin);
}

std::optional<std::string> to_text(std::uint16_t type, std::span<const std::uint8_t> rdata)
{
    const ldns_rr_descriptor* known = find_descriptor(type);
    if (known == nullptr) {
        return std::nullopt;
    }
    Octets wire;
    wire.push_back(static_cast<std::uint8_t>(rdata.size() >> 8));
    wire.push_back(static_cast<std::uint8_t>(rdata.size()));
    wire.insert(wire.end(), rdata.begin(), rdata.end());

    const ldns::RrPtr rr(ldns_rr_new());
    ldns_rr_set_type(rr.get(), static_cast<ldns_rr_type>(type));
    std::size_t position = 0;
    if (ldns_wire2rdf(rr.get(), wire.data(), wire.size(), &position) != LDNS_STATUS_OK ||
        position != wire.size()) {
        return std::nullopt;
    }
    // ldns reads an empty trailing string (CAA 0 issue "") as no field at all.
    const std::size_t fields = ldns_rr_rd_count(rr.get());
    const std::size_t minimum = ldns_rr_descriptor_minimum(known);
    const bool empty_last_string =
        fields + 1 == minimum &&
        ldns_rr_descriptor_field_type(known, fields) == LDNS_RDF_TYPE_LONG_STR;
    if (fields < minimum && !empty_last_string) {
        return std::nullopt;
    }
    const ldns::BufferPtr buffer(ldns_buffer_new(256));
    for (std::size_t i = 0; i < ldns_rr_rd_count(rr.get()); ++i) {
        if (i > 0) {
            ldns_buffer_printf(buffer.get(), " ");
        }
        const ldns_rdf* rdf = ldns_rr_rdf(rr.get(), i);
        if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME) {
            // ldns leaves '"' and other special characters in names unescaped.
            const auto name = Name::from_wire({ldns_rdf_data(rdf), ldns_rdf_size(rdf)});
            if (!name) {
                return std::nullopt;
            }
            ldns_buffer_printf(buffer.get(), "%s", name->to_string().c_str());
            continue;
        }
        if (ldns_rdf2buffer_str(buffer.get(), rdf) != LDNS_STATUS_OK) {
            return std::nullopt;
        }
    }
    const ldns::CStringPtr exported(ldns_buffer_export2str(buffer.get()));
    if (!exported) {
        return std::nullopt;
    }
    std::string out = exported.get();
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
        out.pop_back();
    }
    if (empty_last_string) {
        out += " \"\"";
    }
    return out;
}

} // namespace robur::zone::ldns_rdata
