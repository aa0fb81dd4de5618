// `robur serve caldav`: the CalDAV/CardDAV server for the calendars, contacts and users of a
// branch.

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/signal_wait.hpp"
#include "core/log.hpp"
#include "servers/caldav/handler.hpp"
#include "servers/caldav/http_server.hpp"
#include "store/config.hpp"

namespace robur::cli {

namespace {

// Loopback only, so that a server started for a try is not reachable from the network.
constexpr std::string_view default_listen = "127.0.0.1:8008";

struct ServeCaldavOptions {
    std::vector<std::string> listen;
    std::string ref;
    std::string tls_certificate;
    std::string tls_key;
    unsigned threads = 0;
};

// Reads a size from robur.conf [caldav]; the default when unset. Errors name the file and key.
Result<std::size_t> configured_size(const std::optional<store::Config>& config,
                                    std::string_view key, std::size_t fallback)
{
    if (!config) {
        return fallback;
    }
    auto value = config->get_int(fmt::format("caldav.{}", key));
    if (!value) {
        return tl::unexpected(value.error());
    }
    if (!*value) {
        return fallback;
    }
    if (**value < 1) {
        return make_error(Errc::invalid_argument,
                          fmt::format("{}: caldav.{} must be positive, not {}", config->path(),
                                      key, **value));
    }
    return static_cast<std::size_t>(**value);
}

Result<std::optional<store::Config>> load_config(const store::Repository& repository,
                                                 const std::string& branch)
{
    auto snapshot = repository.snapshot(branch);
    if (!snapshot) {
        return make_error(snapshot.error().code,
                          fmt::format("{}: create a user first with robur user add NAME",
                                      snapshot.error().message));
    }
    auto config = store::Config::load(*snapshot);
    if (!config) {
        if (config.error().code == Errc::not_found) {
            return std::optional<store::Config>{};
        }
        return tl::unexpected(config.error());
    }
    return std::optional<store::Config>{std::move(*config)};
}

Result<caldav::ServerSettings> server_settings(const ServeCaldavOptions& options,
                                               const std::optional<store::Config>& config,
                                               std::size_t max_body)
{
    caldav::ServerSettings settings;
    std::vector<std::string> listen = options.listen;
    if (listen.empty() && config) {
        auto configured = config->get_all("caldav.listen");
        if (!configured) {
            return tl::unexpected(configured.error());
        }
        listen = std::move(*configured);
    }
    if (listen.empty()) {
        listen.emplace_back(default_listen);
    }
    for (const auto& text : listen) {
        auto endpoint = caldav::parse_endpoint(text);
        if (!endpoint) {
            return tl::unexpected(endpoint.error());
        }
        settings.listen.push_back(*endpoint);
    }
    if (!options.tls_certificate.empty()) {
        settings.tls_certificate = options.tls_certificate;
    }
    if (!options.tls_key.empty()) {
        settings.tls_key = options.tls_key;
    }
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    settings.threads = options.threads != 0 ? options.threads : cores;
    settings.max_body_size = max_body;
    return settings;
}

Result<caldav::HandlerSettings> handler_settings(const std::optional<store::Config>& config,
                                                 std::string branch)
{
    caldav::HandlerSettings settings;
    settings.branch = std::move(branch);
    auto resource = configured_size(config, "max-resource-size", settings.max_resource_size);
    auto collection = configured_size(config, "max-collection-size",
                                      settings.max_collection_size);
    if (!resource || !collection) {
        return tl::unexpected(!resource ? resource.error() : collection.error());
    }
    settings.max_resource_size = *resource;
    settings.max_collection_size = *collection;
    std::array<char, 256> host{};
    settings.host_name = gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "robur";
    return settings;
}

std::string join_endpoints(const std::vector<caldav::Endpoint>& endpoints)
{
    std::string text;
    for (const auto& endpoint : endpoints) {
        text += (text.empty() ? "" : ",") + endpoint.to_string();
    }
    return text;
}

int serve_caldav(const Context& context, const ServeCaldavOptions& options)
{
    log::configure(context.verbosity >= 1 ? spdlog::level::debug : spdlog::level::info);
    auto logger = log::get("caldav");
    // SIGHUP only logs: the server reads the branch head per request, so it has nothing to
    // reload, and a reload sent by habit must not stop it.
    auto signals = StopSignals::block(Hangup::handled);
    if (!signals) {
        return report(signals.error());
    }

    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto branch = options.ref.empty() ? repository->head_branch()
                                      : Result<std::string>(store::full_branch_name(options.ref));
    if (!branch) {
        return report(branch.error());
    }
    auto config = load_config(*repository, *branch);
    if (!config) {
        return report(config.error());
    }
    auto handler_options = handler_settings(*config, *branch);
    if (!handler_options) {
        return report(handler_options.error());
    }
    auto http_options = server_settings(
        options, *config, std::max(handler_options->max_resource_size,
                                   handler_options->max_xml_size));
    if (!http_options) {
        return report(http_options.error());
    }

    caldav::Handler handler(std::move(*repository), *handler_options);
    caldav::HttpServer server(handler, *http_options);
    if (auto started = server.start(); !started) {
        return report(started.error());
    }
    logger->info("caldav server started listen={} threads={} branch={} tls={}",
                 join_endpoints(server.local_endpoints()), http_options->threads, *branch,
                 http_options->tls_certificate ? "yes" : "no");

    const int stop_signal = signals->wait([&logger] {
        logger->info("SIGHUP received, nothing to reload: every request reads the branch head");
    });
    logger->info("caldav server stopping signal={}", signal_name(stop_signal));
    server.stop();
    logger->info("caldav server stopped");
    return exit_ok;
}

} // namespace

void add_serve_caldav_command(CLI::App& serve, Context& context)
{
    auto options = std::make_shared<ServeCaldavOptions>();
    auto* caldav = serve.add_subcommand(
        "caldav", "Serve the calendars and contacts of a branch over CalDAV and CardDAV; every "
                  "client write becomes a commit");
    caldav
        ->add_option("--listen", options->listen,
                     "Address to listen on, such as 127.0.0.1:8008 or [::1]:8443; repeatable "
                     "(default: robur.conf caldav.listen, else 127.0.0.1:8008). Plain HTTP is "
                     "allowed on loopback addresses only")
        ->type_name("ADDR:PORT")
        ->allow_extra_args(false);
    caldav->add_option("--ref", options->ref, "Branch to serve (default: the branch HEAD names)")
        ->type_name("BRANCH");
    caldav->add_option("--tls-cert", options->tls_certificate,
                       "PEM file with the server certificate and its chain; turns on TLS")
        ->type_name("FILE");
    caldav->add_option("--tls-key", options->tls_key, "PEM file with the certificate's private key")
        ->type_name("FILE");
    caldav->add_option("--threads", options->threads, "Worker threads (default: one per CPU core)")
        ->check(CLI::Range(1, 1024));
    caldav->callback([&context, options] {
        for (const auto& text : options->listen) {
            if (auto endpoint = caldav::parse_endpoint(text); !endpoint) {
                throw CLI::ValidationError("--listen", endpoint.error().message);
            }
        }
        context.exit_code = serve_caldav(context, *options);
    });
}

} // namespace robur::cli
