#include "servers/caldav/collection_limits.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "servers/caldav/multistatus.hpp"

namespace robur::caldav {

namespace {

bool is_property_file(const std::string& path)
{
    return path.starts_with('.') || path.find("/.") != std::string::npos;
}

} // namespace

Result<std::size_t> count_members(const store::Snapshot& snapshot, const Node& collection)
{
    if (!collection.tree) {
        return std::size_t{0};
    }
    const auto folder = collection.path.repository_path();
    auto entries = snapshot.list(folder);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    std::size_t members = 0;
    for (const auto& entry : *entries) {
        if (!is_property_file(entry.path.substr(folder.size() + 1))) {
            ++members;
        }
    }
    return members;
}

std::optional<Result<WritePlan>> check_room_for_member(const Request& request,
                                                       const store::Snapshot& snapshot,
                                                       const Node& collection,
                                                       std::size_t max_members)
{
    auto members = count_members(snapshot, collection);
    if (!members) {
        return Result<WritePlan>(tl::unexpected(members.error()));
    }
    if (*members < max_members) {
        return std::nullopt;
    }
    // RFC 4331 defines no element for a member count. DAV:quota-not-exceeded is the closest,
    // because CALDAV:max-resource-size and CARDDAV:max-resource-size limit one resource only.
    const auto message = fmt::format("the collection {} has {} members, the maximum is {}; "
                                     "remove a member or raise caldav.max-collection-size",
                                     collection.href(), *members, max_members);
    log::get("caldav")->debug("collection full target={} members={} max={}",
                              collection.href(), *members, max_members);
    WritePlan plan;
    plan.immediate =
        make_xml_response(request, http::status::insufficient_storage,
                          error_body({"DAV:", "quota-not-exceeded"}, escape_xml(message)));
    return Result<WritePlan>(std::move(plan));
}

std::optional<Response> check_resource_sizes(const Request& request, Area area,
                                             const std::vector<store::FileChange>& changes,
                                             std::size_t max_bytes)
{
    for (const auto& change : changes) {
        if (!change.content || change.content->size() <= max_bytes ||
            is_property_file(change.path)) {
            continue;
        }
        const auto message = fmt::format("{} has {} bytes, the maximum is {} "
                                         "(caldav.max-resource-size)",
                                         change.path, change.content->size(), max_bytes);
        log::get("caldav")->debug("copied resource too large path={} bytes={} max={}",
                                  change.path, change.content->size(), max_bytes);
        if (area == Area::files) {
            return make_response(request, http::status::insufficient_storage, message + "\n");
        }
        const auto ns = area == Area::calendars ? caldav_ns : carddav_ns;
        return make_xml_response(request, http::status::forbidden,
                                 error_body({std::string(ns), "max-resource-size"},
                                            escape_xml(message)));
    }
    return std::nullopt;
}

} // namespace robur::caldav
