#include "cli/signed_zone_file.hpp"

#include <array>
#include <charconv>
#include <memory>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "formats/zone/text.hpp"

namespace robur::cli {

namespace {

constexpr std::string_view serial_label = "(serial ";
constexpr std::string_view digest_label = ", sha256 ";

// Reads the serial and digest of a marker line; either stays unset when malformed.
void parse_marker(std::string_view line, SignedFileParts& parts)
{
    const auto serial_at = line.find(serial_label);
    if (serial_at != std::string_view::npos) {
        const auto* begin = line.data() + serial_at + serial_label.size();
        const auto* end = line.data() + line.size();
        std::uint32_t serial = 0;
        const auto [ptr, ec] = std::from_chars(begin, end, serial);
        if (ec == std::errc{} && ptr != begin) {
            parts.serial = serial;
        }
    }
    const auto digest_at = line.find(digest_label);
    if (digest_at != std::string_view::npos) {
        auto digest = line.substr(digest_at + digest_label.size());
        digest = digest.substr(0, digest.find(')'));
        if (digest.size() == 64 && zone::text::hex_decode(digest)) {
            parts.digest = std::string(digest);
        }
    }
}

std::vector<std::string_view> views(std::span<const std::string> parts)
{
    return {parts.begin(), parts.end()};
}

// The digest of signed_file_digest over a block given as consecutive parts.
std::string digest_parts(std::string_view user_text, const std::vector<std::string>& included_texts,
                         std::span<const std::string_view> block_parts)
{
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
    bool ok = context && EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) == 1;
    auto add = [&](std::string_view part) {
        ok = ok && EVP_DigestUpdate(context.get(), part.data(), part.size()) == 1;
    };
    auto add_with_length = [&](std::string_view part) {
        add(fmt::format("{}:", part.size()));
        add(part);
    };
    add_with_length(user_text);
    for (const auto& text : included_texts) {
        add_with_length(text);
    }
    std::size_t block_size = 0;
    for (const auto& part : block_parts) {
        block_size += part.size();
    }
    add(fmt::format("{}:", block_size));
    for (const auto& part : block_parts) {
        add(part);
    }

    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (!ok || EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1) {
        // An empty digest matches no marker, so the next signing verifies every signature it
        // reuses.
        return {};
    }
    return zone::text::hex_encode(std::span<const std::uint8_t>(digest.data(), length));
}

std::string join_parts(std::string_view user_text, std::uint32_t serial, std::string_view digest,
                       std::span<const std::string_view> block_parts)
{
    const std::string marker = signed_block_marker_line(serial, digest);
    std::size_t size = user_text.size() + 1 + marker.size() + 1;
    for (const auto& part : block_parts) {
        size += part.size();
    }
    std::string text;
    text.reserve(size);
    text += user_text;
    if (!text.empty() && !text.ends_with('\n')) {
        text += '\n';
    }
    text += marker;
    text += '\n';
    for (const auto& part : block_parts) {
        text += part;
    }
    return text;
}

} // namespace

SignedFileParts split_signed_file(std::string_view text)
{
    SignedFileParts parts;
    std::size_t start = 0;
    std::uint32_t line_number = 1;
    while (start < text.size()) {
        const auto newline = text.find('\n', start);
        const auto end = newline == std::string_view::npos ? text.size() : newline + 1;
        const auto line = text.substr(start, end - start);
        if (line.starts_with(signed_block_marker)) {
            parts.user_text = std::string(text.substr(0, start));
            parts.block = std::string(text.substr(end));
            parts.marker_line = line_number;
            parse_marker(line, parts);
            return parts;
        }
        start = end;
        ++line_number;
    }
    parts.user_text = std::string(text);
    return parts;
}

std::string signed_file_digest(std::string_view user_text,
                               const std::vector<std::string>& included_texts,
                               std::string_view block)
{
    return digest_parts(user_text, included_texts, std::span(&block, 1));
}

std::string signed_file_digest(std::string_view user_text,
                               const std::vector<std::string>& included_texts,
                               std::span<const std::string> block_parts)
{
    return digest_parts(user_text, included_texts, views(block_parts));
}

std::string signed_block_marker_line(std::uint32_t serial, std::string_view digest)
{
    return fmt::format("{} generated records below are replaced at each signing {}{}{}{})",
                       signed_block_marker, serial_label, serial, digest_label, digest);
}

std::string join_signed_file(std::string_view user_text, std::uint32_t serial,
                             std::string_view digest, std::string_view block)
{
    return join_parts(user_text, serial, digest, std::span(&block, 1));
}

std::string join_signed_file(std::string_view user_text, std::uint32_t serial,
                             std::string_view digest, std::span<const std::string> block_parts)
{
    return join_parts(user_text, serial, digest, views(block_parts));
}

} // namespace robur::cli
