// Answers to DNSSEC queries (DO set) from zones signed in the test with sign_zone: RRSIGs with
// every RRset, and the NSEC or NSEC3 proofs of negative, wildcard and referral answers.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dns_test_support.hpp"
#include "formats/dnssec/key.hpp"
#include "formats/dnssec/nsec3.hpp"
#include "formats/dnssec/signer.hpp"
#include "servers/dns/nsec3_hasher.hpp"
#include "servers/dns/responder.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {
namespace {

using test::make_query;
namespace rrtype = zone::rrtype;

constexpr std::uint16_t nxdomain = 3;

// One record of a response with its raw rdata. Names inside RRSIG, NSEC and NSEC3 rdata are
// never compressed (RFC 4034 section 6.2), so the tests read them from the rdata directly.
struct Rr {
    std::string owner; // lower-cased
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    std::vector<std::uint8_t> rdata;

    [[nodiscard]] std::uint16_t covered() const { return read_u16(rdata.data()); }
    [[nodiscard]] std::uint8_t labels() const { return rdata[3]; }
};

struct Response {
    std::vector<std::uint8_t> bytes;
    Header header;
    std::vector<Rr> answer, authority, additional;

    [[nodiscard]] std::uint16_t rcode() const { return header.flags & 0xF; }
    [[nodiscard]] bool has(std::uint16_t bit) const { return (header.flags & bit) != 0; }
};

std::string lower(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

Response parse(std::vector<std::uint8_t> bytes)
{
    Response response;
    response.bytes = std::move(bytes);
    const std::span<const std::uint8_t> message = response.bytes;
    response.header = *read_header(message);
    std::size_t offset = header_size;
    for (std::uint16_t i = 0; i < response.header.qdcount; ++i) {
        test::read_name_text(message, offset);
        offset += 4;
    }
    auto read_section = [&](std::uint16_t count, std::vector<Rr>& out) {
        for (std::uint16_t i = 0; i < count; ++i) {
            Rr rr;
            rr.owner = lower(test::read_name_text(message, offset));
            rr.type = read_u16(message.data() + offset);
            rr.ttl = read_u32(message.data() + offset + 4);
            const std::uint16_t length = read_u16(message.data() + offset + 8);
            offset += 10;
            rr.rdata.assign(message.begin() + static_cast<long>(offset),
                            message.begin() + static_cast<long>(offset + length));
            offset += length;
            if (rr.type != rrtype::opt) {
                out.push_back(std::move(rr));
            }
        }
    };
    read_section(response.header.ancount, response.answer);
    read_section(response.header.nscount, response.authority);
    read_section(response.header.arcount, response.additional);
    EXPECT_EQ(offset, message.size());
    return response;
}

std::vector<std::uint8_t> respond(const ZoneSet& zones, const std::vector<std::uint8_t>& query,
                                  Transport transport = Transport::udp)
{
    static Responder responder;
    std::vector<std::uint8_t> out(65535);
    const std::size_t size = responder.respond(zones, query, transport, out);
    out.resize(size);
    return out;
}

Response ask_dnssec(const ZoneSet& zones, std::string_view qname, std::uint16_t qtype,
                    std::uint16_t payload = 4096, Transport transport = Transport::udp)
{
    test::QueryOptions options;
    options.edns = true;
    options.dnssec_ok = true;
    options.payload = payload;
    return parse(respond(zones, make_query(qname, qtype, options), transport));
}

// "owner/TYPE" for each record, RRSIG as "owner/RRSIG(TYPE)", in section order.
std::vector<std::string> summary(const std::vector<Rr>& section)
{
    std::vector<std::string> out;
    for (const auto& rr : section) {
        const std::string type = zone::type_to_string(rr.type);
        out.push_back(rr.type == rrtype::rrsig ? fmt::format("{}/RRSIG({})", rr.owner,
                                                             zone::type_to_string(rr.covered()))
                                               : fmt::format("{}/{}", rr.owner, type));
    }
    return out;
}

std::vector<std::string> sorted(std::vector<std::string> items)
{
    std::sort(items.begin(), items.end());
    return items;
}

zone::Name name_of(std::string_view text)
{
    return test::name(text);
}

// True when left sorts before right in canonical order.
bool before(const zone::Name& left, const zone::Name& right)
{
    return compare_canonical(name_of(lower(left.to_string())).wire(),
                             name_of(lower(right.to_string())).wire()) < 0;
}

zone::Name nsec_next(const Rr& nsec)
{
    std::size_t length = 0;
    while (nsec.rdata[length] != 0) {
        length += nsec.rdata[length] + 1u;
    }
    return *zone::Name::from_wire(std::span(nsec.rdata).first(length + 1));
}

// True when the NSEC proves that name does not exist: owner < name < next, or past the last
// owner when next is the apex.
bool nsec_covers(const Rr& nsec, std::string_view name, std::string_view apex)
{
    const auto owner = name_of(nsec.owner);
    const auto target = name_of(name);
    const auto next = nsec_next(nsec);
    if (!before(owner, target)) {
        return false;
    }
    return before(target, next) || lower(next.to_string()) == apex;
}

std::vector<const Rr*> of_type(const std::vector<Rr>& section, std::uint16_t type)
{
    std::vector<const Rr*> out;
    for (const auto& rr : section) {
        if (rr.type == type) {
            out.push_back(&rr);
        }
    }
    return out;
}

// The NSEC3 fields the tests check.
struct Nsec3View {
    dnssec::Nsec3Hash owner_hash{};
    std::vector<std::uint8_t> next_hash;
    bool opt_out = false;
};

Nsec3View read_nsec3(const Rr& rr)
{
    Nsec3View view;
    const auto label = std::string_view(rr.owner).substr(0, rr.owner.find('.'));
    const auto hash = dnssec::base32hex_decode(label);
    std::copy(hash->begin(), hash->end(), view.owner_hash.begin());
    const auto parsed = dnssec::parse_nsec3(rr.rdata);
    view.next_hash = parsed->next_hash;
    view.opt_out = (parsed->flags & dnssec::nsec3_flag_opt_out) != 0;
    return view;
}

dnssec::Nsec3Hash hash_of(std::string_view name, const dnssec::Nsec3Options& options)
{
    return dnssec::nsec3_hash(name_of(name), options.salt, options.iterations);
}

bool nsec3_matches(const Rr& rr, std::string_view name, const dnssec::Nsec3Options& options)
{
    return read_nsec3(rr).owner_hash == hash_of(name, options);
}

bool nsec3_covers(const Rr& rr, std::string_view name, const dnssec::Nsec3Options& options)
{
    const auto view = read_nsec3(rr);
    const auto hash = hash_of(name, options);
    const bool after_owner = view.owner_hash < hash;
    const bool before_next = std::lexicographical_compare(
        hash.begin(), hash.end(), view.next_hash.begin(), view.next_hash.end());
    const bool wraps = !std::lexicographical_compare(view.owner_hash.begin(), view.owner_hash.end(),
                                                     view.next_hash.begin(), view.next_hash.end());
    return wraps ? (after_owner || before_next) : (after_owner && before_next);
}

bool any_nsec3(const std::vector<Rr>& section, auto predicate)
{
    const auto records = of_type(section, rrtype::nsec3);
    return std::any_of(records.begin(), records.end(),
                       [&](const Rr* rr) { return predicate(*rr); });
}

// Every NSEC, NSEC3, SOA and DS in the section has an RRSIG with the same owner.
void expect_signed(const std::vector<Rr>& section)
{
    for (const auto& rr : section) {
        if (rr.type == rrtype::rrsig || rr.type == rrtype::ns) {
            continue;
        }
        const bool has_rrsig = std::any_of(section.begin(), section.end(), [&](const Rr& other) {
            return other.type == rrtype::rrsig && other.owner == rr.owner &&
                   other.covered() == rr.type;
        });
        EXPECT_TRUE(has_rrsig) << rr.owner << "/" << zone::type_to_string(rr.type);
    }
}

// The zone every test signs: a delegation with DS and one without, wildcards, an empty
// non-terminal, a CNAME chain and a DNAME.
zone::Zone example_zone()
{
    test::ZoneBuilder builder("example.");
    builder.name_record("@", rrtype::ns, "ns1")
        .a("ns1", "192.0.2.1")
        .mx("@", 10, "mail")
        .a("mail", "192.0.2.25")
        .a("www", "192.0.2.10")
        .name_record("alias", rrtype::cname, "www")
        .name_record("sub", rrtype::ns, "ns.sub")
        .add("sub", rrtype::ds, {0x30, 0x39, 13, 2, 0xAA, 0xBB, 0xCC, 0xDD})
        .a("ns.sub", "192.0.2.53")
        .name_record("nods", rrtype::ns, "ns1")
        .a("*.wild", "192.0.2.99")
        .a("host.ent.wild", "192.0.2.98")
        .name_record("*.cwild", rrtype::cname, "www")
        .name_record("dn2", rrtype::dname, "target")
        .a("host.target", "192.0.2.77");
    return builder.zone();
}

std::shared_ptr<const zone::Zone>
sign(const zone::Zone& unsigned_zone, std::optional<dnssec::Nsec3Options> nsec3,
     dnssec::Algorithm algorithm = dnssec::Algorithm::ecdsap256sha256)
{
    auto key = dnssec::generate_key(unsigned_zone.origin, algorithm, dnssec::dnskey_flags::ksk);
    EXPECT_TRUE(key.has_value());
    dnssec::SignOptions options;
    options.nsec3 = std::move(nsec3);
    auto signed_zone = dnssec::sign_zone(unsigned_zone, {*key}, options);
    if (!signed_zone) {
        throw std::runtime_error(signed_zone.error().message);
    }
    return std::make_shared<const zone::Zone>(std::move(*signed_zone));
}

ZoneSet zone_set(std::shared_ptr<const zone::Zone> zone)
{
    auto compiled = compile_zone(std::move(zone));
    if (!compiled) {
        throw std::runtime_error(compiled.error().message);
    }
    return ZoneSet({*compiled});
}

const ZoneSet& nsec_zones()
{
    static const ZoneSet set = zone_set(sign(example_zone(), std::nullopt));
    return set;
}

const dnssec::Nsec3Options& nsec3_options()
{
    static const dnssec::Nsec3Options options{
        .salt = {0xAB, 0xCD}, .iterations = 2, .opt_out = false};
    return options;
}

const dnssec::Nsec3Options& opt_out_options()
{
    static const dnssec::Nsec3Options options{.salt = {}, .iterations = 0, .opt_out = true};
    return options;
}

const ZoneSet& nsec3_zones()
{
    static const ZoneSet set = zone_set(sign(example_zone(), nsec3_options()));
    return set;
}

const ZoneSet& opt_out_zones()
{
    static const ZoneSet set = zone_set(sign(example_zone(), opt_out_options()));
    return set;
}

// ---- the zone index ----

TEST(ZoneIndexDnssec, ComparesNamesInCanonicalOrder)
{
    // The example order of RFC 4034 section 6.1, lower-cased.
    const std::vector<std::string> names{
        "example.",         "a.example.",      "yljkjljk.a.example.",
        "z.a.example.",     "zabc.a.example.", "z.example.",
        "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
        EXPECT_LT(compare_canonical(test::wire(names[i]), test::wire(names[i + 1])), 0)
            << names[i] << " < " << names[i + 1];
        EXPECT_GT(compare_canonical(test::wire(names[i + 1]), test::wire(names[i])), 0);
    }
    EXPECT_EQ(compare_canonical(test::wire("a.example."), test::wire("a.example.")), 0);
}

TEST(ZoneIndexDnssec, MarksSignedZones)
{
    EXPECT_TRUE(nsec_zones().zones()[0]->is_signed());
    EXPECT_TRUE(nsec3_zones().zones()[0]->is_signed());
    EXPECT_FALSE(compile_zone(example_zone()).value()->is_signed());
}

TEST(ZoneIndexDnssec, KeepsNsec3OutOfTheNameTree)
{
    const auto& zone = *nsec3_zones().zones()[0];
    ASSERT_NE(zone.nsec3_parameters(), nullptr);
    EXPECT_EQ(zone.nsec3_parameters()->iterations, 2);
    const auto hash = hash_of("www.example.", nsec3_options());
    const auto entry = zone.find_nsec3(hash);
    ASSERT_NE(entry, no_index);
    const auto owner = zone.nsec3_owner(zone.nsec3_entry(entry));
    EXPECT_EQ(zone.find_node(owner), no_index);
    const auto& rrset = zone.rrset(zone.nsec3_entry(entry).rrset);
    EXPECT_EQ(rrset.type, rrtype::nsec3);
    EXPECT_EQ(zone.signatures(rrset).record_count, 1);
}

TEST(ZoneIndexDnssec, RejectsNsec3IterationsAbove150)
{
    auto signed_zone = *sign(example_zone(), nsec3_options());
    for (auto& record : signed_zone.records) {
        if (record.type == rrtype::nsec3param) {
            write_u16(record.rdata.data() + 2, 151);
        }
    }
    const auto compiled = compile_zone(signed_zone);
    ASSERT_FALSE(compiled.has_value());
    EXPECT_NE(compiled.error().message.find("151 iterations"), std::string::npos)
        << compiled.error().message;
}

TEST(ZoneIndexDnssec, HasherMatchesSignerHash)
{
    Nsec3Hasher hasher;
    for (const std::uint16_t iterations : {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{12}}) {
        dnssec::Nsec3Hash hash{};
        ASSERT_TRUE(
            hasher.hash(test::wire("www.example."), nsec3_options().salt, iterations, hash));
        EXPECT_EQ(hash,
                  dnssec::nsec3_hash(name_of("www.example."), nsec3_options().salt, iterations))
            << iterations;
    }
}

// ---- answers with NSEC ----

TEST(ResponderDnssec, SignsPositiveAnswer)
{
    const auto response = ask_dnssec(nsec_zones(), "www.example.", rrtype::a);
    EXPECT_TRUE(response.has(flag::aa));
    EXPECT_FALSE(response.has(flag::ad));
    EXPECT_FALSE(response.has(flag::tc));
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"www.example./A", "www.example./RRSIG(A)"}));
    EXPECT_TRUE(response.authority.empty());
}

