#include "cli/vpn_pki_common.hpp"

#include <cctype>
#include <ctime>

#include <fmt/format.h>

namespace robur::cli::vpn_pki {

namespace {

constexpr std::size_t max_name_length = 64;
constexpr std::int64_t seconds_per_day = 86400;

std::string join(std::string_view folder, std::string_view file)
{
    return fmt::format("{}/{}", folder, file);
}

openvpn::KeyAlgorithm algorithm_of(const openvpn::CertificateInfo& ca)
{
    if (ca.key_type == "ED25519") {
        return openvpn::KeyAlgorithm::ed25519;
    }
    if (ca.key_type == "RSA") {
        return openvpn::KeyAlgorithm::rsa3072;
    }
    return openvpn::KeyAlgorithm::ecdsa_p256;
}

// The CRL number for the next CRL: crlnumber (OpenSSL `ca`'s hexadecimal counter) when
// present, else one more than the current CRL's.
std::uint64_t next_crl_number(const store::Snapshot& snapshot, const std::string& folder)
{
    if (auto counter = snapshot.read(join(folder, "crlnumber")); counter) {
        try {
            return std::stoull(*counter, nullptr, 16);
        } catch (const std::exception&) {
            // An unreadable counter falls back to the CRL's own number.
        }
    }
    if (auto crl = snapshot.read(join(folder, "crl.pem")); crl) {
        auto info = openvpn::read_crl_info(*crl);
        if (info && info->crl_number) {
            return *info->crl_number + 1;
        }
    }
    return 1;
}

} // namespace

Result<void> check_name(std::string_view what, std::string_view name)
{
    if (name.empty() || name.size() > max_name_length) {
        return make_error(Errc::usage, fmt::format("invalid {} '{}': expected 1 to {} characters",
                                                   what, name, max_name_length));
    }
    if (name.front() == '.' || name.front() == '-') {
        return make_error(Errc::usage, fmt::format("invalid {} '{}': it must not start with "
                                                   "'.' or '-'",
                                                   what, name));
    }
    for (const char c : name) {
        const bool allowed = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' ||
                             c == '_' || c == '-' || c == '@';
        if (!allowed) {
            return make_error(Errc::usage,
                              fmt::format("invalid {} '{}': character '{}' is not allowed "
                                          "(use letters, digits, '.', '_', '-' and '@')",
                                          what, name, c));
        }
    }
    if (name.find("..") != std::string_view::npos) {
        return make_error(Errc::usage,
                          fmt::format("invalid {} '{}': it must not contain '..'", what, name));
    }
    return {};
}

std::string vpn_folder(std::string_view name)
{
    return fmt::format("vpn/{}", name);
}

std::string pki_folder(std::string_view name)
{
    return fmt::format("vpn/{}/pki", name);
}

std::int64_t now_seconds()
{
    return static_cast<std::int64_t>(std::time(nullptr));
}

std::string format_time(std::int64_t unix_seconds)
{
    const auto seconds = static_cast<std::time_t>(unix_seconds);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", parts.tm_year + 1900,
                       parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
}

Result<Pki> load_pki(const store::Snapshot& snapshot, std::string_view name)
{
    Pki pki;
    pki.folder = pki_folder(name);
    if (!snapshot.exists(vpn_folder(name))) {
        return make_error(Errc::not_found, fmt::format("VPN '{}' not found: no folder {}", name,
                                                       vpn_folder(name)));
    }
    auto certificate = snapshot.read(join(pki.folder, "ca.crt"));
    auto key = snapshot.read(join(pki.folder, "private/ca.key"));
    if (!certificate || !key) {
        return make_error(Errc::not_found,
                          fmt::format("VPN '{}' has no CA: {}/ca.crt or {}/private/ca.key is "
                                      "missing",
                                      name, pki.folder, pki.folder));
    }
    auto info = openvpn::read_certificate_info(*certificate);
    if (!info) {
        return make_error(Errc::parse_error,
                          fmt::format("{}/ca.crt: {}", pki.folder, info.error().message));
    }
    pki.issuer = {std::move(*certificate), std::move(*key)};
    pki.algorithm = algorithm_of(*info);

    const std::string index_path = join(pki.folder, "index.txt");
    auto index_text = snapshot.read(index_path);
    if (index_text) {
        auto outcome = openvpn::parse_index(*index_text, index_path);
        if (!outcome.diagnostics.empty()) {
            const auto& first = outcome.diagnostics.front();
            return make_error(Errc::parse_error, first.message, first.where);
        }
        pki.index = std::move(outcome.entries);
    }
    pki.next_crl_number = next_crl_number(snapshot, pki.folder);
    return pki;
}

const openvpn::IndexEntry* find_valid(const Pki& pki, std::string_view common_name)
{
    for (const auto& entry : pki.index) {
        if (entry.status == openvpn::IndexStatus::valid && entry.common_name() == common_name) {
            return &entry;
        }
    }
    return nullptr;
}

Result<std::vector<store::FileChange>> issue_leaf(Pki& pki, std::string_view common_name,
                                                  openvpn::CertificateRole role, int days,
                                                  std::int64_t now)
{
    auto key = openvpn::generate_private_key(pki.algorithm);
    if (!key) {
        return tl::unexpected(key.error());
    }
    const openvpn::CertificateProfile profile{.common_name = std::string(common_name),
                                              .role = role,
                                              .not_before = now,
                                              .not_after = now + days * seconds_per_day,
                                              .alt_names = {}};
    auto certificate = openvpn::issue_certificate(pki.issuer, *key, profile);
    if (!certificate) {
        return tl::unexpected(certificate.error());
    }
    auto request = openvpn::create_certificate_request(*key, common_name);
    if (!request) {
        return tl::unexpected(request.error());
    }
    auto info = openvpn::read_certificate_info(*certificate);
    if (!info) {
        return tl::unexpected(info.error());
    }

    pki.index.push_back(openvpn::IndexEntry{.status = openvpn::IndexStatus::valid,
                                            .expires_at = info->not_after,
                                            .revoked_at = 0,
                                            .revocation_reason = {},
                                            .serial = info->serial,
                                            .file_name = "unknown",
                                            .subject = fmt::format("/CN={}", common_name)});
    const std::string file = std::string(common_name);
    return std::vector<store::FileChange>{
        {join(pki.folder, fmt::format("issued/{}.crt", file)), *certificate, store::mode_file},
        {join(pki.folder, fmt::format("private/{}.key", file)), *key, store::mode_file},
        {join(pki.folder, fmt::format("reqs/{}.req", file)), *request, store::mode_file},
        {join(pki.folder, fmt::format("certs_by_serial/{}.pem", info->serial)), *certificate,
         store::mode_file},
    };
}

std::vector<store::FileChange> index_changes(const Pki& pki)
{
    // easy-rsa 3 draws random serials, but `serial` still has to exist for OpenSSL `ca`, and it
    // contains the next serial in hexadecimal.
    auto serial = openvpn::random_serial();
    return {
        {join(pki.folder, "index.txt"), openvpn::write_index(pki.index), store::mode_file},
        {join(pki.folder, "index.txt.attr"), std::string("unique_subject = no\n"),
         store::mode_file},
        {join(pki.folder, "serial"), (serial ? *serial : std::string("01")) + "\n",
         store::mode_file},
    };
}

Result<std::vector<store::FileChange>> crl_changes(Pki& pki, int days, std::int64_t now)
{
    std::vector<openvpn::RevokedCertificate> revoked;
    for (const auto& entry : pki.index) {
        if (entry.status == openvpn::IndexStatus::revoked) {
            revoked.push_back({entry.serial, entry.revoked_at});
        }
    }
    const std::uint64_t number = pki.next_crl_number;
    auto crl =
        openvpn::issue_crl(pki.issuer, revoked, number, now, now + days * seconds_per_day);
    if (!crl) {
        return tl::unexpected(crl.error());
    }
    pki.next_crl_number = number + 1;
    return std::vector<store::FileChange>{
        {join(pki.folder, "crl.pem"), std::move(*crl), store::mode_file},
        {join(pki.folder, "crlnumber"), fmt::format("{:02X}\n", pki.next_crl_number),
         store::mode_file},
    };
}

Result<std::string> commit_changes(store::Repository& repository,
                                   const std::optional<store::ObjectId>& head,
                                   std::vector<store::FileChange> changes, std::string message)
{
    auto author = repository.default_signature();
    if (!author) {
        return make_error(author.error().code,
                          fmt::format("{}; set user.name and user.email with git config",
                                      author.error().message));
    }
    const store::CommitRequest request{.branch = {},
                                       .expected_head = head,
                                       .changes = std::move(changes),
                                       .author = *author,
                                       .committer = std::nullopt,
                                       .message = std::move(message)};
    auto commit = repository.commit(request);
    if (!commit) {
        return tl::unexpected(commit.error());
    }
    return commit->short_string();
}

Result<Opened> open_head(const Context& context)
{
    auto repository = open_repository(context);
    if (!repository) {
        return tl::unexpected(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return tl::unexpected(head.error());
    }
    std::optional<store::Snapshot> snapshot;
    if (*head) {
        auto read = repository->snapshot(head->value().to_string());
        if (!read) {
            return tl::unexpected(read.error());
        }
        snapshot = std::move(*read);
    }
    return Opened{std::move(*repository), *head, std::move(snapshot)};
}

} // namespace robur::cli::vpn_pki
