#include "formats/vcard/rules.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <span>

#include <fmt/format.h>

namespace robur::vcard::detail {

namespace {

using Names = std::span<const std::string_view>;

bool contains(Names names, std::string_view name)
{
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string lower(std::string_view text)
{
    std::string result(text);
    for (auto& c : result) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return result;
}

bool is_extension(std::string_view name)
{
    return name.size() > 2 && (name[0] == 'X' || name[0] == 'x') && name[1] == '-';
}

// Properties RFC 6350 section 6 allows at most once (cardinality "*1"); a repeat is a warning.
constexpr auto single_in_v4 = std::to_array<std::string_view>({"KIND", "N", "BDAY", "ANNIVERSARY", "GENDER", "PRODID", "REV"});
// Properties RFC 2426 describes as one per vCard; a repeat is a warning.
constexpr auto single_in_v3 = std::to_array<std::string_view>({"N", "BDAY", "PRODID", "REV", "SORT-STRING", "CLASS"});
// Properties of vCard 3.0 (RFC 2426, RFC 4770 for IMPP) that RFC 6350 removed.
constexpr auto removed_in_v4 = std::to_array<std::string_view>({"NAME", "MAILER", "AGENT", "CLASS"});
// Properties and parameters RFC 6350 introduced.
constexpr auto new_in_v4 = std::to_array<std::string_view>({"KIND", "GENDER", "ANNIVERSARY", "LANG", "XML", "CLIENTPIDMAP",
                             "MEMBER", "RELATED"});
constexpr auto new_parameters_in_v4 = std::to_array<std::string_view>({"PREF", "PID", "ALTID", "MEDIATYPE", "CALSCALE",
                                        "SORT-AS", "GEO", "TZ", "LABEL", "LEVEL", "INDEX"});
// VALUE types of RFC 6350 section 4 and of RFC 2426 section 4.
constexpr auto v4_value_types = std::to_array<std::string_view>({"text", "uri", "date", "time", "date-time", "date-and-or-time",
                                  "timestamp", "boolean", "integer", "float", "utc-offset",
                                  "language-tag"});
constexpr auto v3_value_types = std::to_array<std::string_view>({"binary", "boolean", "date", "date-time", "float", "integer",
                                  "text", "time", "uri", "utc-offset", "vcard", "phone-number"});
// Properties whose value may be inline data.
constexpr auto media_properties = std::to_array<std::string_view>({"PHOTO", "LOGO", "SOUND", "KEY"});

bool is_base64(std::string_view text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/' || c == '=' || c == ' ' || c == '\t';
    });
}

bool starts_with_data_uri(std::string_view value)
{
    return value.size() >= 5 && lower(value.substr(0, 5)) == "data:";
}

void check_value_type(const ContentLine& property, const Parameter& parameter,
                      std::string_view version, Findings& findings)
{
    const Names known = version == "4.0" ? Names(v4_value_types) : Names(v3_value_types);
    for (const auto& value : parameter.values) {
        if (!contains(known, lower(value)) && !is_extension(value)) {
            findings.error(property.line,
                           fmt::format("{}: VALUE={} is not a vCard {} value type", property.name,
                                       value, version));
        }
    }
}

void check_pref(const ContentLine& property, const Parameter& parameter, Findings& findings)
{
    for (const auto& value : parameter.values) {
        const bool digits = !value.empty() && value.size() <= 3 &&
                            std::all_of(value.begin(), value.end(),
                                        [](char c) { return c >= '0' && c <= '9'; });
        const int number = digits ? std::stoi(value) : 0;
        if (number < 1 || number > 100) {
            findings.error(property.line,
                           fmt::format("{}: PREF={} is invalid: PREF is an integer from 1 to "
                                       "100 (RFC 6350 section 5.3)",
                                       property.name, value));
        }
    }
}

void check_v4_parameters(const ContentLine& property, Findings& findings)
{
    for (const auto& parameter : property.parameters) {
        if (parameter.name == "ENCODING") {
            findings.error(property.line,
                           fmt::format("{}: ENCODING is a vCard 3.0 parameter; vCard 4.0 writes "
                                       "inline data as a data: URI, so convert the value or "
                                       "declare VERSION:3.0",
                                       property.name));
        } else if (parameter.name == "CHARSET") {
            findings.error(property.line,
                           fmt::format("{}: CHARSET is not a vCard 4.0 parameter because vCard "
                                       "4.0 is always UTF-8; remove it",
                                       property.name));
        } else if (parameter.name == "PREF") {
            check_pref(property, parameter, findings);
        } else if (parameter.name == "VALUE") {
            check_value_type(property, parameter, "4.0", findings);
        }
    }
}

// Repairs "PHOTO;ENCODING=b:data:..." in vCard 3.0: the value is a URI, not base64.
void repair_data_uri_with_encoding(ContentLine& property, Findings& findings)
{
    std::erase_if(property.parameters, [](const Parameter& parameter) {
        return parameter.name == "ENCODING" || parameter.name == "VALUE";
    });
    property.parameters.push_back({"VALUE", {"uri"}, false});
    property.changed = true;
    findings.rewrite = true;
    findings.warning(property.line,
                     fmt::format("{}: ENCODING=b with a data: URI value mixes vCard 3.0 and 4.0 "
                                 "forms; stored as VALUE=uri",
                                 property.name));
}

void check_v3_encoding(ContentLine& property, const Parameter& parameter, Findings& findings)
{
    const std::string encoding = parameter.values.empty() ? "" : lower(parameter.values[0]);
    if (encoding != "b" && encoding != "base64") {
        findings.error(property.line,
                       fmt::format("{}: ENCODING={} is not allowed in vCard 3.0, which knows only "
                                   "ENCODING=b (quoted-printable is vCard 2.1)",
                                   property.name, parameter.values.empty() ? "" : parameter.values[0]));
        return;
    }
    if (starts_with_data_uri(property.value)) {
        repair_data_uri_with_encoding(property, findings);
        return;
    }
    if (!is_base64(property.value)) {
        findings.error(property.line,
                       fmt::format("{}: ENCODING=b but the value is not base64", property.name));
    }
}

void check_v3_parameters(ContentLine& property, Findings& findings)
{
    for (std::size_t i = 0; i < property.parameters.size(); ++i) {
        const Parameter parameter = property.parameters[i];
        if (parameter.name == "ENCODING") {
            check_v3_encoding(property, parameter, findings);
        } else if (parameter.name == "VALUE") {
            check_value_type(property, parameter, "3.0", findings);
        } else if (parameter.name == "CHARSET" && !parameter.values.empty() &&
                   lower(parameter.values[0]) != "utf-8") {
            findings.warning(property.line,
                             fmt::format("{}: CHARSET={} ignored because the bytes are UTF-8",
                                         property.name, parameter.values[0]));
        } else if (contains(new_parameters_in_v4, parameter.name)) {
            findings.warning(property.line,
                             fmt::format("{}: {} is a vCard 4.0 parameter that vCard 3.0 readers "
                                         "ignore",
                                         property.name, parameter.name));
        }
    }
}

void check_v4_property(const ContentLine& property, Findings& findings)
{
    if (property.name == "SORT-STRING") {
        findings.error(property.line, "SORT-STRING is a vCard 3.0 property; vCard 4.0 uses the "
                                      "SORT-AS parameter of N and ORG");
    } else if (property.name == "LABEL") {
        findings.error(property.line, "LABEL is a vCard 3.0 property; vCard 4.0 uses the LABEL "
                                      "parameter of ADR");
    } else if (contains(removed_in_v4, property.name)) {
        findings.error(property.line, fmt::format("{} is a vCard 3.0 property that vCard 4.0 "
                                                  "removed",
                                                  property.name));
    }
    check_v4_parameters(property, findings);
}

// RFC 2397: "data:" [media type] [";base64"] "," data.
void check_data_uri(const ContentLine& property, Findings& findings)
{
    if (contains(media_properties, property.name) && starts_with_data_uri(property.value) &&
        property.value.find(',') == std::string::npos) {
        findings.error(property.line,
                       fmt::format("{}: malformed data: URI without ',' before the data",
                                   property.name));
    }
}

void check_cardinality(const RawCard& card, std::string_view version, Findings& findings)
{
    std::map<std::string, std::vector<std::uint32_t>> lines;
    for (const auto& property : card.properties) {
        lines[property.name].push_back(property.line);
    }
    const Names single = version == "4.0" ? Names(single_in_v4) : Names(single_in_v3);
    for (const auto name : single) {
        const auto found = lines.find(std::string(name));
        if (found != lines.end() && found->second.size() > 1) {
            findings.warning(found->second[1],
                             fmt::format("{} appears {} times; vCard {} allows it once", name,
                                         found->second.size(), version));
        }
    }
    const auto kind = std::find_if(card.properties.begin(), card.properties.end(),
                                   [](const ContentLine& p) { return p.name == "KIND"; });
    const bool group = kind != card.properties.end() && lower(kind->value) == "group";
    if (version == "4.0" && !group && lines.contains("MEMBER")) {
        findings.warning(lines["MEMBER"][0], "MEMBER is only meaningful with KIND:group "
                                             "(RFC 6350 section 6.6.5)");
    }
}

} // namespace