TEST(ResponderDnssec, CopiesCdAndNeverSetsAd)
{
    test::QueryOptions options;
    options.edns = true;
    options.dnssec_ok = true;
    options.flags = flag::cd | flag::ad;
    const auto response =
        parse(respond(nsec_zones(), make_query("www.example.", rrtype::a, options)));
    EXPECT_TRUE(response.has(flag::cd));
    EXPECT_FALSE(response.has(flag::ad));
}

TEST(ResponderDnssec, AnswersDnskeyAtApex)
{
    const auto response = ask_dnssec(nsec_zones(), "example.", rrtype::dnskey);
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"example./DNSKEY", "example./RRSIG(DNSKEY)"}));
}

TEST(ResponderDnssec, ProvesNxdomainWithNsec)
{
    const auto response = ask_dnssec(nsec_zones(), "nothere.example.", rrtype::a);
    EXPECT_EQ(response.rcode(), nxdomain);
    EXPECT_TRUE(response.answer.empty());
    ASSERT_GE(response.authority.size(), 2u);
    EXPECT_EQ(response.authority[0].type, rrtype::soa);
    EXPECT_EQ(response.authority[1].type, rrtype::rrsig);
    EXPECT_EQ(response.authority[1].covered(), rrtype::soa);
    EXPECT_EQ(response.authority[1].ttl, response.authority[0].ttl);
    expect_signed(response.authority);

    const auto nsecs = of_type(response.authority, rrtype::nsec);
    ASSERT_EQ(nsecs.size(), 2u);
    const auto covers = [&](std::string_view name) {
        return std::any_of(nsecs.begin(), nsecs.end(),
                           [&](const Rr* nsec) { return nsec_covers(*nsec, name, "example."); });
    };
    EXPECT_TRUE(covers("nothere.example."));
    EXPECT_TRUE(covers("*.example."));
}

