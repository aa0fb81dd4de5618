// `robur key tsig new NAME`: generates a TSIG secret (RFC 8945) and prints it as a DNSKEY
// record for a `_keys` zone file and as key clauses for nsupdate, BIND and Knot. It writes
// no file.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <openssl/rand.h>

#include "cli/commands.hpp"
#include "formats/zone/diff.hpp"
#include "formats/zone/name.hpp"
#include "formats/zone/text.hpp"
#include "servers/dns/tsig.hpp"
#include "servers/dns/tsig_keys.hpp"

namespace robur::cli {

namespace {

namespace tsig = dns::tsig;

// RFC 8945 section 6 recommends a secret at least as long as the hash output. Shorter secrets
// down to 16 octets are allowed for peers that cannot store more.
constexpr int min_secret_bytes = 16;
constexpr int max_secret_bytes = 256;

struct NewKeyOptions {
    std::string name;
    std::string algorithm = "hmac-sha256";
    int bytes = 0; // 0: the algorithm's hash length
    std::string format = "all";
};

struct NewKey {
    zone::Name name;
    tsig::Algorithm algorithm;
    std::string secret; // base64
};

// The key name without the trailing dot, as BIND and Knot configurations write it.
std::string config_name(const zone::Name& name)
{
    std::string text = name.to_string();
    if (text.size() > 1) {
        text.pop_back();
    }
    return text;
}

std::string dnskey_line(const NewKey& key)
{
    return fmt::format("{} DNSKEY 0 3 {} {}", key.name.to_string(),
                       tsig::dnskey_algorithm(key.algorithm), key.secret);
}

std::string bind_clause(const NewKey& key)
{
    return fmt::format("key \"{}\" {{\n\talgorithm {};\n\tsecret \"{}\";\n}};",
                       config_name(key.name), tsig::algorithm_string(key.algorithm), key.secret);
}

std::string knot_section(const NewKey& key)
{
    return fmt::format("key:\n  - id: {}\n    algorithm: {}\n    secret: {}", config_name(key.name),
                       tsig::algorithm_string(key.algorithm), key.secret);
}

void print_text(const NewKey& key, const std::string& format)
{
    if (format == "dnskey") {
        fmt::print("{}\n", dnskey_line(key));
    } else if (format == "bind") {
        fmt::print("{}\n", bind_clause(key));
    } else if (format == "knot") {
        fmt::print("{}\n", knot_section(key));
    } else {
        fmt::print("; _keys zone file (dns-primary-git convention)\n{}\n\n", dnskey_line(key));
        fmt::print("# nsupdate -k FILE, dig -k FILE and BIND named.conf\n{}\n\n", bind_clause(key));
        fmt::print("# Knot knot.conf\n{}\n", knot_section(key));
    }
}

void print_json(const NewKey& key, std::size_t bytes)
{
    fmt::print("{{\"name\":{},\"algorithm\":{},\"bytes\":{},\"secret\":{},\"dnskey\":{},"
               "\"bind\":{},\"knot\":{}}}\n",
               zone::json_quote(key.name.to_string()),
               zone::json_quote(tsig::algorithm_string(key.algorithm)), bytes,
               zone::json_quote(key.secret), zone::json_quote(dnskey_line(key)),
               zone::json_quote(bind_clause(key)), zone::json_quote(knot_section(key)));
}

int new_tsig_key(const Context& context, const NewKeyOptions& options)
{
    auto name = zone::Name::parse(options.name, zone::Name{});
    if (!name) {
        return report(
            Error{Errc::usage,
                  fmt::format("invalid key name '{}': {}", options.name, name.error().message),
                  std::nullopt});
    }
    auto algorithm = tsig::algorithm_from_string(options.algorithm);
    if (!algorithm) {
        return report(Error{Errc::usage,
                            fmt::format("key {}: {}", name->to_string(), algorithm.error().message),
                            std::nullopt});
    }

    const std::size_t bytes = options.bytes == 0 ? tsig::digest_size(*algorithm)
                                                 : static_cast<std::size_t>(options.bytes);
    std::vector<std::uint8_t> secret(bytes);
    if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
        return report(
            Error{Errc::internal, "OpenSSL RAND_bytes failed to produce a secret", std::nullopt});
    }

    const NewKey key{*name, *algorithm, zone::text::base64_encode(secret)};
    if (context.json) {
        print_json(key, bytes);
    } else {
        print_text(key, options.format);
    }
    std::fflush(stdout);
    return exit_ok;
}

} // namespace

// Defined in cli/key_dnssec.cpp.
void add_key_dnssec_commands(CLI::App& key, Context& context);

void add_key_commands(CLI::App& app, Context& context)
{
    auto* key = app.add_subcommand("key", "Manage keys that authenticate peers");
    key->require_subcommand(1);
    auto* tsig_group = key->add_subcommand("tsig", "Manage TSIG (RFC 8945) shared secrets");
    tsig_group->require_subcommand(1);

    auto options = std::make_shared<NewKeyOptions>();
    auto* create = tsig_group->add_subcommand(
        "new", "Generate a random TSIG secret and print it for the _keys zone file, nsupdate, "
               "BIND and Knot; writes no file");
    create
        ->add_option("NAME", options->name,
                     "Key name, such as ns2._transfer.example.com; the _update, _transfer or "
                     "_notify label sets what the key may do")
        ->required();
    create
        ->add_option("--algorithm", options->algorithm,
                     "hmac-sha256 (default), hmac-sha384, hmac-sha512, hmac-sha224 or hmac-sha1")
        ->type_name("ALG");
    create
        ->add_option("--bytes", options->bytes,
                     "Secret length in octets (default: the hash length, 32 for hmac-sha256)")
        ->type_name("N")
        ->check(CLI::Range(min_secret_bytes, max_secret_bytes));
    create
        ->add_option("--format", options->format,
                     "What to print: all (default), dnskey, bind (also for nsupdate -k and "
                     "dig -k) or knot; ignored with --json")
        ->check(CLI::IsMember({"all", "dnskey", "bind", "knot"}));

    create->callback([&context, options] { context.exit_code = new_tsig_key(context, *options); });

    add_key_dnssec_commands(*key, context);
}

} // namespace robur::cli
