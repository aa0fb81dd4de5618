#include "servers/dns/tsig.hpp"

#include <algorithm>
#include <array>
#include <string>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "servers/dns/wire.hpp"

namespace robur::dns::tsig {

namespace {

struct AlgorithmInfo {
    Algorithm algorithm;
    std::string_view name;
    std::size_t digest_size;
};

constexpr std::array<AlgorithmInfo, 5> algorithms{{
    {Algorithm::hmac_sha1, "hmac-sha1", 20},
    {Algorithm::hmac_sha224, "hmac-sha224", 28},
    {Algorithm::hmac_sha256, "hmac-sha256", 32},
    {Algorithm::hmac_sha384, "hmac-sha384", 48},
    {Algorithm::hmac_sha512, "hmac-sha512", 64},
}};

const AlgorithmInfo& info(Algorithm algorithm)
{
    return algorithms.at(static_cast<std::size_t>(algorithm));
}

const EVP_MD* digest(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::hmac_sha1:
        return EVP_sha1();
    case Algorithm::hmac_sha224:
        return EVP_sha224();
    case Algorithm::hmac_sha256:
        return EVP_sha256();
    case Algorithm::hmac_sha384:
        return EVP_sha384();
    case Algorithm::hmac_sha512:
        return EVP_sha512();
    }
    return EVP_sha256();
}

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

void append_u48(std::vector<std::uint8_t>& out, std::uint64_t value)
{
    for (int shift = 40; shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>(value >> shift));
    }
}

void append_bytes(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes)
{
    out.insert(out.end(), bytes.begin(), bytes.end());
}

void append_lowercase_name(std::vector<std::uint8_t>& out, const zone::Name& name)
{
    append_bytes(out, name.lowercase().wire());
}