TEST(ResponderDnssec, ProvesNxdomainBelowExistingName)
{
    // The closest encloser is www.example, so the wildcard to deny is *.www.example, which
    // the NSEC of www covers too: one NSEC serves both and is sent once.
    const auto response = ask_dnssec(nsec_zones(), "deep.www.example.", rrtype::a);
    EXPECT_EQ(response.rcode(), nxdomain);
    const auto nsecs = of_type(response.authority, rrtype::nsec);
    ASSERT_EQ(nsecs.size(), 1u);
    EXPECT_EQ(nsecs[0]->owner, "www.example.");
    EXPECT_TRUE(nsec_covers(*nsecs[0], "deep.www.example.", "example."));
    EXPECT_TRUE(nsec_covers(*nsecs[0], "*.www.example.", "example."));
}

TEST(ResponderDnssec, ProvesNodataWithNameNsec)
{
    const auto response = ask_dnssec(nsec_zones(), "www.example.", rrtype::txt);
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_TRUE(response.answer.empty());
    EXPECT_EQ(sorted(summary(response.authority)),
              sorted({"example./SOA", "example./RRSIG(SOA)", "www.example./NSEC",
                      "www.example./RRSIG(NSEC)"}));
}

TEST(ResponderDnssec, ProvesEmptyNonTerminalWithCoveringNsec)
{
    const auto response = ask_dnssec(nsec_zones(), "ent.wild.example.", rrtype::a);
    EXPECT_EQ(response.rcode(), 0);
    const auto nsecs = of_type(response.authority, rrtype::nsec);
    ASSERT_EQ(nsecs.size(), 1u);
    EXPECT_TRUE(nsec_covers(*nsecs[0], "ent.wild.example.", "example."));
    expect_signed(response.authority);
}

