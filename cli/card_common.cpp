#include "cli/card_common.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "formats/icalendar/collection_file.hpp"
#include "formats/vcard/check.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

Result<AddressBook> parse_address_book(std::string_view text)
{
    return parse_collection_name(text, "contacts", "address book", "alice/contacts");
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
