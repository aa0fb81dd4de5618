#pragma once

// Shared by the `robur card` subcommands: address book arguments, reading the vCards of an
// address book from a commit, and printing diagnostics.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/collection_name.hpp"
#include "cli/commands.hpp"
#include "core/diagnostic.hpp"
#include "store/snapshot.hpp"

namespace robur::cli {

// Each `robur card` subcommand adds itself to the `card` command group.
void add_card_import_command(CLI::App& card, Context& context);
void add_card_export_command(CLI::App& card, Context& context);
void add_card_validate_command(CLI::App& card, Context& context);
void add_card_convert_command(CLI::App& card, Context& context);

// An address book named on the command line as USER/NAME.
using AddressBook = CollectionName;

// Parses USER/NAME with parse_collection_name.
[[nodiscard]] Result<AddressBook> parse_address_book(std::string_view text);

// One vCard file of an address book in a commit.
struct StoredCard {
    std::string path;    // repository path
    std::string content;
    std::optional<std::string> uid; // nullopt when the stored vCard is not valid
};

// Reads the `.vcf` files directly inside `folder` in path order. Returns nullopt when the
// folder does not exist. Errors: not_found or invalid_argument from the snapshot, and
// validation_failed when `.collection` declares another type than addressbook.
[[nodiscard]] Result<std::optional<std::vector<StoredCard>>> read_address_book(
    const store::Snapshot& snapshot, const AddressBook& book);

// Reads a whole file, or standard input for "-". Errors: io_error naming the file.
[[nodiscard]] Result<std::string> read_input_file(const std::string& path);

// Formats a diagnostic as a JSON object {path, line, column, severity, message}.
[[nodiscard]] std::string card_diagnostic_json(const Diagnostic& diagnostic);

// Prints "robur card SUBCOMMAND: message" on stderr and returns exit_usage.
int card_usage_error(std::string_view subcommand, std::string_view message);

} // namespace robur::cli
