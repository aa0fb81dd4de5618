#include "servers/caldav/http_server.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include "core/log.hpp"
#include "servers/dns/asio.hpp"

namespace robur::caldav {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::string describe_peer(const tcp::socket& socket)
{
    boost::system::error_code error;
    const auto peer = socket.remote_endpoint(error);
    if (error) {
        return "unknown";
    }
    return Endpoint{peer.address().to_string(), peer.port()}.to_string();
}

Response unauthorized(const Request& request, const ServerSettings& settings)
{
    auto response = make_response(request, http::status::unauthorized,
                                  "authentication required: send Basic credentials\n");
    response.set(http::field::www_authenticate,
                  fmt::format("Basic realm=\"{}\", charset=\"UTF-8\"", settings.realm));
    return response;
}

Response limit_response(http::status status, std::string body)
{
    Response response{status, 11};
    response.set(http::field::server, "robur");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.keep_alive(false);
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

template <typename Stream>
asio::awaitable<bool> write_response(Stream& stream, Response& response,
                                     const ServerSettings& settings)
{
    boost::system::error_code error;
    beast::get_lowest_layer(stream).expires_after(settings.request_timeout);
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, error));
    co_return !error;
}

template <typename Stream>
asio::awaitable<void> close_stream(Stream& stream)
{
    boost::system::error_code error;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        stream.socket().shutdown(tcp::socket::shutdown_send, error);
    } else {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
        co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, error));
    }
}

// Reads the body after the header, sending 100 Continue first when the client waits for it
// (RFC 9110 section 10.1.1). Returns a response to send instead when the body is too large.
template <typename Stream>
asio::awaitable<std::optional<Response>> read_body(Stream& stream, beast::flat_buffer& buffer,
                                                   http::request_parser<http::string_body>& parser,
                                                   const ServerSettings& settings, bool& failed)
{
    boost::system::error_code error;
    const auto expect = parser.get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
        http::response<http::empty_body> proceed{http::status::continue_, 11};
        beast::get_lowest_layer(stream).expires_after(settings.request_timeout);
        co_await http::async_write(stream, proceed,
                                   asio::redirect_error(asio::use_awaitable, error));
    }
    if (!error && !parser.is_done()) {
        beast::get_lowest_layer(stream).expires_after(settings.request_timeout);
        co_await http::async_read(stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, error));
    }
    if (error == http::error::body_limit) {
        co_return limit_response(http::status::payload_too_large,
                                 fmt::format("the request body exceeds the limit of {} bytes\n",
                                             settings.max_body_size));
    }
    failed = static_cast<bool>(error);
    co_return std::nullopt;
}

template <typename Stream>
asio::awaitable<void> run_session(Stream& stream, Handler& handler,
                                  const ServerSettings& settings, const std::string& peer)
{
    auto logger = log::get("caldav");
    beast::flat_buffer buffer;
    while (true) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(settings.max_header_size));
        parser.body_limit(settings.max_body_size);
        boost::system::error_code error;
        beast::get_lowest_layer(stream).expires_after(settings.idle_timeout);
        co_await http::async_read_header(stream, buffer, parser,
                                         asio::redirect_error(asio::use_awaitable, error));
        if (error == http::error::header_limit) {
            auto response = limit_response(http::status::request_header_fields_too_large,
                                           "the request header is too large\n");
            co_await write_response(stream, response, settings);
            co_return;
        }
        if (error) {
            co_return;
        }

        const auto started = std::chrono::steady_clock::now();
        const auto authorization = as_std(parser.get()[http::field::authorization]);
        auto user = handler.handle_unauthenticated(parser.get())
                        ? std::nullopt
                        : handler.authenticate(authorization);
        const bool waits_for_continue =
            beast::iequals(parser.get()[http::field::expect], "100-continue");
        Response response;
        if (auto early = handler.handle_unauthenticated(parser.get())) {
            response = std::move(*early);
        } else if (!user && waits_for_continue) {
            // The body was not sent yet, so the connection cannot carry another request.
            response = unauthorized(parser.get(), settings);
            response.keep_alive(false);
        } else {
            bool failed = false;
            if (auto rejected = co_await read_body(stream, buffer, parser, settings, failed)) {
                co_await write_response(stream, *rejected, settings);
                co_return;
            }
            if (failed) {
                co_return;
            }
            response = user ? handler.handle(parser.get(), *user)
                            : unauthorized(parser.get(), settings);
        }
        const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - started);
        logger->debug("request method={} target={} status={} user={} peer={} time_us={}",
                      as_std(parser.get().method_string()), as_std(parser.get().target()),
                      response.result_int(), user ? user->name : "-", peer, elapsed.count());
        if (!co_await write_response(stream, response, settings) || !response.keep_alive()) {
            break;
        }
    }
    co_await close_stream(stream);
}

