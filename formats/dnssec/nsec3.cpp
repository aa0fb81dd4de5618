#include "formats/dnssec/nsec3.hpp"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "formats/dnssec/canonical.hpp"
#include "formats/dnssec/nsec.hpp"

namespace robur::dnssec {

namespace {

constexpr std::string_view base32hex_alphabet = "0123456789abcdefghijklmnopqrstuv";

struct DigestContextFree {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// Fetched once: an explicit fetch saves the provider lookup that EVP_sha1() repeats per use.
const EVP_MD* sha1()
{
    static const EVP_MD* digest = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    return digest;
}

void digest_into(EVP_MD_CTX* context, std::span<const std::uint8_t> first,
                 std::span<const std::uint8_t> salt, Nsec3Hash& out)
{
    unsigned int length = 0;
    EVP_DigestInit_ex(context, sha1(), nullptr);
    EVP_DigestUpdate(context, first.data(), first.size());
    EVP_DigestUpdate(context, salt.data(), salt.size());
    EVP_DigestFinal_ex(context, out.data(), &length);
}

int base32hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'v') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'V') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::vector<Nsec3Entry> nsec3_chain_entries(const zone::Name& apex, const std::vector<Node>& nodes,
                                            const Nsec3Options& options)
{
    std::unordered_set<zone::Name, zone::NameHash> existing;
    for (const auto& node : nodes) {
        existing.insert(node.name);
    }

    std::vector<Nsec3Entry> names;
    std::unordered_set<zone::Name, zone::NameHash> empty_non_terminals;
    for (const auto& node : nodes) {
        if (!is_in_chain(node.kind) || (options.opt_out && is_insecure_delegation(node))) {
            continue;
        }
        names.push_back({{}, node.name, nsec3_types(node)});
        for (zone::Name ancestor = node.name.parent();
             ancestor.is_subdomain_of(apex) && !(ancestor == apex); ancestor = ancestor.parent()) {
            if (existing.count(ancestor) == 0 && empty_non_terminals.insert(ancestor).second) {
                names.push_back({{}, ancestor, {}});
            }
        }
    }

    for (auto& entry : names) {
        entry.hash = nsec3_hash(entry.name, options.salt, options.iterations);
    }
    std::sort(names.begin(), names.end(), [](const Nsec3Entry& left, const Nsec3Entry& right) {
        return left.hash < right.hash;
    });
    return names;
}

Nsec3Hash nsec3_hash(const zone::Name& name, std::span<const std::uint8_t> salt,
                     std::uint16_t iterations)
{
    const zone::Name lower = name.lowercase();
    const std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
    Nsec3Hash hash{};
    digest_into(context.get(), lower.wire(), salt, hash);
    for (std::uint16_t i = 0; i < iterations; ++i) {
        const Nsec3Hash previous = hash;
        digest_into(context.get(), previous, salt, hash);
    }
    return hash;
}

std::string base32hex_encode(std::span<const std::uint8_t> data)
{
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const std::uint8_t octet : data) {
        buffer = (buffer << 8) | octet;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out += base32hex_alphabet[(buffer >> bits) & 0x1f];
        }
    }
    if (bits > 0) {
        out += base32hex_alphabet[(buffer << (5 - bits)) & 0x1f];
    }
    return out;
}

Result<std::vector<std::uint8_t>> base32hex_decode(std::string_view text)
{
    std::vector<std::uint8_t> out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int value = base32hex_value(c);
        if (value < 0) {
            return make_error(Errc::parse_error,
                              fmt::format("\"{}\" is not valid base32hex: '{}'", text, c));
        }
        buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xff));
        }
    }
    return out;
}

Result<zone::Name> nsec3_owner(const Nsec3Hash& hash, const zone::Name& apex)
{
    auto owner = apex.prepend(base32hex_encode(hash));
    if (!owner) {
        return make_error(
            Errc::invalid_argument,
            fmt::format("the zone name {} is too long for NSEC3 owner names", apex.to_string()));
    }
    return owner->lowercase();
}