Result<std::vector<std::uint8_t>> compute_mac(const Key& key, std::span<const std::uint8_t> data)
{
    std::vector<std::uint8_t> mac(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    // HMAC_Init_ex() reads a null key as "keep the previous key", so an empty secret gets a
    // non-null pointer rather than relying on how the one-shot HMAC() passes it on.
    const std::uint8_t empty = 0;
    const void* secret = key.secret.empty() ? &empty : key.secret.data();
    if (HMAC(digest(key.algorithm), secret, static_cast<int>(key.secret.size()), data.data(),
             data.size(), mac.data(), &length) == nullptr) {
        return make_error(Errc::internal, "HMAC computation failed in OpenSSL");
    }
    mac.resize(length);
    return mac;
}

// The TSIG variables of RFC 8945 section 4.3.3, names in canonical lowercase wire form.
struct Variables {
    const zone::Name& key_name;
    const zone::Name& algorithm;
    std::uint64_t time_signed;
    std::uint16_t fudge;
    std::uint16_t error;
    std::span<const std::uint8_t> other_data;
};

void append_variables(std::vector<std::uint8_t>& out, const Variables& variables)
{
    append_lowercase_name(out, variables.key_name);
    append_u16(out, any_class);
    append_u16(out, 0); // TTL, 32 bits
    append_u16(out, 0);
    append_lowercase_name(out, variables.algorithm);
    append_u48(out, variables.time_signed);
    append_u16(out, variables.fudge);
    append_u16(out, variables.error);
    append_u16(out, static_cast<std::uint16_t>(variables.other_data.size()));
    append_bytes(out, variables.other_data);
}

// Appends the TSIG RR and increments ARCOUNT.
Result<void> append_record(std::vector<std::uint8_t>& message, const Variables& variables,
                           std::span<const std::uint8_t> mac, std::uint16_t original_id)
{
    const std::uint16_t arcount = read_u16(message.data() + 10);
    if (arcount == 0xFFFF) {
        return make_error(Errc::invalid_argument, "message has no room for a TSIG record");
    }

    std::vector<std::uint8_t> rdata;
    append_lowercase_name(rdata, variables.algorithm);
    append_u48(rdata, variables.time_signed);
    append_u16(rdata, variables.fudge);
    append_u16(rdata, static_cast<std::uint16_t>(mac.size()));
    append_bytes(rdata, mac);
    append_u16(rdata, original_id);
    append_u16(rdata, variables.error);
    append_u16(rdata, static_cast<std::uint16_t>(variables.other_data.size()));
    append_bytes(rdata, variables.other_data);

    append_lowercase_name(message, variables.key_name);
    append_u16(message, tsig_type);
    append_u16(message, any_class);
    append_u16(message, 0);
    append_u16(message, 0);
    append_u16(message, static_cast<std::uint16_t>(rdata.size()));
    append_bytes(message, rdata);
    write_u16(message.data() + 10, static_cast<std::uint16_t>(arcount + 1));
    return {};
}

// The MAC input for a request or the first message of an answer (RFC 8945 section 4.3):
// the prior MAC when there is one, the message as it was before the TSIG RR was added (ID set
// back to Original ID, ARCOUNT one less) and the TSIG variables.
std::vector<std::uint8_t> signed_data(std::span<const std::uint8_t> message, const Record& record,
                                      std::span<const std::uint8_t> prior_mac, bool has_prior)
{
    std::vector<std::uint8_t> data;
    if (has_prior) {
        append_u16(data, static_cast<std::uint16_t>(prior_mac.size()));
        append_bytes(data, prior_mac);
    }

    const std::size_t start = data.size();
    append_bytes(data, message.first(record.offset));
    write_u16(data.data() + start, record.original_id);
    write_u16(data.data() + start + 10,
              static_cast<std::uint16_t>(read_u16(data.data() + start + 10) - 1));

    append_variables(data, Variables{record.key_name, record.algorithm, record.time_signed,
                                     record.fudge, record.error, record.other_data});
    return data;
}

Verification failed(Status status, std::optional<Record> record, std::string message,
                    const Key* key = nullptr)
{
    return Verification{status, std::move(record), key, std::move(message)};
}

// The MAC, time and truncation checks shared by requests and answers (RFC 8945 section 5.2.2
// to 5.2.4), once the key is known.
Verification check_signed(std::span<const std::uint8_t> message, Record record, const Key& key,
                          std::span<const std::uint8_t> prior_mac, bool has_prior,
                          const VerifyOptions& options)
{
    // RFC 8945 section 5.2.2.1: a MAC longer than the hash, or shorter than 10 octets or than
    // half the hash length, is a format error.
    const std::size_t full = digest_size(key.algorithm);
    const std::size_t minimum = std::max<std::size_t>(10, (full + 1) / 2);
    if (record.mac.size() > full || record.mac.size() < minimum) {
        auto text = fmt::format("MAC of {} octets is outside {}..{} for {}", record.mac.size(),
                                minimum, full, algorithm_string(key.algorithm));
        return failed(Status::formerr, std::move(record), std::move(text));
    }

    auto expected = compute_mac(key, signed_data(message, record, prior_mac, has_prior));
    if (!expected) {
        return failed(Status::badsig, std::move(record), expected.error().message);
    }
    if (CRYPTO_memcmp(expected->data(), record.mac.data(), record.mac.size()) != 0) {
        return failed(Status::badsig, std::move(record), "MAC does not match");
    }

    const std::uint64_t distance = options.now > record.time_signed
                                       ? options.now - record.time_signed
                                       : record.time_signed - options.now;
    if (distance > record.fudge) {
        auto text = fmt::format("time signed {} is {} s from now, fudge {} s", record.time_signed,
                                distance, record.fudge);
        return failed(Status::badtime, std::move(record), std::move(text), &key);
    }

    if (record.mac.size() < options.min_mac_size) {
        auto text = fmt::format("MAC of {} octets is below the local minimum of {}",
                                record.mac.size(), options.min_mac_size);
        return failed(Status::badtrunc, std::move(record), std::move(text), &key);
    }
    return Verification{Status::verified, std::move(record), &key, {}};
}

// Checks that key is the one named by record with the same algorithm (RFC 8945 section 5.2.1).
bool key_matches(const Key& key, const Record& record)
{
    auto algorithm = algorithm_from_name(record.algorithm);
    return key.name == record.key_name && algorithm && *algorithm == key.algorithm;
}

// Appends the unsigned TSIG record of a BADKEY, BADSIG or BADTRUNC answer: RFC 8945 section
// 5.3.2 has errors about the key or the MAC answered without a MAC.
Result<std::vector<std::uint8_t>> append_unsigned_error(std::vector<std::uint8_t>& answer,
                                                        const Record& request, Status status,
                                                        std::uint64_t now)
{
    const TsigError error = status == Status::badkey   ? TsigError::badkey
                            : status == Status::badsig ? TsigError::badsig
                                                       : TsigError::badtrunc;
    const Variables variables{request.key_name,
                              request.algorithm,
                              now,
                              request.fudge,
                              static_cast<std::uint16_t>(error),
                              {}};
    auto appended = append_record(answer, variables, {}, read_u16(answer.data()));
    if (!appended) {
        return tl::unexpected(appended.error());
    }
    return std::vector<std::uint8_t>{};
}

} // namespace

