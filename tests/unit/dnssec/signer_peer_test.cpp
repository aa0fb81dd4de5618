// Interoperability of the zone signer: zones signed by robur must pass ldns-verify-zone,
// kzonecheck, BIND's dnssec-verify when installed, and robur's own verify_zone, for every
// algorithm with NSEC, NSEC3 and NSEC3 opt-out.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../zone/corpus_support.hpp"
#include "formats/dnssec/signer.hpp"
#include "formats/dnssec/verify.hpp"
#include "formats/zone/writer.hpp"
#include "signing_support.hpp"

namespace robur::dnssec {
namespace {

namespace fs = std::filesystem;
using testing::key;
using testing::parse;

enum class Denial { nsec, nsec3, nsec3_opt_out };

// Peers that cannot read a corpus file as robur does. Their verdict on its signatures is then
// no evidence about the signer. robur's own verify_zone still checks those files.
struct PeerLimit {
    std::string_view path;
    bool ldns;
    bool knot;
    bool bind;
    std::string_view reason;
};

constexpr PeerLimit peer_limits[] = {
    {"ok/bind-good-svcb.db", true, true, false,
     "ldns 1.8.3 reads the escaped comma in alpn=\"h1\\\\,h2,h3\" as a backslash ending the "
     "value (RFC 9460 appendix A.1 makes it part of the value), so it verifies other bytes "
     "than robur signed; kzonecheck 3.2.6 rejects the SVCB record on line 16 of the file"},
    {"ok/nsd-svcb-rfc9460-test-vectors.zone", true, false, false,
     "ldns 1.8.3 does not apply the second level of escaping in SVCB alpn values (RFC 9460 "
     "appendix A.1), so it verifies other bytes than robur signed for v09, v10, v19 and v20"},
};

struct Peers {
    bool ldns = true;
    bool knot = true;
    bool bind = true;
};

Peers peers_for(std::string_view path)
{
    Peers peers;
    for (const auto& limit : peer_limits) {
        if (limit.path == path) {
            peers.ldns = !limit.ldns;
            peers.knot = !limit.knot;
            peers.bind = !limit.bind;
            std::cout << "note: " << path << ": " << limit.reason << "\n";
        }
    }
    return peers;
}

struct PeerRun {
    int status = -1;
    std::string output;
};

bool has_program(const char* program)
{
    return std::system(fmt::format("command -v {} >/dev/null 2>&1", program).c_str()) == 0;
}

// Runs a shell command and returns its exit status and combined output.
PeerRun run(const std::string& command)
{
    PeerRun result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
        result.output += buffer;
    }
    const int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::vector<KeyPair> keys_for(const zone::Name& origin, Algorithm algorithm)
{
    const std::string owner = origin.to_string();
    return {key(owner, algorithm, dnskey_flags::ksk), key(owner, algorithm, dnskey_flags::zsk)};
}

SignOptions options_for(Denial denial)
{
    SignOptions options;
    if (denial != Denial::nsec) {
        options.nsec3 = Nsec3Options{{0xab, 0xcd}, 1, denial == Denial::nsec3_opt_out};
    }
    return options;
}

std::string label(Algorithm algorithm, Denial denial)
{
    const char* names[] = {"nsec", "nsec3", "nsec3-opt-out"};
    return fmt::format("{}/{}", algorithm_name(algorithm), names[static_cast<int>(denial)]);
}

// Flips one octet in the signature of the first RRSIG, leaving the other fields intact.
zone::Zone tamper(zone::Zone zone)
{
    for (auto& record : zone.records) {
        if (record.type == zone::rrtype::rrsig) {
            record.rdata.back() ^= 0x01;
            break;
        }
    }
    return zone;
}

void check_signed_zone(const zone::Zone& unsigned_zone, Algorithm algorithm, Denial denial,
                       Peers peers)
{
    SCOPED_TRACE(fmt::format("{} {}", unsigned_zone.origin.to_string(), label(algorithm, denial)));
    auto signed_zone =
        sign_zone(unsigned_zone, keys_for(unsigned_zone.origin, algorithm), options_for(denial));
    ASSERT_TRUE(signed_zone) << signed_zone.error().to_string();

    const auto diagnostics = verify_zone(*signed_zone);
    for (const auto& diagnostic : diagnostics) {
        ADD_FAILURE() << "verify_zone: " << diagnostic.to_string();
    }
    EXPECT_TRUE(has_errors(verify_zone(tamper(*signed_zone))));

    const fs::path file =
        fs::temp_directory_path() / fmt::format("robur-signed-{}-{}.zone", ::getpid(), std::rand());
    std::ofstream(file) << zone::format_zone(*signed_zone);
    if (peers.ldns) {
        const auto ldns = run(fmt::format("ldns-verify-zone {}", file.string()));
        EXPECT_EQ(ldns.status, 0) << "ldns-verify-zone:\n" << ldns.output;
    }
    if (peers.knot) {
        const auto knot = run(fmt::format("kzonecheck -o {} -d on {}",
                                          unsigned_zone.origin.to_string(), file.string()));
        EXPECT_EQ(knot.status, 0) << "kzonecheck:\n" << knot.output;
    }
    if (peers.bind && has_program("dnssec-verify")) {
        const auto bind = run(fmt::format("dnssec-verify -q -o {} {}",
                                          unsigned_zone.origin.to_string(), file.string()));
        EXPECT_EQ(bind.status, 0) << "dnssec-verify:\n" << bind.output;
    }
    fs::remove(file);
}

void check_all_modes(const zone::Zone& zone, Peers peers = {})
{
    for (const auto algorithm :
         {Algorithm::ecdsap256sha256, Algorithm::ed25519, Algorithm::rsasha256}) {
        for (const auto denial : {Denial::nsec, Denial::nsec3, Denial::nsec3_opt_out}) {
            check_signed_zone(zone, algorithm, denial, peers);
        }
    }
}

TEST(SignerPeers, AcceptSampleZone)
{
    if (!has_program("ldns-verify-zone") || !has_program("kzonecheck")) {
        GTEST_SKIP() << "ldns-verify-zone or kzonecheck not installed (ldnsutils, "
                        "knot-dnssecutils), skipping";
    }
    check_all_modes(parse(testing::sample_zone));
}

TEST(SignerPeers, AcceptCorpusZones)
{
    if (!zone::corpus::present()) {
        GTEST_SKIP() << "corpus not found at " << zone::corpus::dns_folder() << ", skipping";
    }
    if (!has_program("ldns-verify-zone") || !has_program("kzonecheck")) {
        GTEST_SKIP() << "ldns-verify-zone or kzonecheck not installed, skipping";
    }
    for (const auto& [path, origin] : zone::corpus::read_origins()) {
        if (path.rfind("ok/", 0) != 0) {
            continue;
        }
        SCOPED_TRACE(path);
        const auto parsed = zone::corpus::parse_file(path, origin);
        ASSERT_TRUE(parsed.ok());
        check_all_modes(parsed.zone, peers_for(path));
    }
}

// Parses a zone file that a peer signed; fails the test on parse errors.
zone::Zone parse_signed_file(const fs::path& path)
{
    zone::ParseOptions options;
    options.origin = zone::Name::parse("example.").value();
    auto parsed = zone::parse_zone(zone::corpus::read_file(path), path.string(), options);
    for (const auto& diagnostic : parsed.diagnostics) {
        ADD_FAILURE() << diagnostic.to_string();
    }
    return std::move(parsed.zone);
}

// verify_zone must accept what other signers write, so that it agrees with them on the
// canonical form, the chains and the bitmaps, and not only with robur's own signer.
TEST(SignerPeers, VerifyZoneAcceptsPeerSignatures)
{
    if (!has_program("ldns-signzone") || !has_program("dnssec-signzone")) {
        GTEST_SKIP() << "ldns-signzone or dnssec-signzone not installed (ldnsutils, "
                        "bind9-utils), skipping";
    }
    const fs::path folder =
        fs::temp_directory_path() / fmt::format("robur-peer-signed-{}", ::getpid());
    fs::create_directories(folder);
    const std::unique_ptr<const fs::path, void (*)(const fs::path*)> cleanup(
        &folder, [](const fs::path* path) { fs::remove_all(*path); });
    std::ofstream(folder / "example.zone") << "$ORIGIN example.\n" << testing::sample_zone;

    // Each signer gets keys of one algorithm, because ldns-signzone 1.8.3 signs data with the
    // ZSKs only. A KSK of another algorithm would then leave RRsets without a signature by every
    // algorithm of the DNSKEY RRset (RFC 4035 section 2.2), and verify_zone reports that.
    const std::string cd = fmt::format("cd {} && ", folder.string());
    const auto ldns_keys =
        run(cd + "ksk=$(ldns-keygen -a ECDSAP256SHA256 -k example.) && "
                 "zsk=$(ldns-keygen -a ECDSAP256SHA256 example.) && "
                 "ldns-signzone -f ldns-nsec.zone example.zone $ksk $zsk && "
                 "ldns-signzone -n -f ldns-nsec3.zone example.zone $ksk $zsk && "
                 "ldns-signzone -n -p -f ldns-opt-out.zone example.zone $ksk $zsk && "
                 "ed=$(ldns-keygen -a ED25519 -k example.) && "
                 "ldns-signzone -f ldns-ed25519.zone example.zone $ed");
    ASSERT_EQ(ldns_keys.status, 0) << ldns_keys.output;
    // BIND gets a folder of its own, because -S signs with every key file it finds.
    const auto bind_keys = run(cd + "mkdir bind && cd bind && "
                                    "dnssec-keygen -q -a ECDSAP256SHA256 -f KSK example. && "
                                    "dnssec-keygen -q -a ECDSAP256SHA256 example. && "
                                    "dnssec-signzone -q -S -o example. -f ../bind-nsec.zone "
                                    "../example.zone && dnssec-signzone -q -S -3 - -o example. "
                                    "-f ../bind-nsec3.zone ../example.zone");
    ASSERT_EQ(bind_keys.status, 0) << bind_keys.output;

    for (const char* file : {"ldns-nsec.zone", "ldns-nsec3.zone", "ldns-opt-out.zone",
                             "ldns-ed25519.zone", "bind-nsec.zone", "bind-nsec3.zone"}) {
        SCOPED_TRACE(file);
        const auto signed_zone = parse_signed_file(folder / file);
        for (const auto& diagnostic : verify_zone(signed_zone)) {
            ADD_FAILURE() << diagnostic.to_string();
        }
        EXPECT_TRUE(has_errors(verify_zone(tamper(signed_zone))));
    }
}

} // namespace
} // namespace robur::dnssec
