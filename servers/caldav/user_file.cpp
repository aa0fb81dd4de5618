#include "servers/caldav/user_file.hpp"

#include <fmt/format.h>

#include "store/config.hpp"

namespace robur::caldav {

namespace {

bool is_name_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

} // namespace

bool is_valid_user_name(std::string_view name)
{
    if (name.empty() || name.size() > max_user_name_length) {
        return false;
    }
    const char first = name.front();
    if (!((first >= 'a' && first <= 'z') || (first >= '0' && first <= '9'))) {
        return false;
    }
    for (const char c : name) {
        if (!is_name_byte(c)) {
            return false;
        }
    }
    return true;
}

std::string user_file_path(std::string_view name)
{
    return fmt::format("users/{}.conf", name);
}

Result<UserRecord> parse_user_file(std::string_view text, std::string_view name)
{
    const std::string path = user_file_path(name);
    auto config = store::Config::parse(text, path);
    if (!config) {
        return tl::unexpected(config.error());
    }
    auto password = config->get_string("user.password");
    auto displayname = config->get_string("user.displayname");
    auto email = config->get_string("user.email");
    if (!password || !displayname || !email) {
        return tl::unexpected(!password      ? password.error()
                              : !displayname ? displayname.error()
                                             : email.error());
    }
    if (!*password || (*password)->empty()) {
        return make_error(Errc::validation_failed,
                          fmt::format("{}: user.password is missing; set it with robur user "
                                      "passwd {}",
                                      path, name));
    }
    return UserRecord{.name = std::string(name),
                      .password_hash = **password,
                      .displayname = displayname->value_or(""),
                      .email = email->value_or("")};
}

std::string quote_config_value(std::string_view value)
{
    std::string quoted = "\"";
    for (const char c : value) {
        switch (c) {
        case '\\':
            quoted += "\\\\";
            break;
        case '"':
            quoted += "\\\"";
            break;
        case '\n':
            quoted += "\\n";
            break;
        case '\t':
            quoted += "\\t";
            break;
        default:
            quoted.push_back(c);
        }
    }
    quoted.push_back('"');
    return quoted;
}

std::string write_user_file(const UserRecord& user)
{
    std::string text = "[user]\n";
    text += fmt::format("\tpassword = {}\n", quote_config_value(user.password_hash));
    if (!user.displayname.empty()) {
        text += fmt::format("\tdisplayname = {}\n", quote_config_value(user.displayname));
    }
    if (!user.email.empty()) {
        text += fmt::format("\temail = {}\n", quote_config_value(user.email));
    }
    return text;
}

} // namespace robur::caldav
