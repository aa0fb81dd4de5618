#include "formats/dnssec/signer_roles.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "formats/dnssec/rrsig.hpp"

namespace robur::dnssec::detail {

using namespace std::chrono_literals;

Result<Roles> assign_roles(const std::vector<KeyPair>& keys)
{
    std::map<Algorithm, Roles> by_algorithm;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const KeyPair& key = keys[i];
        Roles& roles = by_algorithm[key.algorithm];
        const SigningKey signing{i};
        if ((key.flags & dnskey_flags::revoke) != 0) {
            continue;
        }
        auto& role = (key.flags & dnskey_flags::secure_entry_point) != 0 ? roles.key_signing
                                                                         : roles.zone_signing;
        role.push_back(signing);
    }

    Roles result;
    for (auto& [algorithm, roles] : by_algorithm) {
        if (roles.key_signing.empty() && roles.zone_signing.empty()) {
            return make_error(Errc::invalid_argument,
                              fmt::format("every {} key is revoked, so none can sign the zone",
                                          algorithm_name(algorithm)));
        }
        auto& ksks = roles.key_signing.empty() ? roles.zone_signing : roles.key_signing;
        auto& zsks = roles.zone_signing.empty() ? roles.key_signing : roles.zone_signing;
        result.key_signing.insert(result.key_signing.end(), ksks.begin(), ksks.end());
        result.zone_signing.insert(result.zone_signing.end(), zsks.begin(), zsks.end());
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if ((keys[i].flags & dnskey_flags::revoke) != 0) {
            result.key_signing.push_back({i});
        }
    }

    std::set<std::size_t> all;
    for (const auto& key : result.key_signing) {
        all.insert(key.index);
    }
    for (const auto& key : result.zone_signing) {
        all.insert(key.index);
    }
    for (const std::size_t index : all) {
        result.all.push_back({index});
    }
    return result;
}

std::chrono::sys_seconds signing_time(const SignOptions& options)
{
    return options.now.value_or(
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
}

Result<Window> signature_window(const SignOptions& options)
{
    const auto now = signing_time(options);
    const auto inception = options.inception.value_or(now - 1h);
    const auto expiration = options.expiration.value_or(now + std::chrono::days(30));
    if (expiration <= inception) {
        return make_error(Errc::invalid_argument,
                          "the signature expiration time must be after the inception time");
    }
    if (expiration - inception >= std::chrono::seconds(1LL << 31)) {
        return make_error(
            Errc::invalid_argument,
            "signatures cannot be valid for 68 years or more (RFC 4034 section 3.1.5)");
    }
    const auto spread = std::min<std::chrono::seconds>(
        options.expiration_spread.value_or(options.refresh / 4), (expiration - inception) / 2);
    return Window{rrsig_time(inception), rrsig_time(expiration),
                  static_cast<std::uint32_t>(std::max<std::int64_t>(spread.count(), 0))};
}

std::uint32_t spread_expiration(const RRset& rrset, const Window& window)
{
    if (window.spread == 0) {
        return window.expiration;
    }
    std::uint64_t hash = 14695981039346656037ULL;
    auto mix = [&hash](std::uint8_t octet) {
        hash ^= octet;
        hash *= 1099511628211ULL;
    };
    for (const auto octet : rrset.owner.wire()) {
        mix(octet);
    }
    mix(static_cast<std::uint8_t>(rrset.type >> 8));
    mix(static_cast<std::uint8_t>(rrset.type));
    return window.expiration - static_cast<std::uint32_t>(hash % window.spread);
}

ReuseRule reuse_rule(const SignOptions& options)
{
    const auto now = signing_time(options);
    return ReuseRule{.now = rrsig_time(now),
                     .renew_after = rrsig_time(now + options.refresh),
                     .verify = options.verify_previous};
}

} // namespace robur::dnssec::detail