Result<Nsec3> parse_nsec3(std::span<const std::uint8_t> rdata)
{
    const auto truncated = [] { return make_error(Errc::parse_error, "NSEC3 rdata is truncated"); };
    if (rdata.size() < 5) {
        return truncated();
    }
    Nsec3 nsec3;
    nsec3.algorithm = rdata[0];
    nsec3.flags = rdata[1];
    nsec3.iterations = static_cast<std::uint16_t>((rdata[2] << 8) | rdata[3]);
    const std::size_t salt_end = 5 + std::size_t{rdata[4]};
    if (salt_end + 1 > rdata.size()) {
        return truncated();
    }
    nsec3.salt.assign(rdata.begin() + 5, rdata.begin() + static_cast<std::ptrdiff_t>(salt_end));
    const std::size_t hash_end = salt_end + 1 + std::size_t{rdata[salt_end]};
    if (hash_end > rdata.size() || rdata[salt_end] == 0) {
        return truncated();
    }
    nsec3.next_hash.assign(rdata.begin() + static_cast<std::ptrdiff_t>(salt_end + 1),
                           rdata.begin() + static_cast<std::ptrdiff_t>(hash_end));
    auto types = decode_type_bitmap(rdata.subspan(hash_end));
    if (!types) {
        return tl::unexpected(types.error());
    }
    nsec3.types = std::move(*types);
    return nsec3;
}

std::vector<std::uint8_t> nsec3_rdata(const Nsec3& nsec3)
{
    std::vector<std::uint8_t> rdata{nsec3.algorithm, nsec3.flags};
    append_u16(rdata, nsec3.iterations);
    rdata.push_back(static_cast<std::uint8_t>(nsec3.salt.size()));
    rdata.insert(rdata.end(), nsec3.salt.begin(), nsec3.salt.end());
    rdata.push_back(static_cast<std::uint8_t>(nsec3.next_hash.size()));
    rdata.insert(rdata.end(), nsec3.next_hash.begin(), nsec3.next_hash.end());
    const auto bitmap = encode_type_bitmap(nsec3.types);
    rdata.insert(rdata.end(), bitmap.begin(), bitmap.end());
    return rdata;
}

Result<Nsec3Param> parse_nsec3param(std::span<const std::uint8_t> rdata)
{
    if (rdata.size() < 5 || rdata.size() != 5 + std::size_t{rdata[4]}) {
        return make_error(Errc::parse_error, "NSEC3PARAM rdata has the wrong length");
    }
    Nsec3Param param;
    param.algorithm = rdata[0];
    param.flags = rdata[1];
    param.iterations = static_cast<std::uint16_t>((rdata[2] << 8) | rdata[3]);
    param.salt.assign(rdata.begin() + 5, rdata.end());
    return param;
}

std::vector<std::uint8_t> nsec3param_rdata(const Nsec3Param& param)
{
    std::vector<std::uint8_t> rdata{param.algorithm, param.flags};
    append_u16(rdata, param.iterations);
    rdata.push_back(static_cast<std::uint8_t>(param.salt.size()));
    rdata.insert(rdata.end(), param.salt.begin(), param.salt.end());
    return rdata;
}

Result<void> check_nsec3_options(const Nsec3Options& options)
{
    if (options.salt.size() > 255) {
        return make_error(
            Errc::invalid_argument,
            fmt::format("NSEC3 salt of {} octets is longer than 255 octets", options.salt.size()));
    }
    if (options.iterations > max_nsec3_iterations) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{} NSEC3 iterations exceed the maximum of {}; validators "
                                      "treat such zones as insecure, and 0 is recommended",
                                      options.iterations, max_nsec3_iterations));
    }
    return {};
}

bool is_insecure_delegation(const Node& node)
{
    return node.kind == NodeKind::delegation && !node.has_type(zone::rrtype::ds);
}

std::vector<std::uint16_t> nsec3_types(const Node& node)
{
    std::vector<std::uint16_t> types;
    bool signed_data = false;
    for (const auto& rrset : node.rrsets) {
        const bool listed = node.kind != NodeKind::delegation || rrset.type == zone::rrtype::ns ||
                            rrset.type == zone::rrtype::ds;
        if (listed) {
            types.push_back(rrset.type);
        }
        signed_data = signed_data || is_signed_rrset(node.kind, rrset.type);
    }
    if (signed_data) {
        types.push_back(zone::rrtype::rrsig);
    }
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    return types;
}