Result<Algorithm> algorithm_from_name(const zone::Name& name)
{
    const std::string text = name.to_string();
    return algorithm_from_string(std::string_view(text).substr(0, text.size() - 1));
}

Result<Algorithm> algorithm_from_string(std::string_view text)
{
    std::string lower(text);
    std::ranges::transform(lower, lower.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (lower.ends_with('.')) {
        lower.pop_back();
    }

    for (const auto& entry : algorithms) {
        if (entry.name == lower) {
            return entry.algorithm;
        }
    }
    if (lower == "hmac-md5" || lower == "hmac-md5.sig-alg.reg.int") {
        return make_error(Errc::unsupported,
                          "TSIG algorithm hmac-md5 is not supported: use hmac-sha256");
    }
    return make_error(Errc::unsupported, fmt::format("unknown TSIG algorithm '{}'", text));
}

std::string_view algorithm_string(Algorithm algorithm)
{
    return info(algorithm).name;
}

zone::Name algorithm_name(Algorithm algorithm)
{
    return zone::Name::parse(fmt::format("{}.", algorithm_string(algorithm))).value();
}

std::size_t digest_size(Algorithm algorithm)
{
    return info(algorithm).digest_size;
}

std::string_view to_string(Status status)
{
    switch (status) {
    case Status::unsigned_message:
        return "unsigned";
    case Status::verified:
        return "verified";
    case Status::formerr:
        return "FORMERR";
    case Status::badkey:
        return "BADKEY";
    case Status::badsig:
        return "BADSIG";
    case Status::badtime:
        return "BADTIME";
    case Status::badtrunc:
        return "BADTRUNC";
    }
    return "unknown";
}

Verification verify_request(std::span<const std::uint8_t> message, const KeyLookup& keys,
                            const VerifyOptions& options)
{
    auto found = find_record(message);
    if (!found) {
        return failed(Status::formerr, std::nullopt, found.error().message);
    }
    if (!found->has_value()) {
        return Verification{};
    }

    Record record = std::move(**found);
    const Key* key = keys(record.key_name);
    if (key == nullptr) {
        auto text = fmt::format("unknown TSIG key {}", record.key_name.to_string());
        return failed(Status::badkey, std::move(record), std::move(text));
    }
    if (!key_matches(*key, record)) {
        auto text = fmt::format("TSIG key {} uses {}, not {}", key->name.to_string(),
                                algorithm_string(key->algorithm), record.algorithm.to_string());
        return failed(Status::badkey, std::move(record), std::move(text));
    }
    return check_signed(message, std::move(record), *key, {}, false, options);
}

Verification verify_answer(std::span<const std::uint8_t> message, const Key& key,
                           std::span<const std::uint8_t> request_mac, const VerifyOptions& options)
{
    auto found = find_record(message);
    if (!found) {
        return failed(Status::formerr, std::nullopt, found.error().message);
    }
    if (!found->has_value()) {
        return Verification{};
    }

    Record record = std::move(**found);
    if (!key_matches(key, record)) {
        auto text = fmt::format("answer is signed with key {}, not {}", record.key_name.to_string(),
                                key.name.to_string());
        return failed(Status::badkey, std::move(record), std::move(text));
    }

    // RFC 8945 section 5.3.2: BADKEY and BADSIG answers carry no MAC.
    const auto error = static_cast<TsigError>(record.error);
    if (error == TsigError::badkey || error == TsigError::badsig || error == TsigError::badtrunc) {
        const Status status = error == TsigError::badkey   ? Status::badkey
                              : error == TsigError::badsig ? Status::badsig
                                                           : Status::badtrunc;
        return failed(status, std::move(record), "the server rejected our TSIG signature");
    }

    Verification result = check_signed(message, std::move(record), key, request_mac, true, options);
    if (result.status == Status::verified && error == TsigError::badtime) {
        result.status = Status::badtime;
        result.message = "the server reported our clock outside its fudge";
    }
    return result;
}

Result<std::vector<std::uint8_t>> sign_request(std::vector<std::uint8_t>& message, const Key& key,
                                               const SignOptions& options)
{
    if (message.size() < header_size) {
        return make_error(Errc::invalid_argument, "message is shorter than a DNS header");
    }

    const zone::Name algorithm = algorithm_name(key.algorithm);
    const Variables variables{key.name,
                              algorithm,
                              options.time_signed,
                              options.fudge,
                              static_cast<std::uint16_t>(options.error),
                              options.other_data};
    std::vector<std::uint8_t> data(message);
    append_variables(data, variables);

    auto mac = compute_mac(key, data);
    if (!mac) {
        return tl::unexpected(mac.error());
    }
    auto appended = append_record(message, variables, *mac, read_u16(message.data()));
    if (!appended) {
        return tl::unexpected(appended.error());
    }
    return mac;
}

Result<std::vector<std::uint8_t>> sign_answer(std::vector<std::uint8_t>& answer,
                                              const Verification& request, std::uint64_t now)
{
    if (answer.size() < header_size) {
        return make_error(Errc::invalid_argument, "answer is shorter than a DNS header");
    }
    if (!request.record || request.status == Status::unsigned_message ||
        request.status == Status::formerr) {
        return make_error(Errc::invalid_argument, fmt::format("a {} request gets no TSIG record",
                                                              to_string(request.status)));
    }

    const Record& request_tsig = *request.record;
    const std::uint16_t id = read_u16(answer.data());
    if (request.status != Status::verified) {
        // RFC 8945 section 5.2: every TSIG error answer has RCODE NOTAUTH.
        const auto flags =
            static_cast<std::uint16_t>((read_u16(answer.data() + 2) & 0xFFF0) | rcode_notauth);
        write_u16(answer.data() + 2, flags);
    }

    if (request.status == Status::badkey || request.status == Status::badsig ||
        request.status == Status::badtrunc) {
        return append_unsigned_error(answer, request_tsig, request.status, now);
    }

    // NOTE: the answer MAC is always full length, even when the request MAC was truncated.
    // Verified or BADTIME: signed with the request MAC. RFC 8945 section 5.2.3: a BADTIME
    // answer repeats the request's time signed and carries the server time in Other Data.
    const Key& key = *request.key;
    std::vector<std::uint8_t> other;
    std::uint64_t time_signed = now;
    TsigError error = TsigError::noerror;
    if (request.status == Status::badtime) {
        append_u48(other, now);
        time_signed = request_tsig.time_signed;
        error = TsigError::badtime;
    }

    const zone::Name algorithm = algorithm_name(key.algorithm);
    const Variables variables{
        key.name, algorithm, time_signed, request_tsig.fudge, static_cast<std::uint16_t>(error),
        other};
    std::vector<std::uint8_t> data;
    append_u16(data, static_cast<std::uint16_t>(request_tsig.mac.size()));
    append_bytes(data, request_tsig.mac);
    append_bytes(data, answer);
    append_variables(data, variables);

    auto mac = compute_mac(key, data);
    if (!mac) {
        return tl::unexpected(mac.error());
    }
    auto appended = append_record(answer, variables, *mac, id);
    if (!appended) {
        return tl::unexpected(appended.error());
    }
    return mac;
}

Result<std::vector<std::uint8_t>> sign_subsequent(std::vector<std::uint8_t>& message,
                                                  const Key& key,
                                                  std::span<const std::uint8_t> prior_mac,
                                                  const SignOptions& options)
{
    if (message.size() < header_size) {
        return make_error(Errc::invalid_argument, "message is shorter than a DNS header");
    }

    std::vector<std::uint8_t> data;
    append_u16(data, static_cast<std::uint16_t>(prior_mac.size()));
    append_bytes(data, prior_mac);
    append_bytes(data, message);
    append_u48(data, options.time_signed);
    append_u16(data, options.fudge);

    auto mac = compute_mac(key, data);
    if (!mac) {
        return tl::unexpected(mac.error());
    }
    const zone::Name algorithm = algorithm_name(key.algorithm);
    const Variables variables{key.name,
                              algorithm,
                              options.time_signed,
                              options.fudge,
                              static_cast<std::uint16_t>(options.error),
                              options.other_data};
    auto appended = append_record(message, variables, *mac, read_u16(message.data()));
    if (!appended) {
        return tl::unexpected(appended.error());
    }
    return mac;
}

} // namespace robur::dns::tsig