TEST(ResponderDnssec, ProvesWildcardAnswerWithNsec)
{
    const auto response = ask_dnssec(nsec_zones(), "x.wild.example.", rrtype::a);
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"x.wild.example./A", "x.wild.example./RRSIG(A)"}));
    EXPECT_EQ(response.answer[1].labels(), 2); // *.wild.example. without the asterisk
    const auto nsecs = of_type(response.authority, rrtype::nsec);
    ASSERT_EQ(nsecs.size(), 1u);
    EXPECT_TRUE(nsec_covers(*nsecs[0], "x.wild.example.", "example."));
    expect_signed(response.authority);
    EXPECT_EQ(of_type(response.authority, rrtype::soa).size(), 0u);
}

TEST(ResponderDnssec, ProvesWildcardNodataWithNsec)
{
    const auto response = ask_dnssec(nsec_zones(), "x.wild.example.", rrtype::txt);
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_TRUE(response.answer.empty());
    const auto nsecs = of_type(response.authority, rrtype::nsec);
    ASSERT_EQ(nsecs.size(), 2u);
    const bool covers = std::any_of(nsecs.begin(), nsecs.end(), [](const Rr* nsec) {
        return nsec_covers(*nsec, "x.wild.example.", "example.");
    });
    EXPECT_TRUE(covers);
    const bool wildcard = std::any_of(nsecs.begin(), nsecs.end(), [](const Rr* nsec) {
        return nsec->owner == "*.wild.example.";
    });
    EXPECT_TRUE(wildcard);
    expect_signed(response.authority);
}

