#include "formats/dnssec/key_file.hpp"

#include <array>
#include <ctime>
#include <map>
#include <vector>

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "formats/dnssec/openssl_util.hpp"
#include "formats/zone/parser.hpp"
#include "formats/zone/text.hpp"

namespace robur::dnssec {

namespace {

using detail::openssl_error;

// BIND's names of the RSA fields (after the Algorithm line) and OpenSSL's parameter names,
// in the order BIND writes them.
struct RsaField {
    std::string_view tag;
    const char* param;
};
constexpr std::array<RsaField, 8> rsa_fields{{
    {"Modulus", OSSL_PKEY_PARAM_RSA_N},
    {"PublicExponent", OSSL_PKEY_PARAM_RSA_E},
    {"PrivateExponent", OSSL_PKEY_PARAM_RSA_D},
    {"Prime1", OSSL_PKEY_PARAM_RSA_FACTOR1},
    {"Prime2", OSSL_PKEY_PARAM_RSA_FACTOR2},
    {"Exponent1", OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {"Exponent2", OSSL_PKEY_PARAM_RSA_EXPONENT2},
    {"Coefficient", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
}};

constexpr std::size_t raw_private_key_size = 32; // P-256 scalar and Ed25519 seed

struct Field {
    std::string value;
    std::uint32_t line = 0;
};

// The tags of a .private file with their values and lines.
using PrivateFields = std::map<std::string, Field, std::less<>>;

tl::unexpected<Error> file_error(Errc code, std::string_view path, std::uint32_t line,
                                 std::string message)
{
    return make_error(code, std::move(message), SourceLocation{std::string(path), line, 0});
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

// Splits "Tag: value" lines; blank lines are skipped.
Result<PrivateFields> split_private_fields(std::string_view text, std::string_view path)
{
    PrivateFields fields;
    std::uint32_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const auto end = text.find('\n');
        const std::string_view line = trim(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (line.empty()) {
            continue;
        }

        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return file_error(Errc::parse_error, path, line_number,
                              fmt::format("expected \"Tag: value\", found \"{}\"", line));
        }
        const std::string tag(line.substr(0, colon));
        const auto [at, inserted] =
            fields.try_emplace(tag, Field{std::string(trim(line.substr(colon + 1))), line_number});
        if (!inserted) {
            return file_error(Errc::parse_error, path, line_number,
                              fmt::format("{} repeats line {}", tag, at->second.line));
        }
    }
    return fields;
}

Result<std::vector<std::uint8_t>> decode_field(const PrivateFields& fields, std::string_view tag,
                                               std::string_view path)
{
    const auto found = fields.find(tag);
    if (found == fields.end()) {
        return file_error(Errc::parse_error, path, 0, fmt::format("{} is missing", tag));
    }
    auto bytes = zone::text::base64_decode(found->second.value);
    if (!bytes || bytes->empty()) {
        return file_error(Errc::parse_error, path, found->second.line,
                          fmt::format("{} is not valid base64", tag));
    }
    return *bytes;
}

// Checks the format version and the algorithm line against the DNSKEY's algorithm.
Result<void> check_private_header(const PrivateFields& fields, std::string_view path,
                                  Algorithm algorithm)
{
    const auto format = fields.find("Private-key-format");
    if (format == fields.end()) {
        return file_error(Errc::parse_error, path, 1, "Private-key-format is missing");
    }
    if (!format->second.value.starts_with("v1.")) {
        return file_error(
            Errc::parse_error, path, format->second.line,
            fmt::format("unsupported Private-key-format {}, expected v1.x", format->second.value));
    }

    const auto line = fields.find("Algorithm");
    if (line == fields.end()) {
        return file_error(Errc::parse_error, path, 0, "Algorithm is missing");
    }
    const std::string_view value = line->second.value;
    const auto number = zone::text::parse_unsigned(value.substr(0, value.find(' ')), 255);
    if (!number) {
        return file_error(Errc::parse_error, path, line->second.line,
                          fmt::format("invalid Algorithm \"{}\"", value));
    }
    if (*number != static_cast<std::uint8_t>(algorithm)) {
        return file_error(Errc::parse_error, path, line->second.line,
                          fmt::format("Algorithm {} differs from the DNSKEY's algorithm {}",
                                      *number, static_cast<unsigned>(algorithm)));
    }
    return {};
}

Result<std::shared_ptr<EVP_PKEY>> rsa_private_key(const PrivateFields& fields,
                                                  std::string_view path)
{
    std::vector<detail::Bignum> numbers;
    const detail::ParamBuild builder(OSSL_PARAM_BLD_new());
    if (!builder) {
        return openssl_error("building an RSA private key");
    }
    for (const auto& field : rsa_fields) {
        auto bytes = decode_field(fields, field.tag, path);
        if (!bytes) {
            return tl::unexpected(bytes.error());
        }
        numbers.push_back(detail::bignum_from_bytes(*bytes));
        if (!numbers.back() ||
            OSSL_PARAM_BLD_push_BN(builder.get(), field.param, numbers.back().get()) != 1) {
            return openssl_error("building an RSA private key");
        }
    }
    return detail::key_from_params("RSA", builder.get(), EVP_PKEY_KEYPAIR);
}

// OpenSSL 3.0 does not derive the public point from an imported P-256 scalar, so the
// DNSKEY's point is imported with it. check_key_matches then proves that they belong together.
Result<std::shared_ptr<EVP_PKEY>> ecdsa_private_key(std::span<const std::uint8_t> scalar,
                                                    std::span<const std::uint8_t> public_key)
{
    const detail::Bignum number = detail::bignum_from_bytes(scalar);
    std::vector<std::uint8_t> point{0x04};
    point.insert(point.end(), public_key.begin(), public_key.end());
    const detail::ParamBuild builder(OSSL_PARAM_BLD_new());
    if (!number || !builder ||
        OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) !=
            1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, number.get()) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
        return openssl_error("building an ECDSA private key");
    }
    return detail::key_from_params("EC", builder.get(), EVP_PKEY_KEYPAIR);
}

Result<std::shared_ptr<EVP_PKEY>> private_key_from_fields(const PrivateFields& fields,
                                                          std::string_view path,
                                                          Algorithm algorithm,
                                                          std::span<const std::uint8_t> public_key)
{
    if (algorithm == Algorithm::rsasha256) {
        return rsa_private_key(fields, path);
    }

    auto bytes = decode_field(fields, "PrivateKey", path);
    if (!bytes) {
        return tl::unexpected(bytes.error());
    }
    if (bytes->size() != raw_private_key_size) {
        return file_error(Errc::parse_error, path, fields.find("PrivateKey")->second.line,
                          fmt::format("PrivateKey has {} octets, expected 32", bytes->size()));
    }
    if (algorithm == Algorithm::ecdsap256sha256) {
        return ecdsa_private_key(*bytes, public_key);
    }
    EVP_PKEY* key =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes->data(), bytes->size());
    if (key == nullptr) {
        return openssl_error("importing an Ed25519 private key");
    }
    return detail::share_key(key);
}

Result<KeyTiming> timing_from_fields(const PrivateFields& fields, std::string_view path)
{
    KeyTiming timing;
    const std::array<std::pair<std::string_view, std::optional<std::int64_t>*>, 6> slots{{
        {"Created", &timing.created},
        {"Publish", &timing.publish},
        {"Activate", &timing.activate},
        {"Inactive", &timing.inactive},
        {"Revoke", &timing.revoke},
        {"Delete", &timing.remove},
    }};
    for (const auto& [tag, slot] : slots) {
        const auto found = fields.find(tag);
        if (found == fields.end()) {
            continue;
        }
        *slot = parse_key_time(found->second.value);
        if (!*slot) {
            return file_error(Errc::parse_error, path, found->second.line,
                              fmt::format("invalid {} time \"{}\", expected YYYYMMDDHHMMSS", tag,
                                          found->second.value));
        }
    }
    return timing;
}

std::string base64_of(const detail::Bignum& number)
{
    return zone::text::base64_encode(detail::bignum_bytes(number.get()));
}

Result<std::string> private_key_lines(const KeyPair& key)
{
    std::string lines;
    if (key.algorithm == Algorithm::rsasha256) {
        for (const auto& field : rsa_fields) {
            const detail::Bignum number = detail::get_bignum(key.key.get(), field.param);
            if (!number) {
                return make_error(Errc::internal,
                                  fmt::format("the RSA key lacks its {} field", field.tag));
            }
            lines += fmt::format("{}: {}\n", field.tag, base64_of(number));
        }
        return lines;
    }

    std::vector<std::uint8_t> raw(raw_private_key_size);
    if (key.algorithm == Algorithm::ecdsap256sha256) {
        const detail::Bignum scalar = detail::get_bignum(key.key.get(), OSSL_PKEY_PARAM_PRIV_KEY);
        if (!scalar) {
            return make_error(Errc::internal, "the ECDSA key lacks its private scalar");
        }
        raw = detail::bignum_bytes(scalar.get(), raw_private_key_size);
    } else {
        std::size_t length = raw.size();
        if (EVP_PKEY_get_raw_private_key(key.key.get(), raw.data(), &length) != 1 ||
            length != raw.size()) {
            return openssl_error("exporting the Ed25519 private key");
        }
    }
    lines += fmt::format("PrivateKey: {}\n", zone::text::base64_encode(raw));
    OPENSSL_cleanse(raw.data(), raw.size());
    return lines;
}

std::string readable_time(std::int64_t seconds)
{
    const auto time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    gmtime_r(&time, &parts);
    std::array<char, 64> text{};
    const std::size_t length =
        std::strftime(text.data(), text.size(), "%a %b %e %H:%M:%S %Y", &parts);
    return std::string(text.data(), length);
}

// The timing fields with BIND's tags, in the order BIND writes them.
std::array<std::pair<std::string_view, std::optional<std::int64_t>>, 6>
timing_entries(const KeyTiming& timing)
{
    return {{
        {"Created", timing.created},
        {"Publish", timing.publish},
        {"Activate", timing.activate},
        {"Revoke", timing.revoke},
        {"Inactive", timing.inactive},
        {"Delete", timing.remove},
    }};
}

} // namespace