Result<std::vector<zone::Record>> build_nsec3_chain(const zone::Name& apex,
                                                    const std::vector<Node>& nodes,
                                                    const Nsec3Options& options, std::uint32_t ttl)
{
    if (auto checked = check_nsec3_options(options); !checked) {
        return tl::unexpected(checked.error());
    }
    const auto names = nsec3_chain_entries(apex, nodes, options);

    std::vector<zone::Record> records;
    records.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        const Nsec3Entry& next = names[(i + 1) % names.size()];
        if (names.size() > 1 && next.hash == names[i].hash) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{} and {} have the same NSEC3 hash; choose another salt",
                                          names[i].name.to_string(), next.name.to_string()));
        }
        auto owner = nsec3_owner(names[i].hash, apex);
        if (!owner) {
            return tl::unexpected(owner.error());
        }
        const Nsec3 nsec3{nsec3_sha1,
                          options.opt_out ? nsec3_flag_opt_out : std::uint8_t{0},
                          options.iterations,
                          options.salt,
                          std::vector<std::uint8_t>(next.hash.begin(), next.hash.end()),
                          names[i].types};
        records.push_back({std::move(*owner),
                           zone::rrtype::nsec3,
                           zone::rrclass::in,
                           ttl,
                           nsec3_rdata(nsec3),
                           {}});
    }
    return records;
}

namespace {

// An NSEC3 record of the zone with the hash its owner name encodes.
struct ChainLink {
    Nsec3Hash hash{};
    Nsec3 nsec3;
    const RRset* rrset = nullptr;
};

std::optional<Nsec3Hash> owner_hash(const zone::Name& owner, const zone::Name& apex)
{
    if (owner.label_count() != apex.label_count() + 1 || !(owner.parent() == apex)) {
        return std::nullopt;
    }
    const auto decoded = base32hex_decode(owner.label(0));
    if (!decoded || decoded->size() != Nsec3Hash{}.size()) {
        return std::nullopt;
    }
    Nsec3Hash hash{};
    std::copy(decoded->begin(), decoded->end(), hash.begin());
    return hash;
}

// Parses the NSEC3 RRsets, reporting those that cannot belong to the chain of param.
std::vector<ChainLink> read_links(const zone::Name& apex, const std::vector<RRset>& rrsets,
                                  const Nsec3Param& param, std::vector<Diagnostic>& out)
{
    std::vector<ChainLink> links;
    for (const auto& rrset : rrsets) {
        const auto error = [&](std::string message) {
            out.push_back({Severity::error, rrset.where,
                           fmt::format("NSEC3 at {} {}", rrset.owner.to_string(), message)});
        };
        const auto hash = owner_hash(rrset.owner, apex);
        auto nsec3 = parse_nsec3(rrset.rdatas.front());
        if (!hash) {
            error("does not have a hashed owner name directly below the apex");
            continue;
        }
        if (!nsec3) {
            error(fmt::format("is malformed: {}", nsec3.error().message));
            continue;
        }
        if (rrset.rdatas.size() != 1) {
            error(fmt::format("has {} records instead of one", rrset.rdatas.size()));
        }
        if (nsec3->algorithm != param.algorithm || nsec3->iterations != param.iterations ||
            nsec3->salt != param.salt) {
            error("has other hash parameters than the NSEC3PARAM at the apex");
            continue;
        }
        links.push_back({*hash, std::move(*nsec3), &rrset});
    }
    std::sort(links.begin(), links.end(),
              [](const ChainLink& left, const ChainLink& right) { return left.hash < right.hash; });
    return links;
}

void check_links(const std::vector<ChainLink>& links, const std::vector<Nsec3Entry>& entries,
                 std::vector<Diagnostic>& out)
{
    for (std::size_t i = 0; i < links.size(); ++i) {
        const auto& link = links[i];
        const auto& next = links[(i + 1) % links.size()].hash;
        if (!std::equal(link.nsec3.next_hash.begin(), link.nsec3.next_hash.end(), next.begin(),
                        next.end())) {
            out.push_back(
                {Severity::error, link.rrset->where,
                 fmt::format("the NSEC3 at {} points to {}, but the next hash in the "
                             "chain is {}",
                             link.rrset->owner.to_string(), base32hex_encode(link.nsec3.next_hash),
                             base32hex_encode(next))});
        }
        const auto entry = std::lower_bound(entries.begin(), entries.end(), link.hash,
                                            [](const Nsec3Entry& candidate, const Nsec3Hash& hash) {
                                                return candidate.hash < hash;
                                            });
        if (entry == entries.end() || entry->hash != link.hash) {
            out.push_back({Severity::error, link.rrset->where,
                           fmt::format("the NSEC3 at {} matches no name of the zone",
                                       link.rrset->owner.to_string())});
        } else if (entry->types != link.nsec3.types) {
            out.push_back(
                {Severity::error, link.rrset->where,
                 fmt::format("the NSEC3 at {} for {} lists {}, but the name has {}",
                             link.rrset->owner.to_string(), entry->name.to_string(),
                             types_to_string(link.nsec3.types), types_to_string(entry->types))});
        }
    }
}

// Reports names without an NSEC3, unless opt-out lets them go without one.
void check_missing(const zone::Name& apex, const std::vector<ChainLink>& links,
                   const std::vector<Nsec3Entry>& entries, const std::vector<Nsec3Entry>& required,
                   std::vector<Diagnostic>& out)
{
    const auto hash_less = [](const auto& candidate, const Nsec3Hash& hash) {
        return candidate.hash < hash;
    };
    for (const auto& entry : entries) {
        const auto link = std::lower_bound(links.begin(), links.end(), entry.hash, hash_less);
        if (link != links.end() && link->hash == entry.hash) {
            continue;
        }
        const auto needed =
            std::lower_bound(required.begin(), required.end(), entry.hash, hash_less);
        const bool is_required = needed != required.end() && needed->hash == entry.hash;
        // The covering NSEC3 is the one with the highest hash below the name's hash.
        const bool covered_by_opt_out =
            !links.empty() && ((link == links.begin() ? links.back() : *(link - 1)).nsec3.flags &
                               nsec3_flag_opt_out) != 0;
        if (is_required || !covered_by_opt_out) {
            out.push_back(
                {Severity::error,
                 {},
                 fmt::format("{} has no NSEC3 record at {}", entry.name.to_string(),
                             nsec3_owner(entry.hash, apex)
                                 .map([](const zone::Name& name) { return name.to_string(); })
                                 .value_or("?"))});
        }
    }
}

} // namespace

