#include "formats/dnssec/ds.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "formats/dnssec/key.hpp"
#include "formats/dnssec/openssl_util.hpp"
#include "formats/zone/text.hpp"

namespace robur::dnssec {

std::string_view digest_type_name(DigestType type)
{
    return type == DigestType::sha384 ? "sha384" : "sha256";
}

std::optional<DigestType> digest_type_from_string(std::string_view text)
{
    if (zone::text::equals_ignoring_case(text, "sha256") || text == "2") {
        return DigestType::sha256;
    }
    if (zone::text::equals_ignoring_case(text, "sha384") || text == "4") {
        return DigestType::sha384;
    }
    return std::nullopt;
}

Result<std::vector<std::uint8_t>>
ds_rdata(const zone::Name& owner, std::span<const std::uint8_t> dnskey_rdata, DigestType type)
{
    if (dnskey_rdata.size() < 4) {
        return make_error(Errc::invalid_argument,
                          fmt::format("DNSKEY RDATA of {} octets is shorter than its header",
                                      dnskey_rdata.size()));
    }

    // RFC 4034 section 6.2: the canonical form of the owner name is lower case.
    const zone::Name canonical = owner.lowercase();
    const EVP_MD* digest = type == DigestType::sha384 ? EVP_sha384() : EVP_sha256();
    std::vector<std::uint8_t> hash(static_cast<std::size_t>(EVP_MD_get_size(digest)));
    unsigned int length = 0;
    const detail::DigestContext context(EVP_MD_CTX_new());
    if (!context || EVP_DigestInit_ex(context.get(), digest, nullptr) != 1 ||
        EVP_DigestUpdate(context.get(), canonical.wire().data(), canonical.wire().size()) != 1 ||
        EVP_DigestUpdate(context.get(), dnskey_rdata.data(), dnskey_rdata.size()) != 1 ||
        EVP_DigestFinal_ex(context.get(), hash.data(), &length) != 1) {
        return detail::openssl_error("computing the DS digest");
    }

    const std::uint16_t tag = key_tag(dnskey_rdata);
    std::vector<std::uint8_t> rdata{static_cast<std::uint8_t>(tag >> 8),
                                    static_cast<std::uint8_t>(tag & 0xff), dnskey_rdata[3],
                                    static_cast<std::uint8_t>(type)};
    rdata.insert(rdata.end(), hash.begin(), hash.begin() + length);
    return rdata;
}

Result<zone::Record> ds_record(const zone::Record& dnskey, DigestType type)
{
    auto rdata = ds_rdata(dnskey.owner, dnskey.rdata, type);
    if (!rdata) {
        return tl::unexpected(rdata.error());
    }
    zone::Record record;
    record.owner = dnskey.owner;
    record.type = zone::rrtype::ds;
    record.rclass = dnskey.rclass;
    record.ttl = dnskey.ttl;
    record.rdata = std::move(*rdata);
    return record;
}

std::string format_ds_line(const zone::Record& ds)
{
    return fmt::format("{} {} DS {}", ds.owner.to_string(), zone::class_to_string(ds.rclass),
                       zone::rdata_to_string(zone::rrtype::ds, ds.rdata));
}

} // namespace robur::dnssec
