#include "servers/dns/access.hpp"

#include <charconv>

#include <fmt/format.h>

#include "servers/dns/notify_targets.hpp"

namespace robur::dns {

namespace {

constexpr std::string_view key_prefix = "key ";

// The first prefix_length bits of two addresses of the same family are equal.
bool same_prefix(const asio::ip::address& left, const asio::ip::address& right,
                 unsigned prefix_length)
{
    auto bytes_of = [](const asio::ip::address& address) {
        std::vector<std::uint8_t> bytes;
        if (address.is_v4()) {
            const auto v4 = address.to_v4().to_bytes();
            bytes.assign(v4.begin(), v4.end());
        } else {
            const auto v6 = address.to_v6().to_bytes();
            bytes.assign(v6.begin(), v6.end());
        }
        return bytes;
    };
    const auto a = bytes_of(left);
    const auto b = bytes_of(right);
    for (unsigned bit = 0; bit < prefix_length; ++bit) {
        const auto mask = static_cast<std::uint8_t>(0x80U >> (bit % 8));
        if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) {
            return false;
        }
    }
    return true;
}

// An IPv4-mapped IPv6 address (::ffff:192.0.2.1) as the IPv4 address it carries.
asio::ip::address unmapped(const asio::ip::address& address)
{
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    return address;
}

bool rules_allow(const std::vector<AccessRule>& rules, const asio::ip::address& client,
                 const tsig::KeyEntry* key)
{
    for (const auto& rule : rules) {
        // A key rule needs that key; an address rule allows any request from the address, as
        // BIND's address match lists do.
        const bool allowed =
            rule.key ? key != nullptr && *rule.key == key->key.name : rule.matches(client);
        if (allowed) {
            return true;
        }
    }
    return false;
}

Result<std::vector<AccessRule>> read_rules(const store::Config& config, const std::string& name)
{
    auto values = config.get_all(name);
    if (!values) {
        return tl::unexpected(values.error());
    }
    std::vector<AccessRule> rules;
    for (const auto& value : *values) {
        auto rule = parse_access_rule(value);
        if (!rule) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{}: {}: {}", config.path(), name, rule.error().message));
        }
        rules.push_back(std::move(*rule));
    }
    return rules;
}

// Reads the keys of one section; prefix is "dns." or "zone.<origin>.".
Result<ZoneAccess> read_section(const store::Config& config, const std::string& prefix)
{
    ZoneAccess access;
    auto transfer = read_rules(config, prefix + "allow-transfer");
    auto update = read_rules(config, prefix + "allow-update");
    auto notify = read_rules(config, prefix + "allow-notify");
    auto also_notify = config.get_all(prefix + "also-notify");
    auto serial = config.get_string(prefix + "serial");
    auto notify_mode = config.get_string(prefix + "notify");
    if (!transfer || !update || !notify) {
        return tl::unexpected(!transfer ? transfer.error()
                              : !update ? update.error()
                                        : notify.error());
    }
    if (!also_notify || !serial || !notify_mode) {
        return tl::unexpected(!also_notify ? also_notify.error()
                              : !serial    ? serial.error()
                                           : notify_mode.error());
    }
    if (*notify_mode) {
        const auto& value = **notify_mode;
        if (value == "yes") {
            access.notify_mode = NotifyMode::yes;
        } else if (value == "explicit") {
            access.notify_mode = NotifyMode::explicit_only;
        } else if (value == "no") {
            access.notify_mode = NotifyMode::no;
        } else {
            return make_error(Errc::invalid_argument,
                              fmt::format("{}: {}notify must be yes, explicit or no, not \"{}\"",
                                          config.path(), prefix, value));
        }
    }
    access.transfer = std::move(*transfer);
    access.update = std::move(*update);
    access.notify = std::move(*notify);
    for (const auto& value : *also_notify) {
        if (auto parsed = parse_also_notify(value); !parsed) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{}: {}also-notify: {}", config.path(), prefix,
                                          parsed.error().message));
        }
    }
    access.also_notify = std::move(*also_notify);
    if (*serial) {
        if (**serial != "auto" && **serial != "manual") {
            return make_error(Errc::invalid_argument,
                              fmt::format("{}: {}serial must be auto or manual, not \"{}\"",
                                          config.path(), prefix, **serial));
        }
        access.serial_auto = **serial == "auto";
    }
    return access;
}

} // namespace

bool AccessRule::matches(const asio::ip::address& client) const
{
    if (key) {
        return false;
    }
    const auto address = unmapped(client);
    if (address.is_v4() != network.is_v4()) {
        return false;
    }
    return same_prefix(address, network, prefix_length);
}