void check_nsec3_chain(const zone::Name& apex, const std::vector<Node>& nodes,
                       const std::vector<RRset>& nsec3_rrsets, std::vector<Diagnostic>& out)
{
    const auto& apex_rrsets = nodes.front().rrsets;
    const auto param_rrset =
        std::find_if(apex_rrsets.begin(), apex_rrsets.end(),
                     [](const RRset& rrset) { return rrset.type == zone::rrtype::nsec3param; });
    if (param_rrset == apex_rrsets.end()) {
        return;
    }
    const auto param = parse_nsec3param(param_rrset->rdatas.front());
    if (!param || param->algorithm != nsec3_sha1) {
        out.push_back(
            {Severity::error, param_rrset->where,
             param ? fmt::format("NSEC3PARAM names the unknown hash algorithm {}", param->algorithm)
                   : fmt::format("malformed NSEC3PARAM: {}", param.error().message)});
        return;
    }
    if (param->iterations > max_nsec3_iterations) {
        out.push_back({Severity::error, param_rrset->where,
                       fmt::format("NSEC3PARAM has {} iterations, more than the {} that robur "
                                   "serves and signs with (RFC 9276 asks for 0): sign again "
                                   "with 0 iterations",
                                   param->iterations, max_nsec3_iterations)});
    }

    Nsec3Options options{param->salt, param->iterations, false};
    const auto entries = nsec3_chain_entries(apex, nodes, options);
    options.opt_out = true;
    const auto required = nsec3_chain_entries(apex, nodes, options);
    const auto links = read_links(apex, nsec3_rrsets, *param, out);
    check_links(links, entries, out);
    check_missing(apex, links, entries, required, out);
}

} // namespace robur::dnssec
