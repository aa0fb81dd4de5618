#include "formats/vcard/convert.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "formats/vcard/content_line.hpp"

namespace robur::vcard {

namespace {

std::string lower(std::string_view text)
{
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return result;
}

std::string upper(std::string_view text)
{
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(), [](char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    return result;
}

bool is_media_property(std::string_view name)
{
    return name == "PHOTO" || name == "LOGO" || name == "SOUND" || name == "KEY";
}

// Parameters RFC 6350 added, which vCard 3.0 has no place for.
bool is_new_in_v4(std::string_view name)
{
    for (const std::string_view known : {"PID", "ALTID", "MEDIATYPE", "CALSCALE", "GEO", "TZ",
                                         "INDEX", "LEVEL"}) {
        if (name == known) {
            return true;
        }
    }
    return false;
}

// Removes a VALUE parameter naming a type the target version lacks, so the property falls back
// to its default type: "binary", "phone-number" and "vcard" exist only in vCard 3.0, and
// "date-and-or-time", "timestamp" and "language-tag" only in 4.0.
void drop_foreign_value_type(ContentLine& property, std::string_view target)
{
    std::erase_if(property.parameters, [target](const Parameter& parameter) {
        if (parameter.name != "VALUE" || parameter.values.empty()) {
            return false;
        }
        const std::string type = lower(parameter.values[0]);
        if (target == "4.0") {
            return type == "binary" || type == "phone-number" || type == "vcard";
        }
        return type == "date-and-or-time" || type == "timestamp" || type == "language-tag";
    });
}

bool is_valid_pref(const std::string& value)
{
    const bool digits = !value.empty() && value.size() <= 3 &&
                        std::all_of(value.begin(), value.end(),
                                    [](char c) { return c >= '0' && c <= '9'; });
    const int number = digits ? std::stoi(value) : 0;
    return number >= 1 && number <= 100;
}

bool is_base64(std::string_view text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/' || c == '=';
    });
}

void erase_parameter(ContentLine& property, std::string_view name)
{
    std::erase_if(property.parameters,
                  [name](const Parameter& parameter) { return parameter.name == name; });
}

Parameter* find(ContentLine& property, std::string_view name)
{
    for (auto& parameter : property.parameters) {
        if (parameter.name == name) {
            return &parameter;
        }
    }
    return nullptr;
}

// The media type of inline data from the vCard 3.0 TYPE parameter ("JPEG" -> "image/jpeg").
std::string media_type(const ContentLine& property)
{
    const auto* type = property.find_parameter("TYPE");
    const std::string subtype = type && !type->values.empty() ? lower(type->values[0]) : "";
    if (subtype.empty() || subtype.find('/') != std::string::npos) {
        return subtype.empty() ? "application/octet-stream" : subtype;
    }
    if (property.name == "SOUND") {
        return "audio/" + subtype;
    }
    if (property.name == "KEY") {
        return subtype == "pgp" ? "application/pgp-keys" : "application/pkix-cert";
    }
    return "image/" + subtype;
}

class Converter {
public:
    Converter(std::string_view path, std::vector<Diagnostic>& diagnostics)
        : path_(path), diagnostics_(diagnostics)
    {
    }

    void to_version_4(RawCard& card);
    void to_version_3(RawCard& card);

private:
    void warn(const ContentLine& property, std::string message)
    {
        diagnostics_.push_back(
            {Severity::warning, {std::string(path_), property.line, 0}, std::move(message)});
    }