TEST(ResponderDnssec, SignsCnameChain)
{
    const auto response = ask_dnssec(nsec_zones(), "alias.example.", rrtype::a);
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"alias.example./CNAME", "alias.example./RRSIG(CNAME)",
                                        "www.example./A", "www.example./RRSIG(A)"}));
    EXPECT_TRUE(response.authority.empty());
}

TEST(ResponderDnssec, ProvesWildcardCname)
{
    const auto response = ask_dnssec(nsec_zones(), "x.cwild.example.", rrtype::a);
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"x.cwild.example./CNAME", "x.cwild.example./RRSIG(CNAME)",
                                        "www.example./A", "www.example./RRSIG(A)"}));
    const auto nsecs = of_type(response.authority, rrtype::nsec);
    ASSERT_EQ(nsecs.size(), 1u);
    EXPECT_TRUE(nsec_covers(*nsecs[0], "x.cwild.example.", "example."));
}

TEST(ResponderDnssec, SignsDnameButNotSynthesizedCname)
{
    const auto response = ask_dnssec(nsec_zones(), "host.dn2.example.", rrtype::a);
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"dn2.example./DNAME", "dn2.example./RRSIG(DNAME)",
                                        "host.dn2.example./CNAME", "host.target.example./A",
                                        "host.target.example./RRSIG(A)"}));
}

TEST(ResponderDnssec, AddsSignedDsToReferral)
{
    const auto response = ask_dnssec(nsec_zones(), "host.sub.example.", rrtype::a);
    EXPECT_FALSE(response.has(flag::aa));
    EXPECT_TRUE(response.answer.empty());
    EXPECT_EQ(
        summary(response.authority),
        (std::vector<std::string>{"sub.example./NS", "sub.example./DS", "sub.example./RRSIG(DS)"}));
    EXPECT_EQ(summary(response.additional), (std::vector<std::string>{"ns.sub.example./A"}));
}

TEST(ResponderDnssec, ProvesInsecureReferralWithNsec)
{
    const auto response = ask_dnssec(nsec_zones(), "host.nods.example.", rrtype::a);
    EXPECT_FALSE(response.has(flag::aa));
    EXPECT_EQ(summary(response.authority),
              (std::vector<std::string>{"nods.example./NS", "nods.example./NSEC",
                                        "nods.example./RRSIG(NSEC)"}));
}

TEST(ResponderDnssec, AnswersDsAtCutFromParentSide)
{
    const auto with_ds = ask_dnssec(nsec_zones(), "sub.example.", rrtype::ds);
    EXPECT_TRUE(with_ds.has(flag::aa));
    EXPECT_EQ(summary(with_ds.answer),
              (std::vector<std::string>{"sub.example./DS", "sub.example./RRSIG(DS)"}));

    const auto without_ds = ask_dnssec(nsec_zones(), "nods.example.", rrtype::ds);
    EXPECT_TRUE(without_ds.has(flag::aa));
    EXPECT_TRUE(without_ds.answer.empty());
    EXPECT_EQ(sorted(summary(without_ds.authority)),
              sorted({"example./SOA", "example./RRSIG(SOA)", "nods.example./NSEC",
                      "nods.example./RRSIG(NSEC)"}));
}

TEST(ResponderDnssec, SignsAdditionalAddressesWhenTheyFit)
{
    const auto response = ask_dnssec(nsec_zones(), "example.", rrtype::mx);
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"example./MX", "example./RRSIG(MX)"}));
    EXPECT_EQ(summary(response.additional),
              (std::vector<std::string>{"mail.example./A", "mail.example./RRSIG(A)"}));
}

