// COPY and MOVE (RFC 4918 sections 9.8 and 9.9).

#include <map>

#include <fmt/format.h>

#include "servers/caldav/collection_limits.hpp"
#include "servers/caldav/handler.hpp"
#include "servers/caldav/request_util.hpp"

namespace robur::caldav {

namespace {

using ChangeSet = std::map<std::string, std::optional<std::string>>;

bool is_inside(const DavPath& path, const DavPath& ancestor)
{
    if (path.owner != ancestor.owner || path.area != ancestor.area ||
        path.segments.size() < ancestor.segments.size()) {
        return false;
    }
    return std::equal(ancestor.segments.begin(), ancestor.segments.end(), path.segments.begin());
}

// Adds the files that copy `source` to `destination`: every file below a collection with
// depth infinity, only its property file with depth 0, or a resource with its dead
// properties.
Result<void> add_copies(const store::Snapshot& snapshot, const Node& source,
                        const Node& destination, bool shallow, ChangeSet& changes)
{
    const auto from = source.path.repository_path();
    const auto to = destination.path.repository_path();
    if (!source.is_collection()) {
        auto content = snapshot.read(from);
        if (!content) {
            return tl::unexpected(content.error());
        }
        changes[to] = std::move(*content);
        if (auto properties = snapshot.read(property_file_path(source))) {
            changes[property_file_path(destination)] = std::move(*properties);
        }
        return {};
    }
    if (shallow) {
        auto properties = read_properties(snapshot, source);
        if (!properties) {
            return tl::unexpected(properties.error());
        }
        changes[fmt::format("{}/{}", to, collection_file_name)] = write_properties(*properties);
        return {};
    }
    auto files = snapshot.list(from, true);
    if (!files) {
        return tl::unexpected(files.error());
    }
    for (const auto& file : *files) {
        auto content = snapshot.read(file.path);
        if (!content) {
            return tl::unexpected(content.error());
        }
        changes[to + file.path.substr(from.size())] = std::move(*content);
    }
    if (!changes.contains(fmt::format("{}/{}", to, collection_file_name))) {
        auto properties = read_properties(snapshot, source);
        if (properties) {
            changes[fmt::format("{}/{}", to, collection_file_name)] = write_properties(*properties);
        }
    }
    return {};
}

void add_removals(const std::vector<store::FileChange>& removals, ChangeSet& changes)
{
    for (const auto& removal : removals) {
        changes.emplace(removal.path, std::nullopt);
    }
}

// Checks that the destination may hold a copy of the source: the same area, and in
// calendars/ and contacts/ a collection in the home or a resource in a collection.
bool fits(const Node& source, const DavPath& destination)
{
    if (destination.segments.empty() || destination.area != source.path.area) {
        return false;
    }
    if (destination.area == Area::files) {
        return true;
    }
    return destination.segments.size() == (source.is_collection() ? 1U : 2U);
}

} // namespace

Response Handler::copy_move(const RequestContext& context, bool move)
{
    const auto destination_header = as_std(context.request["Destination"]);
    auto destination = parse_dav_path(destination_header);
    if (destination_header.empty() || !destination) {
        return make_response(context.request, http::status::bad_request,
                             "Destination is missing or outside the server's URL layout\n");
    }
    const auto overwrite = as_std(context.request["Overwrite"]);
    if (!overwrite.empty() && overwrite != "T" && overwrite != "F") {
        return make_response(context.request, http::status::bad_request,
                             "Overwrite must be T or F\n");
    }
    const auto depth = depth_header(context.request).value_or(Depth::infinity);
    if (depth == Depth::invalid || depth == Depth::one || (move && depth != Depth::infinity)) {
        return make_response(context.request, http::status::bad_request,
                             move ? "MOVE takes Depth: infinity only\n"
                                  : "COPY takes Depth: 0 or infinity\n");
    }
    if (*destination == context.path) {
        return make_response(context.request, http::status::forbidden,
                             "source and destination are the same\n");
    }
    const bool shallow = depth == Depth::zero;
    const bool may_overwrite = overwrite != "F";
    return run_write(context, [&](const store::Snapshot& snapshot) -> Result<WritePlan> {
        WritePlan plan;
        auto source = resolve_node(snapshot, context.path);
        auto target = resolve_node(snapshot, *destination);
        auto parent = resolve_node(snapshot, destination->parent());
        if (!source || !target || !parent) {
            return tl::unexpected(!source ? source.error()
                                  : !target ? target.error()
                                            : parent.error());
        }
        if (!source->exists()) {
            plan.immediate = make_response(context.request, http::status::not_found);
            return plan;
        }
        const bool allowed = (move ? may_write(context.user, snapshot, context.path)
                                   : may_read(context.user, snapshot, context.path)) &&
                             may_write(context.user, snapshot, *destination) &&
                             !context.path.segments.empty();
        if (!allowed || !fits(*source, *destination) ||
            (source->is_collection() && is_inside(*destination, context.path))) {
            plan.immediate = make_response(context.request, http::status::forbidden,
                                           "the destination cannot hold this resource\n");
            return plan;
        }
        if (!parent->is_collection() || parent->kind == NodeKind::principal ||
            (!source->is_collection() && parent->kind == NodeKind::home &&
             destination->area != Area::files)) {
            plan.immediate = make_response(context.request, http::status::conflict,
                                           "the destination's parent collection does not exist\n");
            return plan;
        }
        if (target->exists() && !may_overwrite) {
            plan.immediate = make_response(context.request, http::status::precondition_failed,
                                           "the destination exists and Overwrite is F\n");
            return plan;
        }
        if (auto failed = check_preconditions(context.request, *source)) {
            plan.immediate = std::move(*failed);
            return plan;
        }

        // A new member needs room in the destination collection, unless a MOVE only renames
        // it inside the same collection.
        if (!target->exists() && !(move && destination->parent() == context.path.parent())) {
            if (auto full = check_room_for_member(context.request, snapshot, *parent,
                                                  settings_.max_collection_size)) {
                return std::move(*full);
            }
        }

        ChangeSet changes;
        if (target->exists()) {
            auto removals = removal_changes(snapshot, *target);
            if (!removals) {
                return tl::unexpected(removals.error());
            }
            add_removals(*removals, changes);
        }
        if (move) {
            auto removals = removal_changes(snapshot, *source);
            if (!removals) {
                return tl::unexpected(removals.error());
            }
            add_removals(*removals, changes);
        }
        Node copy = *target;
        copy.kind = source->kind;
        if (auto added = add_copies(snapshot, *source, copy, shallow, changes); !added) {
            return tl::unexpected(added.error());
        }
        for (auto& [path, content] : changes) {
            plan.changes.push_back({path, std::move(content), store::mode_file});
        }
        if (auto failed = check_resource_sizes(context.request, destination->area, plan.changes,
                                               settings_.max_resource_size)) {
            plan.immediate = std::move(*failed);
            return plan;
        }
        plan.message = fmt::format("{} {} to {}", move ? "MOVE" : "COPY", source->href(),
                                   destination->href(source->is_collection()));
        plan.response = make_response(context.request, target->exists()
                                                           ? http::status::no_content
                                                           : http::status::created);
        return plan;
    });
}

} // namespace robur::caldav
