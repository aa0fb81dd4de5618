#include "cli/card_common.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "formats/icalendar/collection_file.hpp"
#include "formats/vcard/check.hpp"
#include "formats/zone/diff.hpp"
#include "servers/caldav/user_file.hpp"

namespace robur::cli {

namespace {

constexpr std::size_t max_book_name_length = 64;

bool is_valid_book_name(std::string_view name)
{
    if (name.empty() || name.size() > max_book_name_length || name.front() == '.') {
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

std::string AddressBook::folder() const
{
    return fmt::format("contacts/{}/{}", user, name);
}

std::string AddressBook::label() const
{
    return fmt::format("{}/{}", user, name);
}

Result<AddressBook> parse_address_book(std::string_view text)
{
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return make_error(Errc::usage, fmt::format("invalid address book '{}': expected "
                                                   "USER/NAME, such as alice/contacts",
                                                   text));
    }
    AddressBook book{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
    if (!caldav::is_valid_user_name(book.user)) {
        return make_error(Errc::usage,
                          fmt::format("invalid user name '{}' in '{}': use 1 to 64 characters "
                                      "from a-z, 0-9, '.', '_' and '-', starting with a letter "
                                      "or digit",
                                      book.user, text));
    }
    if (!is_valid_book_name(book.name)) {
        return make_error(Errc::usage,
                          fmt::format("invalid address book name '{}' in '{}': use 1 to 64 "
                                      "characters from A-Z, a-z, 0-9, '.', '_' and '-', not "
                                      "starting with '.'",
                                      book.name, text));
    }
    return book;
}

Result<std::optional<std::vector<StoredCard>>> read_address_book(const store::Snapshot& snapshot,
                                                                 const AddressBook& book)
{
    const std::string folder = book.folder();
    if (!snapshot.exists(folder)) {
        return std::optional<std::vector<StoredCard>>();
    }
    const std::string collection_path = folder + "/.collection";
    if (snapshot.exists(collection_path)) {
        auto text = snapshot.read(collection_path);
        if (!text) {
            return tl::unexpected(text.error());
        }
        auto properties = icalendar::parse_collection_file(*text, collection_path);
        if (!properties) {
            return tl::unexpected(properties.error());
        }
        if (properties->type != "addressbook") {
            return make_error(Errc::validation_failed,
                              fmt::format("{} is a collection of type {}, not an address book",
                                          folder, properties->type));
        }
    }

    auto entries = snapshot.list(folder);
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    std::vector<StoredCard> cards;
    for (const auto& entry : *entries) {
        if (entry.is_folder() || !entry.path.ends_with(".vcf")) {
            continue;
        }
        auto content = snapshot.read(entry.path);
        if (!content) {
            return tl::unexpected(content.error());
        }
        const auto checked = vcard::check_card(*content, entry.path, vcard::Limits{});
        std::optional<std::string> uid;
        if (checked.card) {
            uid = checked.card->uid;
        }
        cards.push_back({entry.path, std::move(*content), std::move(uid)});
    }
    return std::optional<std::vector<StoredCard>>(std::move(cards));
}

Result<std::string> read_input_file(const std::string& path)
{
    if (path == "-") {
        std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
        if (std::cin.bad()) {
            return make_error(Errc::io_error, "cannot read standard input");
        }
        return text;
    }
    std::FILE* stream = std::fopen(path.c_str(), "rb");
    if (stream == nullptr) {
        return make_error(Errc::io_error, fmt::format("cannot open {}", path));
    }
    std::string text;
    char buffer[65536];
    std::size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof buffer, stream)) > 0) {
        text.append(buffer, count);
    }
    const bool failed = std::ferror(stream) != 0;
    std::fclose(stream);
    if (failed) {
        return make_error(Errc::io_error, fmt::format("cannot read {}", path));
    }
    return text;
}

std::string card_diagnostic_json(const Diagnostic& diagnostic)
{
    return fmt::format(
        R"({{"path": {}, "line": {}, "column": {}, "severity": {}, "message": {}}})",
        zone::json_quote(diagnostic.where.path), diagnostic.where.line, diagnostic.where.column,
        zone::json_quote(to_string(diagnostic.severity)), zone::json_quote(diagnostic.message));
}

int card_usage_error(std::string_view subcommand, std::string_view message)
{
    fmt::print(stderr, "robur card {}: {}\n", subcommand, message);
    return exit_usage;
}

} // namespace robur::cli
