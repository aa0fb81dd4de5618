#include "cli/collection_name.hpp"

#include <fmt/format.h>

#include "servers/caldav/user_file.hpp"

namespace robur::cli {

namespace {

constexpr std::size_t max_collection_name_length = 64;

bool is_valid_collection_name(std::string_view name)
{
    if (name.empty() || name.size() > max_collection_name_length || name.front() == '.') {
        return false;
    }
    for (const char c : name) {
        const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!allowed) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string CollectionName::folder() const
{
    return fmt::format("{}/{}/{}", area, user, name);
}

std::string CollectionName::label() const
{
    return fmt::format("{}/{}", user, name);
}

Result<CollectionName> parse_collection_name(std::string_view text, std::string_view area,
                                             std::string_view noun, std::string_view example)
{
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return make_error(Errc::usage, fmt::format("invalid {} '{}': expected USER/NAME, such "
                                                   "as {}",
                                                   noun, text, example));
    }
    CollectionName collection{std::string(area), std::string(text.substr(0, slash)),
                              std::string(text.substr(slash + 1))};
    if (!caldav::is_valid_user_name(collection.user)) {
        return make_error(Errc::usage,
                          fmt::format("invalid user name '{}' in '{}': use 1 to 64 characters "
                                      "from a-z, 0-9, '.', '_' and '-', starting with a letter "
                                      "or digit",
                                      collection.user, text));
    }
    if (!is_valid_collection_name(collection.name)) {
        return make_error(Errc::usage,
                          fmt::format("invalid {} name '{}' in '{}': use 1 to 64 characters "
                                      "from A-Z, a-z, 0-9, '.', '_' and '-', not starting with "
                                      "'.'",
                                      noun, collection.name, text));
    }
    return collection;
}

} // namespace robur::cli
