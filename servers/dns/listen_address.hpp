#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "servers/dns/asio.hpp"

namespace robur::dns {

// An address and port the server listens on, over both UDP and TCP.
struct ListenAddress {
    static constexpr std::uint16_t default_port = 53;

    asio::ip::address address;
    std::uint16_t port = default_port; // 0 lets the kernel pick a free port

    // "127.0.0.1:5300" or "[::1]:5300".
    [[nodiscard]] std::string to_string() const;

    friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// Parses "ADDRESS:PORT", with an IPv6 address in brackets ("[::1]:5300"). Without ":PORT" the
// port is 53. Fails with Errc::invalid_argument on anything else, host names included.
Result<ListenAddress> parse_listen_address(std::string_view text);

} // namespace robur::dns
