#include "servers/dns/listen_address.hpp"

#include <charconv>
#include <optional>

#include <fmt/format.h>

namespace robur::dns {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text)
{
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc{} || stop != end || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

tl::unexpected<Error> invalid(std::string_view text, std::string_view reason)
{
    return make_error(Errc::invalid_argument,
                      fmt::format("invalid listen address \"{}\": {}", text, reason));
}

} // namespace

std::string ListenAddress::to_string() const
{
    if (address.is_v6()) {
        return fmt::format("[{}]:{}", address.to_string(), port);
    }
    return fmt::format("{}:{}", address.to_string(), port);
}

Result<ListenAddress> parse_listen_address(std::string_view text)
{
    std::string_view host = text;
    std::string_view port_text;

    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            return invalid(text, "missing ']' after the IPv6 address");
        }
        host = text.substr(1, close - 1);
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) {
            return invalid(text, "expected ':PORT' after ']'");
        }
        port_text = rest.empty() ? std::string_view{} : rest.substr(1);
        if (rest == ":") {
            return invalid(text, "missing port after ':'");
        }
    } else {
        const auto colon = text.find(':');
        if (colon != std::string_view::npos &&
            text.find(':', colon + 1) != std::string_view::npos) {
            return invalid(text, "write an IPv6 address in brackets, as in [::1]:53");
        }
        if (colon != std::string_view::npos) {
            host = text.substr(0, colon);
            port_text = text.substr(colon + 1);
            if (port_text.empty()) {
                return invalid(text, "missing port after ':'");
            }
        }
    }

    boost::system::error_code error;
    const auto address = asio::ip::make_address(std::string(host), error);
    if (error) {
        return invalid(text, "expected an IPv4 address or a bracketed IPv6 address");
    }
    if (text.starts_with('[') && !address.is_v6()) {
        return invalid(text, "only IPv6 addresses go in brackets");
    }

    ListenAddress result{.address = address};
    if (!port_text.empty()) {
        const auto port = parse_port(port_text);
        if (!port) {
            return invalid(text, "the port must be a number from 0 to 65535");
        }
        result.port = *port;
    }
    return result;
}

} // namespace robur::dns
