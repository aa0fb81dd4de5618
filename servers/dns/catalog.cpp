#include "servers/dns/catalog.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "formats/zone/parser.hpp"

namespace robur::dns {

namespace {

// Catalog records are not meant for resolvers; a TTL of 0 keeps them out of caches.
constexpr std::uint32_t catalog_ttl = 0;

} // namespace

std::string catalog_member_id(const zone::Name& member)
{
    const auto lower = member.lowercase();
    const auto wire = lower.wire();
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(wire.data(), wire.size(), digest.data(), &length, EVP_sha256(), nullptr);
    std::string id;
    for (std::size_t i = 0; i < 8; ++i) {
        id += fmt::format("{:02x}", digest.at(i));
    }
    return id;
}

Result<zone::Zone> build_catalog_zone(const zone::Name& catalog,
                                      const std::vector<zone::Name>& members,
                                      std::uint32_t serial)
{
    std::string text = fmt::format("$TTL {}\n"
                                   "@ SOA invalid. hostmaster.invalid. {} 3600 600 2419200 0\n"
                                   "@ NS invalid.\n"
                                   "version TXT \"2\"\n",
                                   catalog_ttl, serial);
    for (const auto& member : members) {
        if (member.is_subdomain_of(catalog)) {
            continue;
        }
        text += fmt::format("{}.zones PTR {}\n", catalog_member_id(member), member.to_string());
    }

    zone::ParseOptions options;
    options.origin = catalog;
    auto parsed = zone::parse_zone(text, fmt::format("catalog zone {}", catalog.to_string()),
                                   options);
    if (!parsed.diagnostics.empty()) {
        return make_error(Errc::invalid_argument,
                          fmt::format("cannot build the catalog zone: {}",
                                      parsed.diagnostics.front().to_string()));
    }
    return std::move(parsed.zone);
}

std::uint32_t CatalogSerial::next(const std::vector<zone::Name>& members, std::uint64_t now)
{
    auto sorted = members;
    std::sort(sorted.begin(), sorted.end());
    if (members_ && *members_ == sorted) {
        return serial_;
    }
    const auto clock = static_cast<std::uint32_t>(now);
    // A change within the same second, or a clock set back, still raises the serial.
    serial_ = members_ && clock <= serial_ ? serial_ + 1 : clock;
    members_ = std::move(sorted);
    return serial_;
}

} // namespace robur::dns
