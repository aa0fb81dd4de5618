#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/card_common.hpp"
#include "formats/icalendar/collection_file.hpp"
#include "formats/vcard/check.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace {

struct ValidateArguments {
    std::vector<std::string> paths;
    std::vector<std::string> files;
    std::string revision;
};

struct Totals {
    std::size_t cards = 0;
    std::vector<Diagnostic> diagnostics;
};

// Checks one `.collection` file below contacts/.
void check_collection(const store::Snapshot& snapshot, const std::string& path, Totals& totals)
{
    auto text = snapshot.read(path);
    if (!text) {
        totals.diagnostics.push_back({Severity::error, {path, 0, 0}, text.error().message});
        return;
    }
    auto properties = icalendar::parse_collection_file(*text, path);
    if (!properties) {
        const auto where = properties.error().where.value_or(SourceLocation{path, 0, 0});
        totals.diagnostics.push_back({Severity::error, where, properties.error().message});
        return;
    }
    if (properties->type != "addressbook") {
        totals.diagnostics.push_back(
            {Severity::error, {path, 0, 0},
             fmt::format("type = {}: collections under contacts/ are address books",
                         properties->type)});
    }
}

// Checks the stored vCards below `folder` (or the one file `folder` names) as a CardDAV PUT
// would, and that no two vCards of one address book share a UID.
Result<void> check_repository_path(const store::Snapshot& snapshot, const std::string& folder,
                                   Totals& totals)
{
    std::vector<std::string> files;
    if (folder.ends_with(".vcf") || folder.ends_with("/.collection")) {
        if (!snapshot.exists(folder)) {
            return make_error(Errc::not_found, fmt::format("{} not found", folder));
        }
        files.push_back(folder);
    } else {
        auto entries = snapshot.list(folder, true);
        if (!entries) {
            return tl::unexpected(entries.error());
        }
        for (const auto& entry : *entries) {
            files.push_back(entry.path);
        }
    }

    std::map<std::string, std::string> uid_owner; // "<address book>\n<uid>" -> path
    for (const auto& path : files) {
        if (path.ends_with("/.collection")) {
            check_collection(snapshot, path, totals);
            continue;
        }
        if (!path.ends_with(".vcf")) {
            continue;
        }
        auto content = snapshot.read(path);
        if (!content) {
            return tl::unexpected(content.error());
        }
        auto checked = vcard::check_card(*content, path, vcard::Limits{});
        ++totals.cards;
        totals.diagnostics.insert(totals.diagnostics.end(), checked.diagnostics.begin(),
                                  checked.diagnostics.end());
        if (!checked.card) {
            continue;
        }
        const std::string book = path.substr(0, path.rfind('/'));
        const auto [owner, inserted] = uid_owner.emplace(book + "\n" + checked.card->uid, path);
        if (!inserted) {
            totals.diagnostics.push_back(
                {Severity::error, {path, 0, 0},
                 fmt::format("UID {} is also the UID of {}; an address book holds one vCard per "
                             "UID (RFC 6352 section 5.1)",
                             checked.card->uid, owner->second)});
        }
    }
    return {};
}

void check_file(const std::string& file, Totals& totals)
{
    auto bytes = read_input_file(file);
    if (!bytes) {
        totals.diagnostics.push_back({Severity::error, {file, 0, 0}, bytes.error().message});
        return;
    }
    const auto checked = vcard::check_card_file(*bytes, file, vcard::Limits{});
    totals.cards += checked.cards.size();
    totals.diagnostics.insert(totals.diagnostics.end(), checked.diagnostics.begin(),
                              checked.diagnostics.end());
    for (const auto& card : checked.cards) {
        totals.diagnostics.insert(totals.diagnostics.end(), card.checked.diagnostics.begin(),
                                  card.checked.diagnostics.end());
    }
}

int print_totals(const Totals& totals, bool json)
{
    std::size_t errors = 0;
    for (const auto& diagnostic : totals.diagnostics) {
        errors += diagnostic.severity == Severity::error ? 1 : 0;
    }
    const std::size_t warnings = totals.diagnostics.size() - errors;
    if (json) {
        std::vector<std::string> findings;
        for (const auto& diagnostic : totals.diagnostics) {
            findings.push_back(card_diagnostic_json(diagnostic));
        }
        fmt::print("{{\"cards\": {}, \"errors\": {}, \"warnings\": {}, \"diagnostics\": [{}]}}\n",
                   totals.cards, errors, warnings, fmt::join(findings, ", "));
    } else {
        for (const auto& diagnostic : totals.diagnostics) {
            fmt::print(stderr, "{}\n", diagnostic.to_string());
        }
        fmt::print("checked {} vCard{}: {} errors, {} warnings\n", totals.cards,
                   totals.cards == 1 ? "" : "s", errors, warnings);
    }
    return errors == 0 ? exit_ok : exit_failure;
}

int run_validate(const ValidateArguments& arguments, const Context& context)
{
    Totals totals;
    for (const auto& file : arguments.files) {
        check_file(file, totals);
    }
    if (!arguments.files.empty() && arguments.paths.empty()) {
        return print_totals(totals, context.json);
    }

    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto snapshot = repository->snapshot(arguments.revision);
    if (!snapshot) {
        return report(snapshot.error());
    }
    std::vector<std::string> paths = arguments.paths;
    if (paths.empty()) {
        if (!snapshot->exists("contacts")) {
            return print_totals(totals, context.json);
        }
        paths.emplace_back("contacts");
    }
    for (const auto& path : paths) {
        if (auto checked = check_repository_path(*snapshot, path, totals); !checked) {
            return report(checked.error());
        }
    }
    return print_totals(totals, context.json);
}

} // namespace

void add_card_validate_command(CLI::App& card, Context& context)
{
    auto arguments = std::make_shared<ValidateArguments>();
    auto* command = card.add_subcommand(
        "validate", "Check the committed address books, or vCard files given with --file");
    command
        ->add_option("path", arguments->paths,
                     "Folder or .vcf file in the repository (default: contacts)")
        ->type_name("PATH");
    command
        ->add_option("--file", arguments->files,
                     "vCard file outside the repository, checked as import reads it; repeatable")
        ->type_name("FILE");
    command
        ->add_option("--rev", arguments->revision,
                     "Commit to check, as git rev-parse reads it (default: HEAD)")
        ->type_name("REV");
    command->callback(
        [arguments, &context] { context.exit_code = run_validate(*arguments, context); });
}

} // namespace robur::cli