std::string_view bind_algorithm_name(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::rsasha256:
        return "RSASHA256";
    case Algorithm::ecdsap256sha256:
        return "ECDSAP256SHA256";
    case Algorithm::ed25519:
        return "ED25519";
    }
    return "UNKNOWN";
}

std::string key_folder(const zone::Name& zone)
{
    if (zone.is_root()) {
        return "keys/dnssec/root";
    }
    std::string name = zone.lowercase().to_string();
    name.pop_back();
    return fmt::format("keys/dnssec/{}", name);
}

std::string key_file_stem(const KeyPair& key)
{
    return fmt::format("K{}+{:03}+{:05}", key.owner.lowercase().to_string(),
                       static_cast<unsigned>(key.algorithm), key.key_tag());
}

std::string format_public_key_file(const KeyFiles& files)
{
    const KeyPair& key = files.key;
    const bool sep = (key.flags & dnskey_flags::secure_entry_point) != 0;
    std::string text = fmt::format("; This is a {}-signing key, keyid {}, for {}\n",
                                   sep ? "key" : "zone", key.key_tag(), key.owner.to_string());
    const auto times = timing_entries(files.timing);
    for (const auto& [tag, time] : times) {
        if (time) {
            text +=
                fmt::format("; {}: {} ({})\n", tag, format_key_time(*time), readable_time(*time));
        }
    }
    text += fmt::format("{} IN DNSKEY {} {} {} {}\n", key.owner.to_string(), key.flags,
                        dnskey_protocol, static_cast<unsigned>(key.algorithm),
                        zone::text::base64_encode(key.public_key()));
    return text;
}

