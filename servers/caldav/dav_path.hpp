#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace robur::caldav {

// The three trees a user owns, each a folder of the repository.
enum class Area {
    none,      // the root "/" or a principal "/<user>/"
    calendars, // /<user>/calendars/<calendar>/<name>  ->  calendars/<user>/<calendar>/<name>
    contacts,  // /<user>/contacts/<book>/<name>       ->  contacts/<user>/<book>/<name>
    files,     // /<user>/files/<path...>              ->  files/<user>/<path...>
};

// A request target resolved against the URL layout. Segments are percent-decoded.
struct DavPath {
    std::string owner;                 // empty for the root
    Area area = Area::none;
    std::vector<std::string> segments; // below the area's home folder

    // The repository folder or file this path names: "calendars/alice/work/x.ics". Empty for
    // the root and for principals, which exist only in URLs.
    [[nodiscard]] std::string repository_path() const;

    // The URL path, percent-encoded, with a trailing slash when `collection` is set.
    [[nodiscard]] std::string href(bool collection) const;

    // The path with one more segment.
    [[nodiscard]] DavPath child(std::string_view name) const;

    // The parent path; the root's parent is the root.
    [[nodiscard]] DavPath parent() const;

    // Returns true for a path of the home folder of an area: "/<user>/calendars/".
    [[nodiscard]] bool is_home() const { return area != Area::none && segments.empty(); }

    friend bool operator==(const DavPath&, const DavPath&) = default;
};

// Returns the URL segment of an area: "calendars", "contacts" or "files".
[[nodiscard]] std::string_view area_segment(Area area);

// Resolves a request target (an absolute path, or an absolute URL whose path is used), with
// any query string ignored. Returns nullopt for a path outside the layout: an unknown area, a
// segment that is empty, ".", "..", starts with '.', contains '/', NUL or a malformed %XX escape,
// a calendar or address book path deeper than collection/resource, or a user name that
// is_valid_user_name rejects.
[[nodiscard]] std::optional<DavPath> parse_dav_path(std::string_view target);

// Percent-encodes one path segment: RFC 3986 unreserved characters and sub-delims that are
// safe in a path stay, every other byte becomes %XX.
[[nodiscard]] std::string encode_segment(std::string_view segment);

} // namespace robur::caldav
