#include "servers/caldav/dav_path.hpp"

#include <fmt/format.h>

#include "servers/caldav/user_file.hpp"

namespace robur::caldav {

namespace {

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

std::optional<std::string> decode_segment(std::string_view text)
{
    std::string decoded;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            decoded.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) {
            return std::nullopt;
        }
        const int high = hex_value(text[i + 1]);
        const int low = hex_value(text[i + 2]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        decoded.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return decoded;
}

bool is_acceptable_segment(std::string_view segment)
{
    return !segment.empty() && segment.front() != '.' &&
           segment.find('/') == std::string_view::npos &&
           segment.find('\0') == std::string_view::npos;
}

std::optional<Area> area_from_segment(std::string_view segment)
{
    if (segment == "calendars") {
        return Area::calendars;
    }
    if (segment == "contacts") {
        return Area::contacts;
    }
    if (segment == "files") {
        return Area::files;
    }
    return std::nullopt;
}

} // namespace

std::string_view area_segment(Area area)
{
    switch (area) {
    case Area::calendars:
        return "calendars";
    case Area::contacts:
        return "contacts";
    case Area::files:
        return "files";
    case Area::none:
        break;
    }
    return "";
}

std::string DavPath::repository_path() const
{
    if (area == Area::none) {
        return {};
    }
    std::string path = fmt::format("{}/{}", area_segment(area), owner);
    for (const auto& segment : segments) {
        path += "/" + segment;
    }
    return path;
}

std::string DavPath::href(bool collection) const
{
    if (owner.empty()) {
        return "/";
    }
    std::string path = "/" + owner;
    if (area != Area::none) {
        path += "/" + std::string(area_segment(area));
    }
    for (const auto& segment : segments) {
        path += "/" + encode_segment(segment);
    }
    return collection ? path + "/" : path;
}

DavPath DavPath::child(std::string_view name) const
{
    DavPath path = *this;
    path.segments.emplace_back(name);
    return path;
}

DavPath DavPath::parent() const
{
    DavPath path = *this;
    if (!path.segments.empty()) {
        path.segments.pop_back();
    } else if (path.area != Area::none) {
        path.area = Area::none;
    } else {
        path.owner.clear();
    }
    return path;
}

std::optional<DavPath> parse_dav_path(std::string_view target)
{
    if (const auto scheme = target.find("://"); scheme != std::string_view::npos) {
        const auto slash = target.find('/', scheme + 3);
        target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
    if (const auto query = target.find_first_of("?#"); query != std::string_view::npos) {
        target = target.substr(0, query);
    }
    if (!target.starts_with('/')) {
        return std::nullopt;
    }

    std::vector<std::string> segments;
    std::size_t start = 1;
    while (start < target.size()) {
        auto end = target.find('/', start);
        if (end == std::string_view::npos) {
            end = target.size();
        }
        auto segment = decode_segment(target.substr(start, end - start));
        if (!segment || !is_acceptable_segment(*segment)) {
            return std::nullopt;
        }
        segments.push_back(std::move(*segment));
        start = end + 1;
    }

    DavPath path;
    if (segments.empty()) {
        return path;
    }
    if (!is_valid_user_name(segments[0])) {
        return std::nullopt;
    }
    path.owner = segments[0];
    if (segments.size() == 1) {
        return path;
    }
    const auto area = area_from_segment(segments[1]);
    if (!area) {
        return std::nullopt;
    }
    path.area = *area;
    path.segments.assign(segments.begin() + 2, segments.end());
    if (path.area != Area::files && path.segments.size() > 2) {
        return std::nullopt;
    }
    return path;
}

std::string encode_segment(std::string_view segment)
{
    std::string encoded;
    for (const char c : segment) {
        const auto byte = static_cast<unsigned char>(c);
        const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                          c == '~' || c == '@' || c == '+' || c == '=' || c == '!' || c == '$' ||
                          c == '\'' || c == '(' || c == ')' || c == '*' || c == ',' || c == ';' ||
                          c == ':';
        if (keep) {
            encoded.push_back(c);
        } else {
            encoded += fmt::format("%{:02X}", byte);
        }
    }
    return encoded;
}

} // namespace robur::caldav