Result<std::string> format_private_key_file(const KeyFiles& files)
{
    const KeyPair& key = files.key;
    auto key_lines = private_key_lines(key);
    if (!key_lines) {
        return tl::unexpected(key_lines.error());
    }

    std::string text = "Private-key-format: v1.3\n";
    text += fmt::format("Algorithm: {} ({})\n", static_cast<unsigned>(key.algorithm),
                        bind_algorithm_name(key.algorithm));
    text += *key_lines;
    const auto times = timing_entries(files.timing);
    for (const auto& [tag, time] : times) {
        if (time) {
            text += fmt::format("{}: {}\n", tag, format_key_time(*time));
        }
    }
    OPENSSL_cleanse(key_lines->data(), key_lines->size());
    return text;
}

Result<zone::Record> parse_public_key_file(std::string_view text, std::string_view path)
{
    zone::ParseOptions options;
    options.default_ttl = 0; // BIND writes the DNSKEY without a TTL unless asked for one
    auto parsed = zone::parse_zone(text, path, options);
    for (const auto& diagnostic : parsed.diagnostics) {
        if (diagnostic.severity == Severity::error) {
            return make_error(Errc::parse_error, diagnostic.message, diagnostic.where);
        }
    }

    const auto& records = parsed.zone.records;
    if (records.size() != 1 || records.front().type != zone::rrtype::dnskey) {
        const std::uint32_t line = records.size() > 1 ? records[1].where.line : 0;
        return file_error(
            Errc::parse_error, path, line,
            fmt::format("expected exactly one DNSKEY record, found {} records", records.size()));
    }
    const zone::Record& record = records.front();
    if (record.rdata.size() < 5 || record.rdata[2] != dnskey_protocol) {
        return file_error(Errc::parse_error, path, record.where.line,
                          "DNSKEY protocol must be 3 (RFC 4034 section 2.1.2)");
    }
    return record;
}

