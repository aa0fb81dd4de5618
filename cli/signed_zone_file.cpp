#include "cli/signed_zone_file.hpp"

#include <array>
#include <charconv>

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
    std::string input;
    auto add = [&input](std::string_view part) {
        input += fmt::format("{}:", part.size());
        input += part;
    };
    add(user_text);
    for (const auto& text : included_texts) {
        add(text);
    }
    add(block);

    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
        1) {
        // An empty digest matches no marker, so the next signing verifies every signature it
        // reuses.
        return {};
    }
    return zone::text::hex_encode(std::span<const std::uint8_t>(digest.data(), length));
}

std::string signed_block_marker_line(std::uint32_t serial, std::string_view digest)
{
    return fmt::format("{} generated records below are replaced at each signing {}{}{}{})",
                       signed_block_marker, serial_label, serial, digest_label, digest);
}

std::string join_signed_file(std::string_view user_text, std::uint32_t serial,
                             std::string_view digest, std::string_view block)
{
    std::string text(user_text);
    if (!text.empty() && !text.ends_with('\n')) {
        text += '\n';
    }
    text += signed_block_marker_line(serial, digest);
    text += '\n';
    text += block;
    return text;
}

} // namespace robur::cli
