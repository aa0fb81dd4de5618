#pragma once

// Helpers shared by the signing tests: zones parsed from text, keys generated once per
// process, and a sample zone with the cases signing must handle.

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formats/dnssec/key.hpp"
#include "formats/zone/parser.hpp"

namespace robur::dnssec::testing {

// Parses a master file; fails the test on any error.
inline zone::Zone parse(std::string_view text, std::string_view origin = "example.")
{
    zone::ParseOptions options;
    options.origin = zone::Name::parse(origin).value();
    auto result = zone::parse_zone(text, "test.zone", options);
    for (const auto& diagnostic : result.diagnostics) {
        ADD_FAILURE() << diagnostic.to_string();
    }
    return std::move(result.zone);
}

inline zone::Name name(std::string_view text)
{
    return zone::Name::parse(text).value();
}

// Generates a key, or returns the one generated before for the same owner, algorithm and
// flags: RSA key generation takes long enough to matter across many tests.
inline KeyPair key(std::string_view owner, Algorithm algorithm, std::uint16_t flags)
{
    static std::map<std::string, KeyPair> cache;
    const std::string id = fmt::format("{}/{}/{}", owner, static_cast<int>(algorithm), flags);
    auto found = cache.find(id);
    if (found == cache.end()) {
        found = cache.emplace(id, generate_key(name(owner), algorithm, flags).value()).first;
    }
    return found->second;
}

// A zone with a wildcard, a secure and an insecure delegation with glue, an empty
// non-terminal, upper-case names and an RRset of several records.
inline constexpr std::string_view sample_zone = R"($TTL 3600
@           IN SOA  ns1.Example. hostmaster.example. 2024010101 7200 3600 1209600 300
@           IN NS   ns1
@           IN NS   ns2.example.net.
@           IN MX   10 Mail.Example.
ns1         IN A    192.0.2.1
mail        IN A    192.0.2.2
mail        IN AAAA 2001:db8::2
*.wild      IN TXT  "wildcard"
WWW         IN CNAME mail
a.b.c       IN A    192.0.2.3
secure      IN NS   ns.secure
secure      IN DS   12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.secure   IN A    192.0.2.4
insecure    IN NS   ns.insecure
insecure    IN NS   ns.elsewhere.net.
ns.insecure IN AAAA 2001:db8::4
multi       IN TXT  "one"
multi       IN TXT  "two"
multi       IN TXT  "three"
)";

} // namespace robur::dnssec::testing
