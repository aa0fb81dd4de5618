#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace robur::caldav {

// A CalDAV/CardDAV user as stored in users/<name>.conf (Git's config syntax):
//   [user]
//   	password = $pbkdf2-sha256$i=600000$...
//   	displayname = Alice Example
//   	email = alice@example.com
struct UserRecord {
    std::string name; // from the file name, not from the file
    std::string password_hash;
    std::string displayname;
    std::string email;
};

// Max length of a user name in bytes.
inline constexpr std::size_t max_user_name_length = 64;

// Returns true for a user name of 1 to 64 bytes from [a-z0-9._-] that starts with a letter or
// digit. The name is a URL segment and a file name, so nothing in it needs escaping.
[[nodiscard]] bool is_valid_user_name(std::string_view name);

// Returns "users/<name>.conf".
[[nodiscard]] std::string user_file_path(std::string_view name);

// Parses the text of users/<name>.conf. Errors: parse_error with path:line for bad syntax,
// validation_failed when user.password is missing.
[[nodiscard]] Result<UserRecord> parse_user_file(std::string_view text, std::string_view name);

// Writes the text parse_user_file reads back into an equal record.
[[nodiscard]] std::string write_user_file(const UserRecord& user);

// Quotes a value for Git's config syntax: in double quotes, with backslash, double quote,
// newline and tab escaped.
[[nodiscard]] std::string quote_config_value(std::string_view value);

} // namespace robur::caldav
