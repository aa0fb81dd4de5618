// CARDDAV:filter of addressbook-query (RFC 6352 section 10.5): parsing the XML into filter
// structs and testing one vCard against them. Also CARDDAV:limit (section 8.6.1) and the
// CARDDAV:address-data options of the address book reports (section 10.4).

#include "servers/caldav/addressbook_query.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <system_error>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "formats/vcard/convert.hpp"

namespace robur::caldav {
namespace {

const XmlName supported_filter{std::string(carddav_ns), "supported-filter"};
const XmlName supported_collation{std::string(carddav_ns), "supported-collation"};
const XmlName supported_address_data{std::string(carddav_ns), "supported-address-data"};

std::optional<std::string> attribute(const XmlElement& element, std::string_view name)
{
    for (const auto& item : element.attributes) {
        if (item.name.local == name && item.name.ns.empty()) {
            return item.value;
        }
    }
    return std::nullopt;
}

std::string upper_case(std::string_view text)
{
    std::string upper(text);
    std::ranges::transform(upper, upper.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    });
    return upper;
}

// Rejects a filter with CARDDAV:supported-filter, naming the prop-filter or param-filter
// (`culprit`) as RFC 6352 section 8.6 recommends.
tl::unexpected<QueryError> unsupported(const XmlElement& culprit, std::string message)
{
    return tl::unexpected(QueryError{supported_filter, serialize_xml(culprit), std::move(message)});
}

tl::unexpected<QueryError> bad_request(std::string message)
{
    return tl::unexpected(QueryError{std::nullopt, {}, std::move(message)});
}

// Splits a name attribute of prop-filter or address-data prop into an optional group and the
// property name, both upper-case: "item1.EMAIL" gives {"ITEM1", "EMAIL"}.
std::pair<std::string, std::string> split_group(std::string_view name)
{
    const auto dot = name.find('.');
    if (dot == std::string_view::npos) {
        return {{}, upper_case(name)};
    }
    return {upper_case(name.substr(0, dot)), upper_case(name.substr(dot + 1))};
}

tl::expected<FilterTest, std::string> parse_test(const XmlElement& element)
{
    const auto test = attribute(element, "test").value_or("anyof");
    if (test == "anyof") {
        return FilterTest::any_of;
    }
    if (test == "allof") {
        return FilterTest::all_of;
    }
    return tl::unexpected(
        fmt::format("{} test '{}' is neither anyof nor allof", element.name.local, test));
}

// Parses a CARDDAV:text-match (RFC 6352 section 10.5.4); `owner` is the prop-filter or
// param-filter it belongs to, which a supported-filter error names.
tl::expected<CardTextMatch, QueryError> parse_text_match(const XmlElement& element,
                                                         const XmlElement& owner)
{
    CardTextMatch match;
    match.text = element.text_content();
    const auto collation_name = attribute(element, "collation").value_or("i;unicode-casemap");
    const auto collation = parse_collation(collation_name);
    if (!collation) {
        return tl::unexpected(
            QueryError{supported_collation, escape_xml(collation_name),
                       fmt::format("collation '{}' is not supported; use i;unicode-casemap, "
                                   "i;ascii-casemap or i;octet",
                                   collation_name)});
    }
    match.collation = *collation;

    const auto negate = attribute(element, "negate-condition").value_or("no");
    if (negate != "yes" && negate != "no") {
        return unsupported(owner,
                           fmt::format("negate-condition '{}' is neither yes nor no", negate));
    }
    match.negate = negate == "yes";

    const auto match_type = attribute(element, "match-type").value_or("contains");
    if (match_type == "equals") {
        match.match_type = MatchType::equals;
    } else if (match_type == "contains") {
        match.match_type = MatchType::contains;
    } else if (match_type == "starts-with") {
        match.match_type = MatchType::starts_with;
    } else if (match_type == "ends-with") {
        match.match_type = MatchType::ends_with;
    } else {
        return unsupported(owner, fmt::format("match-type '{}' is not supported; use equals, "
                                              "contains, starts-with or ends-with",
                                              match_type));
    }
    return match;
}

// Parses a CARDDAV:param-filter: (is-not-defined | text-match)? (RFC 6352 section 10.5.2).
tl::expected<CardParamFilter, QueryError> parse_param_filter(const XmlElement& element)
{
    const auto name = attribute(element, "name");
    if (!name || name->empty()) {
        return unsupported(element, "param-filter without a name attribute");
    }
    CardParamFilter filter;
    filter.name = upper_case(*name);
    const auto children = element.elements();
    if (children.size() > 1) {
        return unsupported(element,
                           fmt::format("param-filter {} has more than one condition", filter.name));
    }
    for (const auto* child : children) {
        if (child->is(carddav_ns, "is-not-defined")) {
            filter.is_not_defined = true;
        } else if (child->is(carddav_ns, "text-match")) {
            auto match = parse_text_match(*child, element);
            if (!match) {
                return tl::unexpected(match.error());
            }
            filter.text_match = std::move(*match);
        } else {
            return unsupported(element, fmt::format("param-filter {} contains unknown element {}",
                                                    filter.name, child->name.local));
        }
    }
    return filter;
}

// Parses a CARDDAV:prop-filter: is-not-defined | (text-match*, param-filter*) (RFC 6352
// section 10.5.1).
tl::expected<CardPropFilter, QueryError> parse_prop_filter(const XmlElement& element)
{
    const auto name = attribute(element, "name");
    if (!name || name->empty() || name->back() == '.') {
        return unsupported(element, "prop-filter without a property name");
    }
    CardPropFilter filter;
    std::tie(filter.group, filter.name) = split_group(*name);
    auto test = parse_test(element);
    if (!test) {
        return unsupported(element, test.error());
    }
    filter.test = *test;

    for (const auto* child : element.elements()) {
        if (child->is(carddav_ns, "is-not-defined")) {
            filter.is_not_defined = true;
        } else if (child->is(carddav_ns, "text-match")) {
            auto match = parse_text_match(*child, element);
            if (!match) {
                return tl::unexpected(match.error());
            }
            filter.text_matches.push_back(std::move(*match));
        } else if (child->is(carddav_ns, "param-filter")) {
            auto param = parse_param_filter(*child);
            if (!param) {
                return tl::unexpected(param.error());
            }
            filter.param_filters.push_back(std::move(*param));
        } else {
            return unsupported(element, fmt::format("prop-filter {} contains unknown element {}",
                                                    *name, child->name.local));
        }
    }
    if (filter.is_not_defined && (!filter.text_matches.empty() || !filter.param_filters.empty())) {
        return unsupported(element, fmt::format("prop-filter {} combines is-not-defined with "
                                                "other conditions",
                                                *name));
    }
    return filter;
}

bool names_match(const std::string& group, const std::string& name,
                 const vcard::ContentLine& property)
{
    // RFC 6352 section 10.5.1: a name without a group matches the property with any group or
    // none. A name with a group matches that group only. Groups compare case-insensitively,
    // as vCard names do (RFC 6350 section 3.3).
    return property.name == name && (group.empty() || upper_case(property.group) == group);
}

bool text_found(const CardTextMatch& match, std::string_view value)
{
    const auto key = collation_key(value, match.collation);
    const auto pattern = collation_key(match.text, match.collation);
    switch (match.match_type) {
    case MatchType::equals:
        return key == pattern;
    case MatchType::contains:
        return key.find(pattern) != std::string::npos;
    case MatchType::starts_with:
        return key.starts_with(pattern);
    case MatchType::ends_with:
        return key.ends_with(pattern);
    }
    return false;
}

bool param_matches(const CardParamFilter& filter, const vcard::ContentLine& property)
{
    // "TYPE=work;TYPE=home" and "TYPE=work,home" are the same parameter (RFC 6350 section 5).
    std::vector<std::string> values;
    bool defined = false;
    for (const auto& parameter : property.parameters) {
        if (parameter.name == filter.name) {
            defined = true;
            values.insert(values.end(), parameter.values.begin(), parameter.values.end());
        }
    }
    if (filter.is_not_defined) {
        return !defined;
    }
    if (!defined) {
        return false;
    }
    return !filter.text_match || text_match_holds(*filter.text_match, values);
}

// Tests the text-matches and param-filters of a prop-filter against one property. With
// test="allof" every condition must be met by the same property, because RFC 6352 section
// 10.5.1 requires that "it", the property, matches the conditions.
bool property_matches(const CardPropFilter& filter, const vcard::ContentLine& property)
{
    std::vector<bool> results;
    if (!filter.text_matches.empty()) {
        const auto values = property_match_values(property);
        for (const auto& match : filter.text_matches) {
            results.push_back(text_match_holds(match, values));
        }
    }
    for (const auto& param : filter.param_filters) {
        results.push_back(param_matches(param, property));
    }
    if (filter.test == FilterTest::all_of) {
        return std::ranges::all_of(results, [](bool result) { return result; });
    }
    return std::ranges::any_of(results, [](bool result) { return result; });
}

bool prop_filter_matches(const CardPropFilter& filter, const vcard::RawCard& card)
{
    std::vector<const vcard::ContentLine*> properties;
    for (const auto& property : card.properties) {
        if (names_match(filter.group, filter.name, property)) {
            properties.push_back(&property);
        }
    }
    if (filter.is_not_defined) {
        return properties.empty();
    }
    if (filter.text_matches.empty() && filter.param_filters.empty()) {
        return !properties.empty();
    }
    return std::ranges::any_of(properties, [&](const vcard::ContentLine* property) {
        return property_matches(filter, *property);
    });
}

bool is_structured(std::string_view name)
{
    return name == "N" || name == "ADR" || name == "ORG" || name == "GENDER";
}

bool is_list(std::string_view name)
{
    return name == "NICKNAME" || name == "CATEGORIES";
}

} // namespace