TEST(ResponderDnssec, AnswersAnyOverUdpWithOneSignedRrset)
{
    const auto response = ask_dnssec(nsec_zones(), "www.example.", rrtype::any);
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"www.example./A", "www.example./RRSIG(A)"}));
}

TEST(ResponderDnssec, AnswersAnyOverTcpWithEveryRrsetSigned)
{
    const auto response =
        ask_dnssec(nsec_zones(), "www.example.", rrtype::any, 4096, Transport::tcp);
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"www.example./A", "www.example./RRSIG(A)",
                                        "www.example./NSEC", "www.example./RRSIG(NSEC)"}));
}

TEST(ResponderDnssec, ReturnsDnssecTypesAsDataWithoutDo)
{
    const auto rrsig = parse(respond(nsec_zones(), make_query("www.example.", rrtype::rrsig)));
    EXPECT_EQ(summary(rrsig.answer),
              (std::vector<std::string>{"www.example./RRSIG(A)", "www.example./RRSIG(NSEC)"}));
    const auto nsec = parse(respond(nsec_zones(), make_query("www.example.", rrtype::nsec)));
    EXPECT_EQ(summary(nsec.answer), (std::vector<std::string>{"www.example./NSEC"}));
}

// Without DO a signed zone answers byte for byte like the same zone unsigned.
TEST(ResponderDnssec, AnswersLikeUnsignedZoneWithoutDo)
{
    const ZoneSet unsigned_zones({compile_zone(example_zone()).value()});
    struct Case {
        const char* name;
        std::uint16_t type;
    };
    const std::vector<Case> cases{
        {"www.example.", rrtype::a},      {"nothere.example.", rrtype::a},
        {"www.example.", rrtype::txt},    {"x.wild.example.", rrtype::a},
        {"x.wild.example.", rrtype::txt}, {"alias.example.", rrtype::a},
        {"x.cwild.example.", rrtype::a},  {"host.dn2.example.", rrtype::a},
        {"host.sub.example.", rrtype::a}, {"host.nods.example.", rrtype::a},
        {"sub.example.", rrtype::ds},     {"example.", rrtype::mx},
        {"ent.wild.example.", rrtype::a}, {"www.example.", rrtype::any},
    };
    for (const auto& zones : {&nsec_zones(), &nsec3_zones(), &opt_out_zones()}) {
        for (const auto& test_case : cases) {
            for (const bool edns : {false, true}) {
                test::QueryOptions options;
                options.edns = edns;
                const auto query = make_query(test_case.name, test_case.type, options);
                EXPECT_EQ(respond(*zones, query), respond(unsigned_zones, query))
                    << test_case.name << " " << zone::type_to_string(test_case.type)
                    << (edns ? " with EDNS" : "");
            }
        }
    }
}

TEST(ResponderDnssec, AddsNothingForUnsignedZoneWithDo)
{
    const ZoneSet unsigned_zones({compile_zone(example_zone()).value()});
    const auto response = ask_dnssec(unsigned_zones, "nothere.example.", rrtype::a);
    EXPECT_EQ(summary(response.authority), (std::vector<std::string>{"example./SOA"}));
    const auto referral = ask_dnssec(unsigned_zones, "host.sub.example.", rrtype::a);
    EXPECT_EQ(summary(referral.authority), (std::vector<std::string>{"sub.example./NS"}));
}

// ---- answers with NSEC3 ----

TEST(ResponderDnssec, ProvesNxdomainWithNsec3)
{
    const auto& options = nsec3_options();
    const auto response = ask_dnssec(nsec3_zones(), "nothere.example.", rrtype::a);
    EXPECT_EQ(response.rcode(), nxdomain);
    expect_signed(response.authority);
    EXPECT_EQ(of_type(response.authority, rrtype::nsec3).size(), 3u);
    EXPECT_TRUE(any_nsec3(response.authority,
                          [&](const Rr& rr) { return nsec3_matches(rr, "example.", options); }));
    EXPECT_TRUE(any_nsec3(response.authority, [&](const Rr& rr) {
        return nsec3_covers(rr, "nothere.example.", options);
    }));
    EXPECT_TRUE(any_nsec3(response.authority,
                          [&](const Rr& rr) { return nsec3_covers(rr, "*.example.", options); }));
    EXPECT_EQ(of_type(response.authority, rrtype::nsec).size(), 0u);
}

