#include "servers/dns/dnssec_policy.hpp"

#include <string>
#include <utility>

#include <fmt/format.h>

#include "formats/zone/text.hpp"

namespace robur::dns {

namespace {

// RRSIG times and TTLs are 32-bit and compared with serial arithmetic, so no duration may
// reach 2^31 seconds (RFC 4034 section 3.1.5, RFC 2181 section 8).
constexpr std::uint64_t max_duration = 0x7fffffff;

// One configured value and the full key name it came from, for messages.
struct Setting {
    std::string name;
    std::string value;
};

// Looks up the DNSSEC keys of one zone: its own section first, then [dns].
class PolicyReader {
public:
    PolicyReader(const store::Config& config, const zone::Name& zone) : config_(config)
    {
        for (const auto& subsection : config.subsections("zone")) {
            const std::string absolute = subsection.ends_with('.') ? subsection : subsection + ".";
            auto origin = zone::Name::parse(absolute);
            if (origin && *origin == zone) {
                zone_prefix_ = fmt::format("zone.{}.", subsection);
            }
        }
    }

    // The value of key, or nullopt when neither section sets it. Errors: invalid_argument for
    // a key written without a value.
    Result<std::optional<Setting>> find(std::string_view key) const
    {
        for (const auto& prefix : {zone_prefix_, std::string("dns.")}) {
            if (prefix.empty()) {
                continue;
            }
            const std::string name = prefix + std::string(key);
            auto value = config_.get_string(name);
            if (!value) {
                return tl::unexpected(value.error());
            }
            if (*value) {
                return Setting{name, std::move(**value)};
            }
        }
        return std::nullopt;
    }

    [[nodiscard]] tl::unexpected<Error> invalid(const Setting& setting,
                                                std::string_view expected) const
    {
        return make_error(Errc::invalid_argument,
                          fmt::format("{}: {} = \"{}\" is invalid: expected {}", config_.path(),
                                      setting.name, setting.value, expected));
    }

