#pragma once

#include <optional>
#include <string>
#include <vector>

#include "formats/icalendar/collection_file.hpp"
#include "servers/caldav/handler.hpp"
#include "servers/caldav/resource.hpp"
#include "servers/caldav/resource_cache.hpp"
#include "servers/caldav/xml.hpp"
#include "store/snapshot.hpp"

namespace robur::caldav {

// The request state that live property values depend on, besides the node.
struct PropertyContext {
    const store::Snapshot& snapshot;
    const UserRecord& user;
    const HandlerSettings& settings;
    ResourceCache* resources = nullptr; // cached facts and escaped bytes of blobs, when set
};

// Returns the content (XML text) of a live property of a node, or nullopt when the node does
// not have that property.
[[nodiscard]] std::optional<std::string> live_property(const PropertyContext& context,
                                                       const Node& node, const XmlName& name);

// Lists the live properties of a node, for allprop and propname (RFC 4918 section 9.1).
[[nodiscard]] std::vector<XmlName> live_property_names(const Node& node);

// Returns the sync token of a commit: a URI holding the commit id (RFC 6578 section 3.2).
[[nodiscard]] std::string sync_token_for(const store::ObjectId& commit);

// Parses a sync token made by sync_token_for; nullopt for any other text.
[[nodiscard]] std::optional<store::ObjectId> commit_from_sync_token(std::string_view token);

// Applies one DAV:set (or, with `remove`, DAV:remove) of a property to the properties of a
// node of `kind`. `creating` is set inside MKCALENDAR and extended MKCOL, where
// resourcetype and supported-calendar-component-set may be given. Returns 200, or a failure
// status with `error` holding the precondition element (RFC 4918 section 9.2): 403 for a
// protected property, 409 for an invalid CALDAV:calendar-timezone on a calendar.
unsigned apply_property(icalendar::CollectionProperties& properties, NodeKind kind,
                        const XmlElement& property, bool remove, bool creating,
                        std::string& error);

} // namespace robur::caldav
