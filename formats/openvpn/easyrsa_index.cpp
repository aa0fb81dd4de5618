#include "formats/openvpn/easyrsa_index.hpp"

#include <cctype>
#include <ctime>

#include <fmt/format.h>

namespace robur::openvpn {

namespace {

std::vector<std::string_view> split_fields(std::string_view line)
{
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const auto tab = line.find('\t', start);
        if (tab == std::string_view::npos) {
            fields.push_back(line.substr(start));
            return fields;
        }
        fields.push_back(line.substr(start, tab - start));
        start = tab + 1;
    }
}

bool all_digits(std::string_view text)
{
    for (const char c : text) {
        if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
            return false;
        }
    }
    return true;
}

bool is_hex_serial(std::string_view text)
{
    if (text.empty()) {
        return false;
    }
    for (const char c : text) {
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
            return false;
        }
    }
    return true;
}

int number_at(std::string_view text, std::size_t offset, std::size_t length)
{
    int value = 0;
    for (std::size_t i = offset; i < offset + length; ++i) {
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

Result<IndexEntry> parse_entry(std::string_view line)
{
    const auto fields = split_fields(line);
    if (fields.size() != 6) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid index.txt entry: expected 6 tab-separated fields, "
                                      "found {}",
                                      fields.size()));
    }
    IndexEntry entry;
    if (fields[0] == "V") {
        entry.status = IndexStatus::valid;
    } else if (fields[0] == "R") {
        entry.status = IndexStatus::revoked;
    } else if (fields[0] == "E") {
        entry.status = IndexStatus::expired;
    } else {
        return make_error(Errc::parse_error,
                          fmt::format("invalid status '{}': expected V, R or E", fields[0]));
    }
    auto expires = parse_index_time(fields[1]);
    if (!expires) {
        return tl::unexpected(expires.error());
    }
    entry.expires_at = *expires;

    if (entry.status == IndexStatus::revoked) {
        const auto comma = fields[2].find(',');
        auto revoked = parse_index_time(fields[2].substr(0, comma));
        if (!revoked) {
            return tl::unexpected(revoked.error());
        }
        entry.revoked_at = *revoked;
        if (comma != std::string_view::npos) {
            entry.revocation_reason = std::string(fields[2].substr(comma + 1));
        }
    } else if (!fields[2].empty()) {
        return make_error(Errc::parse_error, "invalid entry: a revocation date on a valid entry");
    }

    if (!is_hex_serial(fields[3])) {
        return make_error(Errc::parse_error, fmt::format("invalid serial '{}'", fields[3]));
    }
    entry.serial = std::string(fields[3]);
    for (auto& c : entry.serial) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    entry.file_name = std::string(fields[4]);
    entry.subject = std::string(fields[5]);
    return entry;
}

} // namespace

std::string IndexEntry::common_name() const
{
    const auto start = subject.find("/CN=");
    if (start == std::string::npos) {
        return {};
    }
    const auto value = start + 4;
    const auto end = subject.find('/', value);
    return subject.substr(value, end == std::string::npos ? std::string::npos : end - value);
}

std::string format_index_time(std::int64_t unix_seconds)
{
    const auto seconds = static_cast<std::time_t>(unix_seconds);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    const int year = parts.tm_year + 1900;
    if (year < 2050) {
        return fmt::format("{:02}{:02}{:02}{:02}{:02}{:02}Z", year % 100, parts.tm_mon + 1,
                           parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
    }
    return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}Z", year, parts.tm_mon + 1, parts.tm_mday,
                       parts.tm_hour, parts.tm_min, parts.tm_sec);
}

Result<std::int64_t> parse_index_time(std::string_view text)
{
    const bool utc_time = text.size() == 13;
    const bool generalized = text.size() == 15;
    if ((!utc_time && !generalized) || text.back() != 'Z' ||
        !all_digits(text.substr(0, text.size() - 1))) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid time '{}': expected YYMMDDHHMMSSZ", text));
    }
    std::tm parts{};
    std::size_t offset = 0;
    if (utc_time) {
        // RFC 5280 section 4.1.2.5.1: two-digit years 50 to 99 are 19YY, the rest 20YY.
        const int year = number_at(text, 0, 2);
        parts.tm_year = (year >= 50 ? 1900 + year : 2000 + year) - 1900;
        offset = 2;
    } else {
        parts.tm_year = number_at(text, 0, 4) - 1900;
        offset = 4;
    }
    parts.tm_mon = number_at(text, offset, 2) - 1;
    parts.tm_mday = number_at(text, offset + 2, 2);
    parts.tm_hour = number_at(text, offset + 4, 2);
    parts.tm_min = number_at(text, offset + 6, 2);
    parts.tm_sec = number_at(text, offset + 8, 2);
    if (parts.tm_mon < 0 || parts.tm_mon > 11 || parts.tm_mday < 1 || parts.tm_mday > 31 ||
        parts.tm_hour > 23 || parts.tm_min > 59 || parts.tm_sec > 60) {
        return make_error(Errc::parse_error, fmt::format("invalid time '{}'", text));
    }
    return static_cast<std::int64_t>(timegm(&parts));
}

IndexOutcome parse_index(std::string_view text, std::string_view path)
{
    IndexOutcome outcome;
    std::uint32_t line_number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const auto line = text.substr(start, end - start);
        start = end + 1;
        ++line_number;
        if (line.empty()) {
            continue;
        }
        auto entry = parse_entry(line);
        if (!entry) {
            outcome.diagnostics.push_back(
                {Severity::error, {std::string(path), line_number, 0}, entry.error().message});
            continue;
        }
        outcome.entries.push_back(std::move(*entry));
    }
    return outcome;
}

std::string write_index(const std::vector<IndexEntry>& entries)
{
    std::string text;
    for (const auto& entry : entries) {
        const char status = entry.status == IndexStatus::valid     ? 'V'
                            : entry.status == IndexStatus::revoked ? 'R'
                                                                   : 'E';
        std::string revoked;
        if (entry.status == IndexStatus::revoked) {
            revoked = format_index_time(entry.revoked_at);
            if (!entry.revocation_reason.empty()) {
                revoked += ',' + entry.revocation_reason;
            }
        }
        text += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\n", status, format_index_time(entry.expires_at),
                            revoked, entry.serial, entry.file_name, entry.subject);
    }
    return text;
}

} // namespace robur::openvpn