asio::awaitable<void> serve_connection(tcp::socket socket, Handler& handler,
                                       const ServerSettings& settings, asio::ssl::context* tls)
{
    const auto peer = describe_peer(socket);
    try {
        if (tls == nullptr) {
            beast::tcp_stream stream(std::move(socket));
            co_await run_session(stream, handler, settings, peer);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
        boost::system::error_code error;
        beast::get_lowest_layer(stream).expires_after(settings.request_timeout);
        co_await stream.async_handshake(asio::ssl::stream_base::server,
                                        asio::redirect_error(asio::use_awaitable, error));
        if (error) {
            log::get("caldav")->debug("TLS handshake failed peer={} error=\"{}\"", peer,
                                      error.message());
            co_return;
        }
        co_await run_session(stream, handler, settings, peer);
    } catch (const std::exception& error) {
        log::get("caldav")->warn("connection failed peer={} error=\"{}\"", peer, error.what());
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Handler& handler,
                                  const ServerSettings& settings, asio::ssl::context* tls)
{
    asio::steady_timer retry_timer(acceptor.get_executor());
    while (acceptor.is_open()) {
        boost::system::error_code error;
        auto socket =
            co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
        if (error == asio::error::operation_aborted) {
            co_return;
        }
        if (error) {
            // Out of file descriptors, for example: wait instead of spinning.
            log::get("caldav")->warn("accept failed error=\"{}\"", error.message());
            retry_timer.expires_after(std::chrono::milliseconds(100));
            co_await retry_timer.async_wait(asio::redirect_error(asio::use_awaitable, error));
            continue;
        }
        asio::co_spawn(acceptor.get_executor(),
                       serve_connection(std::move(socket), handler, settings, tls), asio::detached);
    }
}

} // namespace

struct HttpServer::State {
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    std::optional<asio::ssl::context> tls;
    std::vector<Endpoint> bound;
};

std::string Endpoint::to_string() const
{
    if (address.find(':') != std::string::npos) {
        return fmt::format("[{}]:{}", address, port);
    }
    return fmt::format("{}:{}", address, port);
}

Result<Endpoint> parse_endpoint(std::string_view text)
{
    auto invalid = [&] {
        return make_error(Errc::invalid_argument,
                          fmt::format("invalid listen address '{}': expected ADDRESS:PORT, such "
                                      "as 127.0.0.1:8443 or [::1]:8443",
                                      text));
    };
    std::string_view address;
    std::string_view port;
    if (text.starts_with('[')) {
        const auto close = text.find("]:");
        if (close == std::string_view::npos) {
            return invalid();
        }
        address = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            return invalid();
        }
        address = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    std::uint16_t number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    boost::system::error_code address_error;
    asio::ip::make_address(std::string(address), address_error);
    if (error != std::errc{} || end != port.data() + port.size() || port.empty() ||
        address_error) {
        return invalid();
    }
    return Endpoint{std::string(address), number};
}

bool is_loopback(const Endpoint& endpoint)
{
    boost::system::error_code error;
    const auto address = asio::ip::make_address(endpoint.address, error);
    return !error && address.is_loopback();
}

HttpServer::HttpServer(Handler& handler, ServerSettings settings)
    : handler_(handler), settings_(std::move(settings)), state_(std::make_unique<State>())
{
}

HttpServer::~HttpServer()
{
    stop();
}

namespace {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Checks that `path` can be opened for reading. Boost.Asio 1.74 with OpenSSL 3.0 reports a
// missing or unreadable file only as "asio.ssl error". Errors: invalid_argument naming the
// file and the system's reason.
Result<void> check_readable(const std::filesystem::path& path)
{
    const std::unique_ptr<std::FILE, decltype(&std::fclose)> file(
        std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) {
        return make_error(Errc::invalid_argument, fmt::format("{}: cannot read the TLS file: {}",
                                                              path.string(),
                                                              std::strerror(errno)));
    }
    return {};
}

// Restricts `context` to TLS 1.2 and later and loads the certificate chain and private key.
// Errors: invalid_argument naming the file that is unreadable, not PEM, encrypted, or contains a
// key that does not match the certificate.
Result<void> load_tls_files(asio::ssl::context& context,
                            const std::filesystem::path& certificate,
                            const std::filesystem::path& key)
{
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
    // Without a callback OpenSSL would prompt on the terminal for the passphrase of an
    // encrypted key, so a server started unattended would hang. An empty passphrase makes
    // the load fail instead.
    context.set_password_callback(
        [](std::size_t, asio::ssl::context::password_purpose) { return std::string(); });

    for (const auto* path : {&certificate, &key}) {
        if (auto readable = check_readable(*path); !readable) {
            return readable;
        }
    }

    boost::system::error_code error;
    context.use_certificate_chain_file(certificate.string(), error);
    if (error) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{}: cannot load the TLS certificate chain: {}",
                                      certificate.string(), error.message()));
    }
    context.use_private_key_file(key.string(), asio::ssl::context::pem, error);
    if (error) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{}: cannot load the TLS private key: {}; expected an "
                                      "unencrypted PEM key that matches the certificate",
                                      key.string(), error.message()));
    }
    if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{}: the TLS private key does not match the certificate "
                                      "in {}",
                                      key.string(), certificate.string()));
    }
    return {};
}