tl::expected<CardFilter, QueryError> parse_card_filter(const XmlElement& filter)
{
    CardFilter parsed;
    auto test = parse_test(filter);
    if (!test) {
        return tl::unexpected(QueryError{supported_filter, {}, test.error()});
    }
    parsed.test = *test;

    for (const auto* child : filter.elements()) {
        if (!child->is(carddav_ns, "prop-filter")) {
            return unsupported(
                *child, fmt::format("filter contains unknown element {}", child->name.local));
        }
        auto prop = parse_prop_filter(*child);
        if (!prop) {
            return tl::unexpected(prop.error());
        }
        parsed.prop_filters.push_back(std::move(*prop));
    }
    return parsed;
}

tl::expected<std::optional<std::size_t>, QueryError> parse_result_limit(const XmlElement& query)
{
    const auto* limit = query.child(carddav_ns, "limit");
    if (limit == nullptr) {
        return std::nullopt;
    }
    const auto* nresults = limit->child(carddav_ns, "nresults");
    if (nresults == nullptr) {
        return bad_request("CARDDAV:limit without CARDDAV:nresults");
    }

    // RFC 6352 section 10.6.1: "unsigned integer, must be digits"; surrounding white space is
    // XML formatting.
    auto text = nresults->text_content();
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    const auto digits = first == std::string::npos
                            ? std::string_view{}
                            : std::string_view(text).substr(first, last - first + 1);
    if (digits.empty() ||
        !std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; })) {
        return bad_request(fmt::format("CARDDAV:nresults '{}' is not an unsigned integer", text));
    }
    std::size_t count = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (error == std::errc::result_out_of_range) {
        count = std::numeric_limits<std::size_t>::max();
    }
    return count;
}

