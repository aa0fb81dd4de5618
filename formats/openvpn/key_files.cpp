#include "formats/openvpn/key_files.hpp"

#include <openssl/rand.h>

#include <fmt/format.h>

namespace robur::openvpn {

namespace {

constexpr std::string_view static_key_begin = "-----BEGIN OpenVPN Static key V1-----";
constexpr std::string_view static_key_end = "-----END OpenVPN Static key V1-----";
constexpr std::size_t static_key_lines = 16;
constexpr std::size_t static_key_line_digits = 32;
constexpr std::string_view pem_begin = "-----BEGIN ";
constexpr std::string_view pem_end = "-----END ";
constexpr std::string_view pem_dashes = "-----";

// Splits text into lines without their "\n" or "\r\n".
std::vector<std::string_view> split_lines(std::string_view text)
{
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        auto line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

tl::unexpected<Error> error_at(std::string_view path, std::size_t line, std::string message)
{
    return make_error(Errc::parse_error, std::move(message),
                      SourceLocation{std::string(path), static_cast<std::uint32_t>(line), 0});
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

// Decodes one block's base64 body. `padding_seen` carries across lines, because '=' may
// only end the body.
Result<void> decode_base64_line(std::string_view line, std::vector<std::uint8_t>& data,
                                std::uint32_t& bits, int& bit_count, bool& padding_seen)
{
    for (const char c : line) {
        if (c == '=') {
            padding_seen = true;
            continue;
        }
        const int value = base64_value(c);
        if (value < 0) {
            return make_error(Errc::parse_error,
                              fmt::format("invalid base64 character '{}'", c));
        }
        if (padding_seen) {
            return make_error(Errc::parse_error, "base64 data after '=' padding");
        }
        bits = (bits << 6) | static_cast<std::uint32_t>(value);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            data.push_back(static_cast<std::uint8_t>((bits >> bit_count) & 0xff));
        }
    }
    return {};
}

bool is_header_line(std::string_view line)
{
    return line.find(':') != std::string_view::npos;
}

// Reads one block starting at lines[first], which holds the BEGIN line.
Result<PemBlock> read_block(const std::vector<std::string_view>& lines, std::size_t first,
                            std::string_view path)
{
    const auto begin = trim(lines[first]);
    if (begin.size() <= pem_begin.size() + pem_dashes.size() ||
        begin.substr(begin.size() - pem_dashes.size()) != pem_dashes) {
        return error_at(path, first + 1, fmt::format("invalid PEM BEGIN line '{}'", begin));
    }
    PemBlock block;
    block.label = std::string(
        begin.substr(pem_begin.size(), begin.size() - pem_begin.size() - pem_dashes.size()));
    block.begin_line = static_cast<std::uint32_t>(first + 1);
    const std::string end = fmt::format("{}{}{}", pem_end, block.label, pem_dashes);

    std::uint32_t bits = 0;
    int bit_count = 0;
    bool padding_seen = false;
    bool in_headers = true;
    for (std::size_t i = first + 1; i < lines.size(); ++i) {
        const auto line = trim(lines[i]);
        if (line.starts_with(pem_end)) {
            if (line != end) {
                return error_at(path, i + 1,
                                fmt::format("PEM END line '{}' does not match BEGIN line {} "
                                            "(expected '{}')",
                                            line, first + 1, end));
            }
            if (block.data.empty()) {
                return error_at(path, i + 1, fmt::format("empty PEM block '{}'", block.label));
            }
            block.end_line = static_cast<std::uint32_t>(i + 1);
            return block;
        }
        if (in_headers && (is_header_line(line) || (line.empty() && i > first + 1))) {
            continue;
        }
        in_headers = false;
        auto decoded = decode_base64_line(line, block.data, bits, bit_count, padding_seen);
        if (!decoded) {
            return error_at(path, i + 1, decoded.error().message);
        }
    }
    return error_at(path, first + 1,
                    fmt::format("PEM block '{}' has no END line '{}'", block.label, end));
}

Result<std::vector<std::uint8_t>> single_block(std::string_view text, std::string_view path,
                                               std::string_view label)
{
    auto blocks = parse_pem_blocks(text, path);
    if (!blocks) {
        return tl::unexpected(blocks.error());
    }
    for (auto& block : *blocks) {
        if (block.label == label) {
            return std::move(block.data);
        }
    }
    return error_at(path, 1, fmt::format("no '-----BEGIN {}-----' block found", label));
}

std::uint32_t line_of_block(std::string_view text, std::string_view label)
{
    const auto lines = split_lines(text);
    const std::string begin = fmt::format("{}{}{}", pem_begin, label, pem_dashes);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (trim(lines[i]) == begin) {
            return static_cast<std::uint32_t>(i + 1);
        }
    }
    return 1;
}

} // namespace

Result<StaticKey> parse_static_key(std::string_view text, std::string_view path)
{
    const auto lines = split_lines(text);
    std::size_t index = 0;
    while (index < lines.size() && trim(lines[index]) != static_key_begin) {
        ++index;
    }
    if (index == lines.size()) {
        return error_at(path, 1, fmt::format("not an OpenVPN static key: no '{}' line "
                                              "(generate one with openvpn --genkey secret FILE)",
                                              static_key_begin));
    }

    StaticKey key;
    const std::size_t begin_line = index;
    for (std::size_t row = 0; row < static_key_lines; ++row) {
        const std::size_t at = begin_line + 1 + row;
        if (at >= lines.size()) {
            return error_at(path, at, fmt::format("static key ends after {} of {} key lines",
                                                  row, static_key_lines));
        }
        const auto line = trim(lines[at]);
        if (line == static_key_end) {
            return error_at(path, at + 1, fmt::format("static key has {} key lines, expected {}",
                                                      row, static_key_lines));
        }
        if (line.size() != static_key_line_digits) {
            return error_at(path, at + 1,
                            fmt::format("static key line has {} characters, expected {} "
                                        "hexadecimal digits",
                                        line.size(), static_key_line_digits));
        }
        for (std::size_t i = 0; i < line.size(); i += 2) {
            const int high = hex_value(line[i]);
            const int low = hex_value(line[i + 1]);
            if (high < 0 || low < 0) {
                return error_at(path, at + 1,
                                fmt::format("invalid hexadecimal digit in '{}'", line));
            }
            key.bytes[row * static_key_line_digits / 2 + i / 2] =
                static_cast<std::uint8_t>(high * 16 + low);
        }
    }

    const std::size_t end_at = begin_line + 1 + static_key_lines;
    if (end_at >= lines.size() || trim(lines[end_at]) != static_key_end) {
        return error_at(path, end_at + 1,
                        fmt::format("expected '{}' after {} key lines", static_key_end,
                                    static_key_lines));
    }
    return key;
}

std::string write_static_key(const StaticKey& key)
{
    std::string text = "#\n# 2048 bit OpenVPN static key\n#\n";
    text += static_key_begin;
    text += '\n';
    for (std::size_t row = 0; row < static_key_lines; ++row) {
        for (std::size_t i = 0; i < static_key_line_digits / 2; ++i) {
            text += fmt::format("{:02x}", key.bytes[row * static_key_line_digits / 2 + i]);
        }
        text += '\n';
    }
    text += static_key_end;
    text += '\n';
    return text;
}

Result<StaticKey> generate_static_key()
{
    StaticKey key;
    if (RAND_bytes(key.bytes.data(), static_cast<int>(key.bytes.size())) != 1) {
        return make_error(Errc::internal, "OpenSSL RAND_bytes failed to produce a static key");
    }
    return key;
}

Result<std::vector<PemBlock>> parse_pem_blocks(std::string_view text, std::string_view path)
{
    const auto lines = split_lines(text);
    std::vector<PemBlock> blocks;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto line = trim(lines[i]);
        if (line.starts_with(pem_end)) {
            return error_at(path, i + 1, fmt::format("PEM END line '{}' without BEGIN", line));
        }
        if (!line.starts_with(pem_begin)) {
            continue;
        }
        auto block = read_block(lines, i, path);
        if (!block) {
            return tl::unexpected(block.error());
        }
        i = block->end_line - 1;
        blocks.push_back(std::move(*block));
    }
    return blocks;
}