void Findings::error(std::uint32_t line, std::string message)
{
    diagnostics.push_back({Severity::error, {path, line, 0}, std::move(message)});
}

void Findings::warning(std::uint32_t line, std::string message)
{
    diagnostics.push_back({Severity::warning, {path, line, 0}, std::move(message)});
}

std::size_t count_properties(const RawCard& card, std::string_view name)
{
    return static_cast<std::size_t>(
        std::count_if(card.properties.begin(), card.properties.end(),
                      [name](const ContentLine& property) { return property.name == name; }));
}

void check_properties(RawCard& card, std::string_view version, Findings& findings)
{
    for (auto& property : card.properties) {
        for (const auto& parameter : property.parameters) {
            if (parameter.bare) {
                findings.warning(property.line,
                                 fmt::format("{}: parameter without a name is the vCard 2.1 "
                                             "form; read as TYPE={}",
                                             property.name, parameter.values[0]));
            }
        }
        check_data_uri(property, findings);
        if (version == "4.0") {
            check_v4_property(property, findings);
            continue;
        }
        if (contains(new_in_v4, property.name)) {
            findings.warning(property.line, fmt::format("{} is a vCard 4.0 property that vCard "
                                                        "3.0 readers ignore",
                                                        property.name));
        }
        check_v3_parameters(property, findings);
    }
    check_cardinality(card, version, findings);
}

} // namespace robur::vcard::detail
