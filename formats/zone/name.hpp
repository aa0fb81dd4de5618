#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace robur::zone {

// A fully qualified domain name held in uncompressed wire format (RFC 1035 section 3.1):
// length-prefixed labels ending with the zero-length root label. The case of the input is
// kept; comparisons ignore ASCII case as RFC 4343 requires.
class Name {
public:
    static constexpr std::size_t max_wire_length = 255; // RFC 1035 section 2.3.4
    static constexpr std::size_t max_label_length = 63;

    // The root name ".".
    Name();

    // Parses presentation format ("www", "www.example.com.", "\\046.", "@"); a relative name
    // is completed with origin. Fails on empty labels, labels over 63 octets, names over 255
    // octets in wire form and malformed escapes.
    static Result<Name> parse(std::string_view text, const Name& origin);

    // Parses an absolute presentation-format name; relative names are an error.
    static Result<Name> parse(std::string_view text);

    // Takes an uncompressed wire-format name; fails when it is malformed or too long.
    static Result<Name> from_wire(std::span<const std::uint8_t> wire);

    [[nodiscard]] std::span<const std::uint8_t> wire() const;
    [[nodiscard]] std::size_t wire_length() const { return wire_.size(); }

    // Number of labels, not counting the root label: "www.example." has 2.
    [[nodiscard]] std::size_t label_count() const;

    // Returns label i (0 is the leftmost) without its length octet.
    [[nodiscard]] std::string_view label(std::size_t index) const;

    [[nodiscard]] bool is_root() const { return wire_.size() == 1; }
    [[nodiscard]] bool is_wildcard() const; // leftmost label is "*"

    // True when this name equals other or lies below it, ignoring case.
    [[nodiscard]] bool is_subdomain_of(const Name& other) const;

    // The name with the leftmost label removed; the root's parent is the root.
    [[nodiscard]] Name parent() const;

    // The name with its leftmost label_count() - keep labels removed.
    [[nodiscard]] Name suffix(std::size_t keep) const;

    // Prepends one label ("*" for a wildcard); fails when the result would be too long.
    [[nodiscard]] Result<Name> prepend(std::string_view label) const;

    // Replaces the suffix old_suffix (which this name must be under) with new_suffix, as DNAME
    // substitution does (RFC 6672 section 2.2); fails when the result exceeds 255 octets.
    [[nodiscard]] Result<Name> replace_suffix(const Name& old_suffix, const Name& new_suffix) const;

    [[nodiscard]] Name lowercase() const;

    // Presentation format with the trailing dot; special characters are escaped (RFC 4343).
    [[nodiscard]] std::string to_string() const;

    // Presentation format relative to origin ("@" for the origin, "www" below it), absolute
    // when the name is not below origin.
    [[nodiscard]] std::string to_string_relative(const Name& origin) const;

    friend bool operator==(const Name& left, const Name& right);

    // Canonical DNS name order (RFC 4034 section 6.1): compared label by label from the
    // right, each label as lower-cased octets.
    friend std::strong_ordering operator<=>(const Name& left, const Name& right);

private:
    explicit Name(std::string wire) : wire_(std::move(wire)) {}

    std::string wire_; // uncompressed wire format, case as written
};

// Hash that agrees with Name's case-insensitive equality.
struct NameHash {
    std::size_t operator()(const Name& name) const noexcept;
};

} // namespace robur::zone
