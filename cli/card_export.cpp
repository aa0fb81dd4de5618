#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cli/card_common.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace {

struct ExportArguments {
    std::string address_book;
    std::string output;
    std::string revision;
};

// Writes `text` to `path` through a temporary file in the same folder, so a failed export
// never leaves a truncated file behind.
Result<void> write_file_atomically(const std::filesystem::path& path, const std::string& text)
{
    const std::filesystem::path temporary = path.string() + ".robur-tmp";
    std::FILE* stream = std::fopen(temporary.c_str(), "wb");
    if (stream == nullptr) {
        return make_error(Errc::io_error, fmt::format("cannot create {}: {}", temporary.string(),
                                                      std::strerror(errno)));
    }
    const bool written = std::fwrite(text.data(), 1, text.size(), stream) == text.size();
    const bool closed = std::fclose(stream) == 0;
    std::error_code error;
    if (!written || !closed) {
        std::filesystem::remove(temporary, error);
        return make_error(Errc::io_error, fmt::format("cannot write {}", temporary.string()));
    }
    std::filesystem::rename(temporary, path, error);
    if (error) {
        std::filesystem::remove(temporary, error);
        return make_error(Errc::io_error,
                          fmt::format("cannot rename {} to {}", temporary.string(), path.string()));
    }
    return {};
}

int run_export(const ExportArguments& arguments, const Context& context)
{
    auto book = parse_address_book(arguments.address_book);
    if (!book) {
        return card_usage_error("export", book.error().message);
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto snapshot = repository->snapshot(arguments.revision);
    if (!snapshot) {
        return report(snapshot.error());
    }
    auto cards = read_address_book(*snapshot, *book);
    if (!cards) {
        return report(cards.error());
    }
    if (!*cards) {
        return report(Error{Errc::not_found,
                            fmt::format("address book {} not found: {} does not exist in {}",
                                        book->label(), book->folder(),
                                        arguments.revision.empty() ? "HEAD" : arguments.revision),
                            std::nullopt});
    }

    // One vCard after the other, as RFC 6350 section 3.3 allows in one file. The stored bytes
    // are kept, with a line end added where a file lacks one.
    std::string text;
    for (const auto& card : **cards) {
        text += card.content;
        if (!card.content.empty() && card.content.back() != '\n') {
            text += "\r\n";
        }
    }
    if (arguments.output.empty() || arguments.output == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return exit_ok;
    }
    if (auto written = write_file_atomically(arguments.output, text); !written) {
        return report(written.error());
    }
    if (context.json) {
        fmt::print("{{\"addressbook\": {}, \"output\": {}, \"cards\": {}}}\n",
                   zone::json_quote(book->label()), zone::json_quote(arguments.output),
                   (*cards)->size());
    } else {
        fmt::print("exported {} contacts of {} to {}\n", (*cards)->size(), book->label(),
                   arguments.output);
    }
    return exit_ok;
}

} // namespace

void add_card_export_command(CLI::App& card, Context& context)
{
    auto arguments = std::make_shared<ExportArguments>();
    auto* command = card.add_subcommand(
        "export", "Write every vCard of an address book, as committed, into one .vcf file");
    command->add_option("addressbook", arguments->address_book, "Address book to export")
        ->required()
        ->type_name("USER/NAME");
    command
        ->add_option("-o,--output", arguments->output,
                     "File to write (default: standard output); replaced atomically")
        ->type_name("FILE");
    command
        ->add_option("--rev", arguments->revision,
                     "Commit to export from, as git rev-parse reads it (default: HEAD)")
        ->type_name("REV");
    command->callback(
        [arguments, &context] { context.exit_code = run_export(*arguments, context); });
}

} // namespace robur::cli