Result<KeyFiles> parse_key_files(std::string_view public_text, std::string_view public_path,
                                 std::string_view private_text, std::string_view private_path)
{
    auto dnskey = parse_public_key_file(public_text, public_path);
    if (!dnskey) {
        return tl::unexpected(dnskey.error());
    }
    const auto& rdata = dnskey->rdata;
    const auto algorithm = algorithm_from_number(rdata[3]);
    if (!algorithm) {
        return file_error(Errc::unsupported, public_path, dnskey->where.line,
                          fmt::format("DNSKEY algorithm {} is not one robur signs with "
                                      "(8, 13 or 15)",
                                      static_cast<unsigned>(rdata[3])));
    }

    auto fields = split_private_fields(private_text, private_path);
    if (!fields) {
        return tl::unexpected(fields.error());
    }
    if (auto header = check_private_header(*fields, private_path, *algorithm); !header) {
        return tl::unexpected(header.error());
    }
    auto timing = timing_from_fields(*fields, private_path);
    if (!timing) {
        return tl::unexpected(timing.error());
    }
    const std::span<const std::uint8_t> public_key = std::span(rdata).subspan(4);
    auto pkey = private_key_from_fields(*fields, private_path, *algorithm, public_key);
    if (!pkey) {
        return tl::unexpected(pkey.error());
    }

    const auto flags = static_cast<std::uint16_t>(rdata[0] << 8 | rdata[1]);
    KeyFiles files{KeyPair{dnskey->owner, flags, *algorithm, *pkey}, *timing};
    const auto public_from_private = files.key.public_key();
    const bool same_public = std::equal(public_from_private.begin(), public_from_private.end(),
                                        public_key.begin(), public_key.end());
    if (!same_public || !check_key_matches(files.key, public_key)) {
        return make_error(
            Errc::invalid_argument,
            fmt::format("the private key does not match the DNSKEY in {}", public_path),
            SourceLocation{std::string(private_path), 0, 0});
    }
    return files;
}

std::optional<std::int64_t> parse_key_time(std::string_view text)
{
    if (text.size() != 14) {
        return std::nullopt;
    }
    const auto number = [&](std::size_t offset, std::size_t length) {
        return zone::text::parse_unsigned(text.substr(offset, length), 9999);
    };
    const auto year = number(0, 4);
    const auto month = number(4, 2);
    const auto day = number(6, 2);
    const auto hour = number(8, 2);
    const auto minute = number(10, 2);
    const auto second = number(12, 2);
    if (!year || !month || !day || !hour || !minute || !second || *year < 1970 || *month < 1 ||
        *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }

    std::tm parts{};
    parts.tm_year = static_cast<int>(*year) - 1900;
    parts.tm_mon = static_cast<int>(*month) - 1;
    parts.tm_mday = static_cast<int>(*day);
    parts.tm_hour = static_cast<int>(*hour);
    parts.tm_min = static_cast<int>(*minute);
    parts.tm_sec = static_cast<int>(*second);
    const std::time_t seconds = timegm(&parts);
    // timegm normalises 31 February into March; a changed day means the date does not exist.
    if (parts.tm_mday != static_cast<int>(*day)) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(seconds);
}

std::string format_key_time(std::int64_t seconds)
{
    const auto time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    gmtime_r(&time, &parts);
    std::array<char, 32> text{};
    const std::size_t length = std::strftime(text.data(), text.size(), "%Y%m%d%H%M%S", &parts);
    return std::string(text.data(), length);
}

} // namespace robur::dnssec