Result<AccessRule> parse_access_rule(std::string_view text)
{
    AccessRule rule;
    if (text.starts_with(key_prefix)) {
        // Key names are absolute whether or not they end in a dot.
        std::string key_text(text.substr(key_prefix.size()));
        if (key_text.empty() || key_text == ".") {
            return make_error(Errc::invalid_argument,
                              fmt::format("missing key name in \"{}\"", text));
        }
        if (!key_text.ends_with('.')) {
            key_text += '.';
        }
        auto name = zone::Name::parse(key_text);
        if (!name) {
            return make_error(Errc::invalid_argument,
                              fmt::format("invalid key name in \"{}\": {}", text,
                                          name.error().message));
        }
        rule.key = *name;
        return rule;
    }

    const auto slash = text.find('/');
    boost::system::error_code error;
    rule.network = unmapped(asio::ip::make_address(std::string(text.substr(0, slash)), error));
    if (error) {
        return make_error(Errc::invalid_argument,
                          fmt::format("\"{}\" is neither an address, an address/prefix nor "
                                      "\"key NAME\"",
                                      text));
    }
    const unsigned max_prefix = rule.network.is_v4() ? 32 : 128;
    rule.prefix_length = max_prefix;
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        const auto* end = digits.data() + digits.size();
        auto [ptr, ec] = std::from_chars(digits.data(), end, rule.prefix_length);
        if (ec != std::errc{} || ptr != end || digits.empty() ||
            rule.prefix_length > max_prefix) {
            return make_error(Errc::invalid_argument,
                              fmt::format("invalid prefix length in \"{}\"", text));
        }
    }
    return rule;
}

Result<AccessPolicy> AccessPolicy::from_config(const store::Config& config)
{
    AccessPolicy policy;
    auto global = read_section(config, "dns.");
    if (!global) {
        return tl::unexpected(global.error());
    }
    policy.global_ = std::move(*global);
    for (const auto& origin_text : config.subsections("zone")) {
        auto origin = zone::Name::parse(origin_text.ends_with('.') ? origin_text
                                                                   : origin_text + ".");
        if (!origin) {
            return make_error(Errc::invalid_argument,
                              fmt::format("{}: [zone \"{}\"]: {}", config.path(), origin_text,
                                          origin.error().message));
        }
        auto section = read_section(config, fmt::format("zone.{}.", origin_text));
        if (!section) {
            return tl::unexpected(section.error());
        }
        policy.zones_[origin->lowercase()] = std::move(*section);
    }
    auto remote = config.get_string("dns.push-remote");
    if (!remote) {
        return tl::unexpected(remote.error());
    }
    policy.push_remote_ = *remote;
    return policy;
}

std::vector<const ZoneAccess*> AccessPolicy::applicable(const zone::Name& zone) const
{
    std::vector<const ZoneAccess*> found;
    zone::Name name = zone.lowercase();
    for (;;) {
        if (auto section = zones_.find(name); section != zones_.end()) {
            found.push_back(&section->second);
        }
        if (name.is_root()) {
            break;
        }
        name = name.parent();
    }
    found.push_back(&global_);
    return found;
}

bool AccessPolicy::allows(tsig::Operation operation, const zone::Name& zone,
                          const asio::ip::address& client, const tsig::KeyEntry* key) const
{
    if (key != nullptr && tsig::authorises(*key, operation, zone)) {
        return true;
    }
    for (const ZoneAccess* access : applicable(zone)) {
        // A right to update includes transfer and notify; a right to transfer includes notify.
        if (rules_allow(access->update, client, key)) {
            return true;
        }
        if (operation != tsig::Operation::update && rules_allow(access->transfer, client, key)) {
            return true;
        }
        if (operation == tsig::Operation::notify && rules_allow(access->notify, client, key)) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> AccessPolicy::also_notify(const zone::Name& zone) const
{
    if (auto section = zones_.find(zone.lowercase()); section != zones_.end()) {
        return section->second.also_notify;
    }
    return {};
}

NotifyMode AccessPolicy::notify_mode(const zone::Name& zone) const
{
    for (const ZoneAccess* access : applicable(zone)) {
        if (access->notify_mode) {
            return *access->notify_mode;
        }
    }
    return NotifyMode::yes;
}

bool AccessPolicy::serial_auto(const zone::Name& zone) const
{
    for (const ZoneAccess* access : applicable(zone)) {
        if (access->serial_auto) {
            return *access->serial_auto;
        }
    }
    return false;
}

} // namespace robur::dns
