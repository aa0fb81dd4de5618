#pragma once

// CardDAV addressbook-query (RFC 6352 section 8.6): the CARDDAV:filter model, its parser and
// its matcher over one vCard, the CARDDAV:limit of a query, and the CARDDAV:address-data
// options (section 10.4) that addressbook-query and addressbook-multiget share.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "formats/vcard/content_line.hpp"
#include "servers/caldav/collation.hpp"
#include "servers/caldav/xml.hpp"

namespace robur::caldav {

// The "test" attribute of CARDDAV:filter and CARDDAV:prop-filter: logical OR or AND.
enum class FilterTest { any_of, all_of };

// The "match-type" attribute of CARDDAV:text-match (RFC 6352 section 10.5.4).
enum class MatchType { equals, contains, starts_with, ends_with };

// A CARDDAV:text-match (RFC 6352 section 10.5.4) with its defaults.
struct CardTextMatch {
    std::string text;
    Collation collation = Collation::unicode_casemap;
    MatchType match_type = MatchType::contains;
    bool negate = false; // negate-condition="yes"
};

// A CARDDAV:param-filter (RFC 6352 section 10.5.2).
struct CardParamFilter {
    std::string name; // upper-case ("TYPE")
    bool is_not_defined = false;
    std::optional<CardTextMatch> text_match;
};

// A CARDDAV:prop-filter (RFC 6352 section 10.5.1). An empty `group` matches properties with
// any group or none; a set one matches that group only.
struct CardPropFilter {
    std::string group; // upper-case ("ITEM1"), or empty
    std::string name;  // upper-case ("EMAIL")
    FilterTest test = FilterTest::any_of;
    bool is_not_defined = false;
    std::vector<CardTextMatch> text_matches;
    std::vector<CardParamFilter> param_filters;
};

// A CARDDAV:filter (RFC 6352 section 10.5).
struct CardFilter {
    FilterTest test = FilterTest::any_of;
    std::vector<CardPropFilter> prop_filters;
};

// The rejection of an addressbook-query or of a report's address-data. With a precondition
// the response is 403 with a DAV:error body whose precondition element contains `content`
// (XML). Without one it is 400 Bad Request. `message` names the value for the log and the
// 400 body.
struct QueryError {
    std::optional<XmlName> precondition;
    std::string content;
    std::string message;
};

// Parses a CARDDAV:filter element. An unknown collation gives CARDDAV:supported-collation
// with the collation identifier. An element or attribute value outside RFC 6352 section
// 10.5 gives CARDDAV:supported-filter with the prop-filter or param-filter that contains it.
[[nodiscard]] tl::expected<CardFilter, QueryError> parse_card_filter(const XmlElement& filter);

// Parses the CARDDAV:limit child of an addressbook-query (RFC 6352 section 8.6.1). Returns
// nullopt when there is none; a CARDDAV:nresults that is not an unsigned integer gives a 400
// error. A value beyond the range of size_t is read as the maximum.
[[nodiscard]] tl::expected<std::optional<std::size_t>, QueryError>
parse_result_limit(const XmlElement& query);

// Returns true when one vCard matches the filter. A filter without prop-filters matches every
// vCard.
[[nodiscard]] bool matches_card(const CardFilter& filter, const vcard::RawCard& card);

// Returns true when a text-match is satisfied by one property or parameter with these values
// (the whole value and, for structured and list values, each component). The match is found
// when one value matches, and negate-condition inverts the result.
[[nodiscard]] bool text_match_holds(const CardTextMatch& match,
                                    const std::vector<std::string>& values);

// The values a text-match is tested against for one property: the whole value with its TEXT
// escapes decoded and, for N, ADR, ORG, GENDER, NICKNAME and CATEGORIES, each component and
// each comma-separated item decoded.
[[nodiscard]] std::vector<std::string> property_match_values(const vcard::ContentLine& property);

// One CARDDAV:prop of address-data (RFC 6352 section 10.4.2).
struct PropertySelection {
    std::string group;     // upper-case, or empty for any group
    std::string name;      // upper-case
    bool no_value = false; // novalue="yes": name and parameters only
};

// The options of a CARDDAV:address-data element in a report's DAV:prop.
struct AddressDataRequest {
    std::optional<std::string> version;        // "3.0" or "4.0"; nullopt keeps the stored one
    std::vector<PropertySelection> properties; // empty: every property
};

// Reads the CARDDAV:address-data element of a report's DAV:prop, if any. A content-type other
// than text/vcard or a version other than 3.0 and 4.0 gives CARDDAV:supported-address-data; a
// CARDDAV:prop without a name gives a 400 error.
[[nodiscard]] tl::expected<AddressDataRequest, QueryError>
parse_address_data_request(const XmlElement& report);

// Returns the address data to send for a stored vCard: converted to the requested version,
// then reduced to the selected properties plus VERSION and UID, which a vCard needs to be
// read again. Returns an error message when the conversion fails; `path` names the resource.
[[nodiscard]] tl::expected<std::string, std::string>
address_data_text(std::string content, const AddressDataRequest& request, std::string_view path);

} // namespace robur::caldav
