#pragma once

// The builder of a CompiledZone, internal to the zone index. Its DNSSEC steps live in
// zone_compiler_dnssec.cpp, the rest in zone_index.cpp.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/zone.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {

// Builds a CompiledZone in steps; a friend of CompiledZone so it can fill the private arrays.
class ZoneCompiler {
public:
    explicit ZoneCompiler(CompiledZone& zone) : zone_(zone) {}

    Result<void> compile(const zone::Zone& source);

private:
    struct Item {
        std::string owner; // lower-cased wire form
        const zone::Record* record;
    };

    std::vector<Item> collect(const zone::Zone& source, std::uint16_t zone_class) const;
    std::uint32_t add_node(std::span<const std::uint8_t> name);
    void add_rrset(CompiledZone::Node& node, std::span<const Item> items);
    CompiledZone::RRset encode_rrset(std::span<const Item> items);
    std::uint32_t encode(const zone::Record& record, std::uint32_t ttl);
    void link_nodes();
    void link_additional();
    [[nodiscard]] std::uint32_t address_node(std::span<const std::uint8_t> target) const;

    // DNSSEC steps.
    Result<void> read_nsec3_parameters(std::span<const Item> items, const zone::Name& origin);
    [[nodiscard]] std::vector<Item> take_nsec3(std::vector<Item>& items) const;
    void add_nsec3_entries(std::span<const Item> items);
    void link_signatures(const CompiledZone::Node& node);
    void order_nsec_nodes();
    void add_negative_soa_signatures(std::uint32_t ttl);
    std::uint32_t copy_with_ttl(std::uint32_t index, std::uint32_t ttl);

    CompiledZone& zone_;
    std::string apex_; // lower-cased wire form
};

// The type an RRSIG record covers, or 0 for any other record.
[[nodiscard]] std::uint16_t covered_type(const zone::Record& record);

} // namespace robur::dns
