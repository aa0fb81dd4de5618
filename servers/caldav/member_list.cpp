#include "servers/caldav/member_list.hpp"

namespace robur::caldav {

Result<std::vector<Node>> list_collection_members(const store::Snapshot& snapshot,
                                                  const Node& collection)
{
    const bool objects_only =
        collection.kind == NodeKind::calendar || collection.kind == NodeKind::addressbook;
    if (!objects_only || !collection.tree) {
        return list_members(snapshot, collection);
    }
    auto entries = snapshot.list(collection.path.repository_path());
    if (!entries) {
        return tl::unexpected(entries.error());
    }

    const auto kind = collection.kind == NodeKind::calendar ? NodeKind::calendar_object
                                                            : NodeKind::address_object;
    std::vector<Node> members;
    members.reserve(entries->size());
    for (auto& entry : *entries) {
        const auto name = std::string_view(entry.path).substr(entry.path.rfind('/') + 1);
        // Dot files hold properties, and a folder inside a calendar or address book is no
        // member, as resolve_node() finds.
        if (name.starts_with('.') || entry.is_folder()) {
            continue;
        }
        members.push_back(Node{.kind = kind,
                               .path = collection.path.child(name),
                               .blob = entry.id,
                               .tree = std::nullopt,
                               .properties = {}});
    }
    return members;
}

} // namespace robur::caldav