bool matches_card(const CardFilter& filter, const vcard::RawCard& card)
{
    // An empty filter selects every vCard, which clients use to list an address book.
    if (filter.prop_filters.empty()) {
        return true;
    }
    const auto matches = [&](const CardPropFilter& prop) {
        return prop_filter_matches(prop, card);
    };
    if (filter.test == FilterTest::all_of) {
        return std::ranges::all_of(filter.prop_filters, matches);
    }
    return std::ranges::any_of(filter.prop_filters, matches);
}

bool text_match_holds(const CardTextMatch& match, const std::vector<std::string>& values)
{
    const bool found = std::ranges::any_of(
        values, [&](const std::string& value) { return text_found(match, value); });
    return found != match.negate;
}

std::vector<std::string> property_match_values(const vcard::ContentLine& property)
{
    std::vector<std::string> values{vcard::unescape_text(property.value)};
    const bool structured = is_structured(property.name);
    if (!structured && !is_list(property.name)) {
        return values;
    }

    // N, ADR, ORG and GENDER are structured with ';' (RFC 6350 sections 6.2.2, 6.3.1, 6.6.4,
    // 6.2.7), and a component may be a ',' list; NICKNAME and CATEGORIES are ',' lists.
    const auto components = structured ? vcard::split_value(property.value, ';')
                                       : std::vector<std::string>{property.value};
    for (const auto& component : components) {
        for (const auto& item : vcard::split_value(component, ',')) {
            auto decoded = vcard::unescape_text(item);
            if (!decoded.empty()) {
                values.push_back(std::move(decoded));
            }
        }
    }
    return values;
}