    std::string_view path_;
    std::vector<Diagnostic>& diagnostics_;
};

void Converter::to_version_4(RawCard& card)
{
    std::optional<std::string> sort_string;
    std::vector<ContentLine> labels;
    std::vector<ContentLine> converted;
    for (auto& property : card.properties) {
        property.changed = true;
        if (property.name == "SORT-STRING") {
            sort_string = unescape_text(property.value);
            continue;
        }
        if (property.name == "LABEL") {
            labels.push_back(property);
            continue;
        }
        if (property.name == "NAME" || property.name == "MAILER" || property.name == "CLASS" ||
            property.name == "AGENT") {
            warn(property, fmt::format("{} dropped: vCard 4.0 has no such property", property.name));
            continue;
        }
        if (property.name == "VERSION") {
            property.value = "4.0";
        }
        erase_parameter(property, "CHARSET");
        drop_foreign_value_type(property, "4.0");
        if (property.find_parameter("ENCODING") != nullptr) {
            std::string data = property.value;
            std::erase_if(data, [](char c) { return c == ' ' || c == '\t'; });
            property.value = fmt::format("data:{};base64,{}", media_type(property), data);
            erase_parameter(property, "ENCODING");
            erase_parameter(property, "TYPE");
            erase_parameter(property, "VALUE");
        }
        // vCard 3.0 does not define PREF, so a value from there may be outside 1 to 100.
        if (const auto* pref = property.find_parameter("PREF");
            pref && !std::all_of(pref->values.begin(), pref->values.end(), is_valid_pref)) {
            warn(property, fmt::format("{}: PREF dropped: vCard 4.0 allows 1 to 100",
                                       property.name));
            erase_parameter(property, "PREF");
        }
        if (auto* type = find(property, "TYPE")) {
            const auto before = type->values.size();
            std::erase_if(type->values, [](const std::string& v) { return lower(v) == "pref"; });
            const bool preferred = type->values.size() != before;
            if (type->values.empty()) {
                erase_parameter(property, "TYPE");
            }
            // Added last, because adding a parameter invalidates `type`.
            if (preferred) {
                property.parameters.push_back({"PREF", {"1"}, false});
            }
        }
        converted.push_back(std::move(property));
    }

    // SORT-STRING becomes the SORT-AS parameter of N, and LABEL the LABEL parameter of the
    // first ADR, which is where vCard 4.0 keeps them.
    const auto name = std::find_if(converted.begin(), converted.end(),
                                   [](const ContentLine& p) { return p.name == "N"; });
    if (sort_string && name != converted.end()) {
        name->parameters.push_back({"SORT-AS", {*sort_string}, false});
    }
    const auto address = std::find_if(converted.begin(), converted.end(),
                                      [](const ContentLine& p) { return p.name == "ADR"; });
    for (const auto& label : labels) {
        if (address == converted.end() || address->find_parameter("LABEL")) {
            warn(label, "LABEL dropped: vCard 4.0 keeps it as a parameter of ADR, and there is "
                        "no ADR without one");
            continue;
        }
        address->parameters.push_back({"LABEL", {unescape_text(label.value)}, false});
    }
    std::stable_partition(converted.begin(), converted.end(),
                          [](const ContentLine& p) { return p.name == "VERSION"; });
    card.properties = std::move(converted);
}

void Converter::to_version_3(RawCard& card)
{
    std::vector<ContentLine> added;
    for (auto& property : card.properties) {
        property.changed = true;
        if (property.name == "VERSION") {
            property.value = "3.0";
        }
        drop_foreign_value_type(property, "3.0");
        if (is_media_property(property.name) && lower(property.value).starts_with("data:")) {
            const auto comma = property.value.find(',');
            const std::string header = property.value.substr(5, comma - 5);
            if (comma != std::string::npos && lower(header).ends_with(";base64") &&
                is_base64(std::string_view(property.value).substr(comma + 1))) {
                const std::string type = header.substr(0, header.find(';'));
                const auto slash = type.find('/');
                property.value = property.value.substr(comma + 1);
                erase_parameter(property, "VALUE");
                erase_parameter(property, "MEDIATYPE");
                property.parameters.push_back({"ENCODING", {"b"}, false});
                if (slash != std::string::npos) {
                    property.parameters.push_back({"TYPE", {upper(type.substr(slash + 1))}, false});
                }
            }
        }
        if (property.name == "TEL" && lower(property.value).starts_with("tel:")) {
            property.value = property.value.substr(4);
            erase_parameter(property, "VALUE");
        }
        if (property.find_parameter("PREF")) {
            erase_parameter(property, "PREF");
            property.parameters.push_back({"TYPE", {"pref"}, false});
        }
        if (const auto* sort_as = property.find_parameter("SORT-AS");
            sort_as && property.name == "N" && !sort_as->values.empty()) {
            ContentLine sort_string;
            sort_string.name = "SORT-STRING";
            sort_string.value = escape_text(sort_as->values[0]);
            sort_string.changed = true;
            added.push_back(std::move(sort_string));
        }
        erase_parameter(property, "SORT-AS");
        if (const auto* label = property.find_parameter("LABEL");
            label && property.name == "ADR" && !label->values.empty()) {
            ContentLine text;
            text.name = "LABEL";
            text.value = escape_text(label->values[0]);
            text.changed = true;
            added.push_back(std::move(text));
        }
        erase_parameter(property, "LABEL");
        for (const auto& parameter : property.parameters) {
            if (is_new_in_v4(parameter.name)) {
                warn(property, fmt::format("{}: parameter {} dropped: vCard 3.0 has no such "
                                           "parameter",
                                           property.name, parameter.name));
            }
        }
        std::erase_if(property.parameters,
                      [](const Parameter& parameter) { return is_new_in_v4(parameter.name); });
    }
    card.properties.insert(card.properties.end(), added.begin(), added.end());
}

} // namespace

Result<std::string> convert_card(std::string_view text, std::string_view version,
                                 std::string_view path, std::vector<Diagnostic>& diagnostics)
{
    if (version != "3.0" && version != "4.0") {
        return make_error(Errc::invalid_argument,
                          fmt::format("cannot convert to vCard {}: expected 3.0 or 4.0", version));
    }
    auto parsed = read_cards(text, path, ReadLimits{});
    if (parsed.cards.size() != 1 || has_errors(parsed.diagnostics)) {
        return make_error(Errc::parse_error, fmt::format("{}: expected exactly one valid vCard",
                                                         path));
    }
    RawCard& card = parsed.cards.front();
    const auto current = std::find_if(card.properties.begin(), card.properties.end(),
                                      [](const ContentLine& p) { return p.name == "VERSION"; });
    if (current != card.properties.end() && current->value == version) {
        return std::string(text);
    }

    Converter converter(path, diagnostics);
    if (version == "4.0") {
        converter.to_version_4(card);
    } else {
        converter.to_version_3(card);
    }
    return write_card(card);
}

} // namespace robur::vcard
