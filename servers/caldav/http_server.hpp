#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "servers/caldav/handler.hpp"

namespace robur::caldav {

// An address and port to listen on: "127.0.0.1:8443" or "[::1]:8443".
struct Endpoint {
    std::string address;
    std::uint16_t port = 0; // 0 lets the kernel pick a free port

    [[nodiscard]] std::string to_string() const;
};

// Parses "ADDRESS:PORT" with an IPv6 address in brackets. Errors: invalid_argument.
[[nodiscard]] Result<Endpoint> parse_endpoint(std::string_view text);

// Returns true when the address is 127.0.0.0/8 or ::1.
[[nodiscard]] bool is_loopback(const Endpoint& endpoint);

// Settings of the HTTP layer; sizes in bytes.
struct ServerSettings {
    std::vector<Endpoint> listen;
    unsigned threads = 1;
    std::optional<std::filesystem::path> tls_certificate; // PEM chain
    std::optional<std::filesystem::path> tls_key;         // PEM private key
    std::size_t max_header_size = 16 * 1024;
    std::size_t max_body_size = 10 * 1024 * 1024;
    std::chrono::seconds idle_timeout{60};    // between requests on a kept-alive connection
    std::chrono::seconds request_timeout{60}; // reading one request body or writing a response
    std::string realm = "robur";
};

// The HTTP/1.1 server in front of a Handler: keep-alive, Expect: 100-continue, size limits,
// optional TLS, and Basic authentication. One io_context per thread, each with its own
// SO_REUSEPORT listening socket per address, so the kernel spreads connections over the
// threads. Every request runs its handler on the connection's thread.
class HttpServer {
public:
    HttpServer(Handler& handler, ServerSettings settings);
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    ~HttpServer();

    // Binds every address and starts the threads. Plain HTTP is rejected on an address that is
    // not loopback, because Basic authentication would send passwords in clear text.
    // Errors: invalid_argument for that case or a bad TLS file, io_error when binding fails.
    [[nodiscard]] Result<void> start();

    // Stops accepting, closes connections and joins the threads; safe to call twice.
    void stop();

    // The bound addresses, with the ports the kernel picked for port 0.
    [[nodiscard]] std::vector<Endpoint> local_endpoints() const;

private:
    struct State;

    Handler& handler_;
    ServerSettings settings_;
    std::unique_ptr<State> state_;
    std::vector<std::thread> threads_;
};

} // namespace robur::caldav
