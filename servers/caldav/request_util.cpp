#include "servers/caldav/request_util.hpp"

#include <fmt/format.h>

#include "formats/icalendar/check.hpp"
#include "formats/vcard/check.hpp"

namespace robur::caldav {

Response error_response(const Request& request, const Error& error)
{
    http::status status = http::status::internal_server_error;
    switch (error.code) {
    case Errc::not_found:
        status = http::status::not_found;
        break;
    case Errc::invalid_argument:
    case Errc::parse_error:
    case Errc::usage:
        status = http::status::bad_request;
        break;
    case Errc::conflict:
    case Errc::dirty_worktree:
        status = http::status::conflict;
        break;
    case Errc::validation_failed:
        status = http::status::forbidden;
        break;
    default:
        break;
    }
    return make_response(request, status, error.to_string() + "\n");
}

Response forbidden(const Request& request, const DavPath& path)
{
    return make_response(request, http::status::forbidden,
                         fmt::format("access to {} is not allowed for this user\n",
                                     path.href(false)));
}

bool etag_matches(std::string_view header, const std::string& etag, bool exists)
{
    std::size_t position = 0;
    while (position < header.size()) {
        auto comma = header.find(',', position);
        if (comma == std::string_view::npos) {
            comma = header.size();
        }
        auto item = header.substr(position, comma - position);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
            item.remove_suffix(1);
        }
        if (item == "*" && exists) {
            return true;
        }
        if (!etag.empty() && item == etag) {
            return true;
        }
        position = comma + 1;
    }
    return false;
}

std::optional<Response> check_preconditions(const Request& request, const Node& node)
{
    const auto if_match = request[http::field::if_match];
    if (!if_match.empty() &&
        !etag_matches(std::string_view(if_match.data(), if_match.size()), node.etag(),
                      node.exists())) {
        return make_response(request, http::status::precondition_failed,
                             "If-Match does not match the current ETag\n");
    }
    const auto if_none_match = request[http::field::if_none_match];
    if (!if_none_match.empty() &&
        etag_matches(std::string_view(if_none_match.data(), if_none_match.size()), node.etag(),
                     node.exists())) {
        return make_response(request, http::status::precondition_failed,
                             "If-None-Match matches the current resource\n");
    }
    return std::nullopt;
}

std::string content_type_for(const Node& node)
{
    if (node.kind == NodeKind::calendar_object) {
        return "text/calendar; charset=utf-8";
    }
    if (node.kind == NodeKind::address_object) {
        return "text/vcard; charset=utf-8";
    }
    const auto& name = node.path.segments.empty() ? std::string{} : node.path.segments.back();
    if (name.ends_with(".ics")) {
        return "text/calendar; charset=utf-8";
    }
    if (name.ends_with(".vcf")) {
        return "text/vcard; charset=utf-8";
    }
    if (name.ends_with(".txt")) {
        return "text/plain; charset=utf-8";
    }
    return "application/octet-stream";
}

Result<std::vector<store::FileChange>> removal_changes(const store::Snapshot& snapshot,
                                                       const Node& node)
{
    std::vector<store::FileChange> changes;
    const auto path = node.path.repository_path();
    if (node.is_collection()) {
        auto files = snapshot.list(path, true);
        if (!files) {
            return tl::unexpected(files.error());
        }
        for (const auto& file : *files) {
            changes.push_back({file.path, std::nullopt, store::mode_file});
        }
        return changes;
    }
    changes.push_back({path, std::nullopt, store::mode_file});
    const auto properties = property_file_path(node);
    if (snapshot.blob_id(properties)) {
        changes.push_back({properties, std::nullopt, store::mode_file});
    }
    return changes;
}

std::string resource_summary_suffix(const store::Snapshot& snapshot, const Node& node)
{
    auto text = snapshot.read(node.path.repository_path());
    if (!text) {
        return {};
    }
    if (node.kind == NodeKind::calendar_object) {
        const auto checked =
            icalendar::check_resource(*text, node.path.repository_path(), icalendar::Limits{});
        if (checked.resource) {
            return fmt::format(": {} (UID {})", checked.resource->summary, checked.resource->uid);
        }
    } else if (node.kind == NodeKind::address_object) {
        const auto checked =
            vcard::check_card(*text, node.path.repository_path(), vcard::Limits{});
        if (checked.card) {
            return fmt::format(": {} (UID {})", checked.card->formatted_name, checked.card->uid);
        }
    }
    return {};
}

std::optional<Depth> depth_header(const Request& request)
{
    const auto value = request["Depth"];
    if (value.empty()) {
        return std::nullopt;
    }
    if (value == "0") {
        return Depth::zero;
    }
    if (value == "1") {
        return Depth::one;
    }
    if (value == "infinity" || value == "Infinity") {
        return Depth::infinity;
    }
    return Depth::invalid;
}

} // namespace robur::caldav
