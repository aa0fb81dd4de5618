#pragma once

// Calendars and address books named on the command line as USER/NAME.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace robur::cli {

// A calendar or address book: the top folder of its kind ("calendars" or
// "contacts"), the user and the collection's name.
struct CollectionName {
    std::string area;
    std::string user;
    std::string name;

    // "<area>/<user>/<name>", the folder of its files in the repository.
    [[nodiscard]] std::string folder() const;
    // "<user>/<name>", as the user wrote it.
    [[nodiscard]] std::string label() const;
};

// Parses USER/NAME for a collection under `area`; `noun` ("calendar", "address book") and
// `example` ("alice/work") word the errors. The user follows the rules of `robur user add`;
// the name is 1 to 64 bytes from [A-Za-z0-9._-] and does not start with '.'. Errors: usage
// naming the value.
[[nodiscard]] Result<CollectionName> parse_collection_name(std::string_view text,
                                                           std::string_view area,
                                                           std::string_view noun,
                                                           std::string_view example);

} // namespace robur::cli