Result<std::vector<std::uint8_t>> parse_tls_crypt_v2_server_key(std::string_view text,
                                                                std::string_view path)
{
    constexpr std::string_view label = "OpenVPN tls-crypt-v2 server key";
    auto data = single_block(text, path, label);
    if (!data) {
        return data;
    }
    if (data->size() != tls_crypt_v2_server_key_bytes) {
        return error_at(path, line_of_block(text, label),
                        fmt::format("tls-crypt-v2 server key holds {} octets, expected {}",
                                    data->size(), tls_crypt_v2_server_key_bytes));
    }
    return data;
}

Result<TlsCryptV2ClientKey> parse_tls_crypt_v2_client_key(std::string_view text,
                                                          std::string_view path)
{
    constexpr std::string_view label = "OpenVPN tls-crypt-v2 client key";
    auto data = single_block(text, path, label);
    if (!data) {
        return tl::unexpected(data.error());
    }
    const auto line = line_of_block(text, label);
    if (data->size() <= tls_crypt_v2_client_key_bytes + 2) {
        return error_at(path, line,
                        fmt::format("tls-crypt-v2 client key holds {} octets, expected the {}-octet "
                                    "key and a wrapped key",
                                    data->size(), tls_crypt_v2_client_key_bytes));
    }
    TlsCryptV2ClientKey key;
    const auto split = data->begin() + static_cast<std::ptrdiff_t>(tls_crypt_v2_client_key_bytes);
    key.key.assign(data->begin(), split);
    key.wrapped_key.assign(split, data->end());

    const std::size_t wrapped_size = key.wrapped_key.size();
    if (wrapped_size > tls_crypt_v2_max_wrapped_key_bytes) {
        return error_at(path, line,
                        fmt::format("tls-crypt-v2 wrapped client key holds {} octets, more than "
                                    "the maximum of {}",
                                    wrapped_size, tls_crypt_v2_max_wrapped_key_bytes));
    }
    // The wrapped key ends with its own length in network byte order; the server rejects a
    // client whose length does not match.
    const std::size_t stated = static_cast<std::size_t>(key.wrapped_key[wrapped_size - 2]) * 256 +
                               key.wrapped_key[wrapped_size - 1];
    if (stated != wrapped_size) {
        return error_at(path, line,
                        fmt::format("tls-crypt-v2 wrapped client key states a length of {} "
                                    "octets but holds {}",
                                    stated, wrapped_size));
    }
    return key;
}

} // namespace robur::openvpn