Result<std::unique_ptr<tcp::acceptor>> bind_acceptor(asio::io_context& context,
                                                     const Endpoint& endpoint)
{
    auto acceptor = std::make_unique<tcp::acceptor>(context);
    const tcp::endpoint address(asio::ip::make_address(endpoint.address), endpoint.port);
    boost::system::error_code error;
    acceptor->open(address.protocol(), error);
    if (!error) {
        acceptor->set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) {
        acceptor->set_option(reuse_port(true), error);
    }
    if (!error && address.address().is_v6()) {
        acceptor->set_option(asio::ip::v6_only(true), error);
    }
    if (!error) {
        acceptor->bind(address, error);
    }
    if (!error) {
        acceptor->listen(asio::socket_base::max_listen_connections, error);
    }
    if (error) {
        return make_error(Errc::io_error, fmt::format("cannot listen on {}: {}",
                                                      endpoint.to_string(), error.message()));
    }
    return acceptor;
}

} // namespace

Result<void> HttpServer::start()
{
    const bool tls = settings_.tls_certificate.has_value();
    if (tls != settings_.tls_key.has_value()) {
        return make_error(Errc::invalid_argument, "--tls-cert and --tls-key go together");
    }
    for (const auto& endpoint : settings_.listen) {
        if (!tls && !is_loopback(endpoint)) {
            return make_error(Errc::invalid_argument,
                              fmt::format("plain HTTP is not allowed on {}: Basic authentication "
                                          "would send passwords in clear text; give --tls-cert "
                                          "and --tls-key, or listen on 127.0.0.1 or [::1]",
                                          endpoint.to_string()));
        }
    }
    if (tls) {
        auto& context = state_->tls.emplace(asio::ssl::context::tls_server);
        if (auto loaded = load_tls_files(context, *settings_.tls_certificate, *settings_.tls_key);
            !loaded) {
            return loaded;
        }
    }

    const unsigned threads = std::max(1U, settings_.threads);
    for (unsigned i = 0; i < threads; ++i) {
        state_->contexts.push_back(std::make_unique<asio::io_context>(1));
    }
    for (const auto& endpoint : settings_.listen) {
        Endpoint bound = endpoint;
        for (auto& context : state_->contexts) {
            auto acceptor = bind_acceptor(*context, bound);
            if (!acceptor) {
                return tl::unexpected(acceptor.error());
            }
            // The first socket learns the port the kernel picked for port 0; the others of
            // the same address share it through SO_REUSEPORT.
            bound.port = (*acceptor)->local_endpoint().port();
            asio::co_spawn(*context,
                           accept_loop(**acceptor, handler_, settings_,
                                              state_->tls ? &*state_->tls : nullptr),
                           asio::detached);
            state_->acceptors.push_back(std::move(*acceptor));
        }
        state_->bound.push_back(bound);
    }
    for (auto& context : state_->contexts) {
        threads_.emplace_back([&io = *context] {
            try {
                io.run();
            } catch (const std::exception& error) {
                log::get("caldav")->error("worker thread stopped error=\"{}\"", error.what());
            }
        });
    }
    return {};
}

void HttpServer::stop()
{
    for (auto& context : state_->contexts) {
        context->stop();
    }
    for (auto& thread : threads_) {
        if (thread.joinable()) {
            thread.join();
        }
    }
    threads_.clear();
    state_->acceptors.clear();
    state_->contexts.clear();
}

std::vector<Endpoint> HttpServer::local_endpoints() const
{
    return state_->bound;
}

} // namespace robur::caldav