TEST(ResponderDnssec, ProvesNxdomainBelowEmptyNonTerminalWithNsec3)
{
    const auto& options = nsec3_options();
    const auto response = ask_dnssec(nsec3_zones(), "x.ent.wild.example.", rrtype::a);
    // *.wild.example matches nothing here: x.ent.wild is below the ENT ent.wild.
    EXPECT_EQ(response.rcode(), nxdomain);
    EXPECT_TRUE(any_nsec3(response.authority, [&](const Rr& rr) {
        return nsec3_matches(rr, "ent.wild.example.", options);
    }));
    EXPECT_TRUE(any_nsec3(response.authority, [&](const Rr& rr) {
        return nsec3_covers(rr, "x.ent.wild.example.", options);
    }));
    EXPECT_TRUE(any_nsec3(response.authority, [&](const Rr& rr) {
        return nsec3_covers(rr, "*.ent.wild.example.", options);
    }));
}

TEST(ResponderDnssec, ProvesNodataWithMatchingNsec3)
{
    const auto response = ask_dnssec(nsec3_zones(), "www.example.", rrtype::txt);
    EXPECT_EQ(response.rcode(), 0);
    const auto nsec3 = of_type(response.authority, rrtype::nsec3);
    ASSERT_EQ(nsec3.size(), 1u);
    EXPECT_TRUE(nsec3_matches(*nsec3[0], "www.example.", nsec3_options()));
    expect_signed(response.authority);
}

TEST(ResponderDnssec, ProvesWildcardAnswerWithNsec3)
{
    const auto response = ask_dnssec(nsec3_zones(), "x.wild.example.", rrtype::a);
    EXPECT_EQ(summary(response.answer),
              (std::vector<std::string>{"x.wild.example./A", "x.wild.example./RRSIG(A)"}));
    const auto nsec3 = of_type(response.authority, rrtype::nsec3);
    ASSERT_EQ(nsec3.size(), 1u);
    EXPECT_TRUE(nsec3_covers(*nsec3[0], "x.wild.example.", nsec3_options()));
    expect_signed(response.authority);
}

TEST(ResponderDnssec, ProvesWildcardNodataWithNsec3)
{
    const auto& options = nsec3_options();
    const auto response = ask_dnssec(nsec3_zones(), "x.wild.example.", rrtype::txt);
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_TRUE(response.answer.empty());
    EXPECT_TRUE(any_nsec3(response.authority, [&](const Rr& rr) {
        return nsec3_matches(rr, "wild.example.", options);
    }));
    EXPECT_TRUE(any_nsec3(response.authority, [&](const Rr& rr) {
        return nsec3_covers(rr, "x.wild.example.", options);
    }));
    EXPECT_TRUE(any_nsec3(response.authority, [&](const Rr& rr) {
        return nsec3_matches(rr, "*.wild.example.", options);
    }));
    expect_signed(response.authority);
}

TEST(ResponderDnssec, ProvesInsecureReferralWithMatchingNsec3)
{
    const auto response = ask_dnssec(nsec3_zones(), "host.nods.example.", rrtype::a);
    const auto nsec3 = of_type(response.authority, rrtype::nsec3);
    ASSERT_EQ(nsec3.size(), 1u);
    EXPECT_TRUE(nsec3_matches(*nsec3[0], "nods.example.", nsec3_options()));
    EXPECT_EQ(response.authority[0].type, rrtype::ns);
}

TEST(ResponderDnssec, ProvesOptOutReferralWithClosestEncloser)
{
    const auto& options = opt_out_options();
    const auto response = ask_dnssec(opt_out_zones(), "host.nods.example.", rrtype::a);
    EXPECT_EQ(response.authority[0].type, rrtype::ns);
    const auto nsec3 = of_type(response.authority, rrtype::nsec3);
    ASSERT_EQ(nsec3.size(), 2u);
    EXPECT_TRUE(any_nsec3(response.authority,
                          [&](const Rr& rr) { return nsec3_matches(rr, "example.", options); }));
    EXPECT_TRUE(any_nsec3(response.authority, [&](const Rr& rr) {
        return nsec3_covers(rr, "nods.example.", options) && read_nsec3(rr).opt_out;
    }));
    expect_signed(response.authority);
}

TEST(ResponderDnssec, ProvesOptOutDsNodataWithClosestEncloser)
{
    const auto& options = opt_out_options();
    const auto response = ask_dnssec(opt_out_zones(), "nods.example.", rrtype::ds);
    EXPECT_EQ(response.rcode(), 0);
    EXPECT_TRUE(response.has(flag::aa));
    EXPECT_TRUE(any_nsec3(response.authority,
                          [&](const Rr& rr) { return nsec3_matches(rr, "example.", options); }));
    EXPECT_TRUE(any_nsec3(response.authority, [&](const Rr& rr) {
        return nsec3_covers(rr, "nods.example.", options) && read_nsec3(rr).opt_out;
    }));
}

TEST(ResponderDnssec, AddsSignedDsToReferralWithNsec3)
{
    const auto response = ask_dnssec(opt_out_zones(), "host.sub.example.", rrtype::a);
    EXPECT_EQ(
        summary(response.authority),
        (std::vector<std::string>{"sub.example./NS", "sub.example./DS", "sub.example./RRSIG(DS)"}));
}