    [[nodiscard]] const std::string& path() const { return config_.path(); }

private:
    const store::Config& config_;
    std::string zone_prefix_; // empty when the zone has no section
};

Result<std::optional<bool>> read_bool(const PolicyReader& reader, std::string_view key)
{
    auto setting = reader.find(key);
    if (!setting || !*setting) {
        return setting ? Result<std::optional<bool>>(std::nullopt)
                       : tl::unexpected(setting.error());
    }
    const std::string& value = (*setting)->value;
    for (const char* yes : {"yes", "true", "on", "1"}) {
        if (zone::text::equals_ignoring_case(value, yes)) {
            return true;
        }
    }
    for (const char* no : {"no", "false", "off", "0"}) {
        if (zone::text::equals_ignoring_case(value, no)) {
            return false;
        }
    }
    return reader.invalid(**setting, "yes or no");
}

// Reads a duration key into target, leaving it unchanged when the key is absent.
Result<void> read_duration(const PolicyReader& reader, std::string_view key,
                           std::chrono::seconds& target)
{
    auto setting = reader.find(key);
    if (!setting) {
        return tl::unexpected(setting.error());
    }
    if (!*setting) {
        return {};
    }
    const auto seconds = zone::text::parse_duration((*setting)->value, max_duration);
    if (!seconds || *seconds == 0) {
        return reader.invalid(**setting, "a duration from 1s to 68 years such as 30d or 1h30m");
    }
    target = std::chrono::seconds{static_cast<std::int64_t>(*seconds)};
    return {};
}

Result<SigningMode> read_mode(const PolicyReader& reader)
{
    auto setting = reader.find("dnssec");
    if (!setting) {
        return tl::unexpected(setting.error());
    }
    if (!*setting) {
        return SigningMode::none;
    }
    for (const auto mode : {SigningMode::none, SigningMode::offline, SigningMode::online}) {
        if (zone::text::equals_ignoring_case((*setting)->value, signing_mode_name(mode))) {
            return mode;
        }
    }
    return reader.invalid(**setting, "no, offline or online");
}

Result<void> read_salt(const PolicyReader& reader, dnssec::Nsec3Options& options)
{
    auto setting = reader.find("nsec3-salt");
    if (!setting) {
        return tl::unexpected(setting.error());
    }
    if (!*setting || (*setting)->value == "-") {
        return {};
    }
    auto salt = zone::text::hex_decode((*setting)->value);
    if (!salt || salt->empty() || salt->size() > 255) {
        return reader.invalid(**setting, "1 to 255 octets in hexadecimal, or - for no salt");
    }
    options.salt = std::move(*salt);
    return {};
}

Result<void> read_iterations(const PolicyReader& reader, dnssec::Nsec3Options& options)
{
    auto setting = reader.find("nsec3-iterations");
    if (!setting) {
        return tl::unexpected(setting.error());
    }
    if (!*setting) {
        return {};
    }
    const auto count =
        zone::text::parse_unsigned((*setting)->value, dnssec::max_nsec3_iterations);
    if (!count) {
        return reader.invalid(**setting, fmt::format("an iteration count from 0 to {}",
                                                     dnssec::max_nsec3_iterations));
    }
    options.iterations = static_cast<std::uint16_t>(*count);
    return {};
}

Result<std::optional<dnssec::Nsec3Options>> read_nsec3(const PolicyReader& reader)
{
    auto enabled = read_bool(reader, "nsec3");
    if (!enabled || !enabled->value_or(false)) {
        return enabled ? Result<std::optional<dnssec::Nsec3Options>>(std::nullopt)
                       : tl::unexpected(enabled.error());
    }
    dnssec::Nsec3Options options;
    if (auto salt = read_salt(reader, options); !salt) {
        return tl::unexpected(salt.error());
    }
    if (auto iterations = read_iterations(reader, options); !iterations) {
        return tl::unexpected(iterations.error());
    }
    auto opt_out = read_bool(reader, "nsec3-opt-out");
    if (!opt_out) {
        return tl::unexpected(opt_out.error());
    }
    options.opt_out = opt_out->value_or(false);
    return options;
}

Result<std::optional<std::uint32_t>> read_dnskey_ttl(const PolicyReader& reader)
{
    auto setting = reader.find("dnskey-ttl");
    if (!setting || !*setting) {
        return setting ? Result<std::optional<std::uint32_t>>(std::nullopt)
                       : tl::unexpected(setting.error());
    }
    const auto ttl = zone::text::parse_duration((*setting)->value, max_duration);
    if (!ttl) {
        return reader.invalid(**setting, "a TTL from 0 to 2147483647 seconds such as 1h");
    }
    return static_cast<std::uint32_t>(*ttl);
}

Result<void> read_durations(const PolicyReader& reader, DnssecPolicy& policy)
{
    const std::pair<std::string_view, std::chrono::seconds*> keys[] = {
        {"signature-validity", &policy.validity},
        {"signature-refresh", &policy.refresh},
        {"propagation-delay", &policy.propagation_delay},
        {"parent-ds-ttl", &policy.parent_ds_ttl},
        {"parent-propagation-delay", &policy.parent_propagation_delay},
    };
    for (const auto& [key, target] : keys) {
        if (auto read = read_duration(reader, key, *target); !read) {
            return read;
        }
    }
    if (policy.refresh >= policy.validity) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{}: signature-refresh ({}s) must be shorter than "
                                      "signature-validity ({}s)",
                                      reader.path(), policy.refresh.count(),
                                      policy.validity.count()));
    }
    return {};
}

} // namespace

std::string_view signing_mode_name(SigningMode mode)
{
    switch (mode) {
    case SigningMode::none:
        return "no";
    case SigningMode::offline:
        return "offline";
    case SigningMode::online:
        return "online";
    }
    return "no";
}

Result<DnssecPolicy> dnssec_policy(const store::Config& config, const zone::Name& zone)
{
    const PolicyReader reader(config, zone);
    DnssecPolicy policy;

    auto mode = read_mode(reader);
    if (!mode) {
        return tl::unexpected(mode.error());
    }
    policy.mode = *mode;

    auto nsec3 = read_nsec3(reader);
    if (!nsec3) {
        return tl::unexpected(nsec3.error());
    }
    policy.nsec3 = std::move(*nsec3);

    auto dnskey_ttl = read_dnskey_ttl(reader);
    if (!dnskey_ttl) {
        return tl::unexpected(dnskey_ttl.error());
    }
    policy.dnskey_ttl = *dnskey_ttl;

    if (auto durations = read_durations(reader, policy); !durations) {
        return tl::unexpected(durations.error());
    }
    return policy;
}

} // namespace robur::dns