tl::expected<AddressDataRequest, QueryError> parse_address_data_request(const XmlElement& report)
{
    AddressDataRequest request;
    const auto* prop = report.child(dav_ns, "prop");
    const auto* data = prop != nullptr ? prop->child(carddav_ns, "address-data") : nullptr;
    if (data == nullptr) {
        return request;
    }

    // RFC 6352 section 10.4: content-type defaults to text/vcard. The version attribute
    // defaults to 3.0 there, but a request without it gets the stored vCard unconverted,
    // because converting every 4.0 vCard to 3.0 would drop its 4.0-only properties.
    const auto content_type = attribute(*data, "content-type").value_or("text/vcard");
    const auto media_type = std::string_view(content_type).substr(0, content_type.find(';'));
    const auto version = attribute(*data, "version");
    if (upper_case(media_type) != "TEXT/VCARD" ||
        (version && *version != "3.0" && *version != "4.0")) {
        return tl::unexpected(QueryError{
            supported_address_data,
            fmt::format("<CR:address-data-type content-type=\"{}\" version=\"{}\"/>",
                        escape_xml(content_type), escape_xml(version.value_or("3.0"))),
            fmt::format("address-data {} version {} is not supported; use text/vcard 3.0 or 4.0",
                        content_type, version.value_or("3.0"))});
    }
    request.version = version;

    for (const auto* child : data->elements()) {
        if (!child->is(carddav_ns, "prop")) {
            continue;
        }
        const auto name = attribute(*child, "name");
        if (!name || name->empty()) {
            return bad_request("CARDDAV:prop in address-data without a name attribute");
        }
        PropertySelection selection;
        std::tie(selection.group, selection.name) = split_group(*name);
        selection.no_value = attribute(*child, "novalue").value_or("no") == "yes";
        request.properties.push_back(std::move(selection));
    }
    return request;
}

tl::expected<std::string, std::string>
address_data_text(std::string content, const AddressDataRequest& request, std::string_view path)
{
    if (request.version) {
        std::vector<Diagnostic> diagnostics;
        auto converted = vcard::convert_card(content, *request.version, path, diagnostics);
        if (!converted) {
            return tl::unexpected(converted.error().to_string());
        }
        content = std::move(*converted);
    }
    if (request.properties.empty()) {
        return content;
    }

    auto parsed = vcard::read_cards(content, path, vcard::ReadLimits{});
    if (parsed.cards.size() != 1) {
        return content;
    }
    auto card = std::move(parsed.cards.front());
    std::vector<vcard::ContentLine> selected_properties;
    for (auto& property : card.properties) {
        if (property.name == "VERSION" || property.name == "UID") {
            selected_properties.push_back(std::move(property));
            continue;
        }
        const auto selection =
            std::ranges::find_if(request.properties, [&](const PropertySelection& selected) {
                return names_match(selected.group, selected.name, property);
            });
        if (selection == request.properties.end()) {
            continue;
        }
        // RFC 6352 section 10.4.2: novalue="yes" returns the name, the parameters and ':'.
        if (selection->no_value) {
            property.value.clear();
            property.changed = true;
        }
        selected_properties.push_back(std::move(property));
    }
    card.properties = std::move(selected_properties);
    return vcard::write_card(card);
}

} // namespace robur::caldav