TEST(ResponderDnssec, TreatsHashedOwnerAsNonexistent)
{
    const auto& zone = *nsec3_zones().zones()[0];
    const auto& entry = zone.nsec3_entry(0);
    const auto owner = *zone::Name::from_wire(zone.nsec3_owner(entry));
    const auto response = ask_dnssec(nsec3_zones(), owner.to_string(), rrtype::nsec3);
    EXPECT_EQ(response.rcode(), nxdomain);
    EXPECT_TRUE(response.answer.empty());
    EXPECT_EQ(of_type(response.authority, rrtype::nsec3).size(), 3u);
}

TEST(ResponderDnssec, SignsWithEd25519)
{
    const ZoneSet zones = zone_set(sign(example_zone(), std::nullopt, dnssec::Algorithm::ed25519));
    const auto response = ask_dnssec(zones, "www.example.", rrtype::a);
    ASSERT_EQ(response.answer.size(), 2u);
    EXPECT_EQ(response.answer[1].rdata[2], 15); // the RRSIG's algorithm field
}

// ---- truncation ----

TEST(ResponderDnssec, TruncatesNegativeAnswerWhoseProofsDoNotFit)
{
    const auto response = ask_dnssec(nsec3_zones(), "nothere.example.", rrtype::a, 512);
    EXPECT_TRUE(response.has(flag::tc));
    EXPECT_EQ(response.header.qdcount, 1);
    EXPECT_TRUE(response.answer.empty());
    EXPECT_TRUE(response.authority.empty());
    EXPECT_EQ(response.header.arcount, 1); // the OPT record
    EXPECT_LE(response.bytes.size(), 512u);

    const auto over_tcp =
        ask_dnssec(nsec3_zones(), "nothere.example.", rrtype::a, 512, Transport::tcp);
    EXPECT_FALSE(over_tcp.has(flag::tc));
    EXPECT_EQ(of_type(over_tcp.authority, rrtype::nsec3).size(), 3u);
}

TEST(ResponderDnssec, TruncatesAnswerWhoseRrsigDoesNotFit)
{
    // TXT records that fill a 512-octet response without their RRSIG, but not with it.
    test::ZoneBuilder builder("example.");
    builder.name_record("@", rrtype::ns, "ns1").a("ns1", "192.0.2.1");
    for (char letter = 'a'; letter < 'a' + 4; ++letter) {
        builder.txt("big", std::string(100, letter));
    }
    const ZoneSet zones = zone_set(sign(builder.zone(), std::nullopt));

    test::QueryOptions options;
    options.edns = true;
    options.payload = 512;
    const auto without_do = parse(respond(zones, make_query("big.example.", rrtype::txt, options)));
    EXPECT_FALSE(without_do.has(flag::tc));
    EXPECT_EQ(without_do.answer.size(), 4u);

    const auto with_do = ask_dnssec(zones, "big.example.", rrtype::txt, 512);
    EXPECT_TRUE(with_do.has(flag::tc));
    EXPECT_TRUE(with_do.answer.empty());

    const auto larger = ask_dnssec(zones, "big.example.", rrtype::txt, 1232);
    EXPECT_FALSE(larger.has(flag::tc));
    EXPECT_EQ(larger.answer.size(), 5u);
}

TEST(ResponderDnssec, DropsAdditionalRrsigsThatDoNotFit)
{
    // An MX answer whose signed A of the exchange only fits without its RRSIG.
    test::ZoneBuilder builder("example.");
    builder.name_record("@", rrtype::ns, "ns1").a("ns1", "192.0.2.1");
    builder.mx("@", 10, "mail").a("mail", "192.0.2.25");
    builder.txt("@", std::string(200, 'x'));
    const ZoneSet zones = zone_set(sign(builder.zone(), std::nullopt));

    for (std::uint16_t payload = 300; payload <= 600; payload += 2) {
        const auto response = ask_dnssec(zones, "example.", rrtype::mx, payload);
        if (response.has(flag::tc)) {
            EXPECT_TRUE(response.answer.empty()) << payload;
            continue;
        }
        EXPECT_EQ(response.answer.size(), 2u) << payload;
        const auto rrsigs = of_type(response.additional, rrtype::rrsig);
        if (!rrsigs.empty()) {
            EXPECT_EQ(of_type(response.additional, rrtype::a).size(), 1u) << payload;
        }
        EXPECT_LE(response.bytes.size(), std::max<std::size_t>(payload, 512)) << payload;
    }
}

} // namespace
} // namespace robur::dns
