#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/card_common.hpp"
#include "formats/icalendar/collection_file.hpp"
#include "formats/icalendar/resource_name.hpp"
#include "formats/vcard/check.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace {

struct ImportArguments {
    std::string file;
    std::string address_book;
};

// The effect of an import on one vCard of the file.
enum class Outcome { added, changed, unchanged };

struct ImportedCard {
    std::string path;
    std::string uid;
    std::string formatted_name;
    std::string content;
    Outcome outcome = Outcome::unchanged;
};

struct ImportPlan {
    std::vector<ImportedCard> cards;
    std::vector<store::FileChange> changes;
    std::size_t added = 0;
    std::size_t changed = 0;
};

// Prints every diagnostic of the file and its cards and returns true when any is an error.
bool print_findings(const vcard::CheckedFile& file, bool json, std::vector<Diagnostic>& all)
{
    all = file.diagnostics;
    for (const auto& card : file.cards) {
        all.insert(all.end(), card.checked.diagnostics.begin(), card.checked.diagnostics.end());
    }
    std::stable_sort(all.begin(), all.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return a.where.line < b.where.line;
    });
    if (!json) {
        for (const auto& diagnostic : all) {
            fmt::print(stderr, "{}\n", diagnostic.to_string());
        }
    }
    return has_errors(all);
}

// Decides the file of every imported vCard: the file that already contains its UID, else the
// name derived from the UID. Errors: conflict when that name is taken by another contact.
Result<ImportPlan> plan_import(const vcard::CheckedFile& file, const AddressBook& book,
                               const std::optional<std::vector<StoredCard>>& stored)
{
    std::map<std::string, const StoredCard*> by_uid;
    std::map<std::string, const StoredCard*> by_path;
    if (stored) {
        for (const auto& card : *stored) {
            by_path[card.path] = &card;
            if (card.uid) {
                by_uid.emplace(*card.uid, &card);
            }
        }
    }

    ImportPlan plan;
    for (const auto& entry : file.cards) {
        const auto& summary = *entry.checked.card;
        ImportedCard card{book.folder() + "/" +
                              icalendar::resource_name_for_uid(summary.uid, ".vcf"),
                          summary.uid, summary.formatted_name, entry.text, Outcome::added};
        if (const auto found = by_uid.find(summary.uid); found != by_uid.end()) {
            card.path = found->second->path;
            card.outcome = found->second->content == entry.text ? Outcome::unchanged
                                                                : Outcome::changed;
        } else if (const auto taken = by_path.find(card.path); taken != by_path.end()) {
            return make_error(Errc::conflict,
                              fmt::format("{} (line {}): UID {} maps to {}, which already holds "
                                          "another contact; rename that file first",
                                          book.label(), entry.line, summary.uid, card.path));
        }
        if (card.outcome != Outcome::unchanged) {
            plan.changes.push_back({card.path, card.content, store::mode_file});
            ++(card.outcome == Outcome::added ? plan.added : plan.changed);
        }
        plan.cards.push_back(std::move(card));
    }
    return plan;
}

std::string commit_message(const ImportPlan& plan, const AddressBook& book)
{
    const std::size_t count = plan.cards.size();
    std::string message = fmt::format(
        "Import {} contact{} into {} ({} added, {} changed, {} unchanged)\n\n", count,
        count == 1 ? "" : "s", book.label(), plan.added, plan.changed,
        count - plan.added - plan.changed);
    for (const auto& card : plan.cards) {
        if (card.outcome != Outcome::unchanged) {
            message += fmt::format("{} {} (UID {})\n",
                                   card.outcome == Outcome::added ? "add" : "update", card.path,
                                   card.uid);
        }
    }
    return message;
}

void print_result(const ImportPlan& plan, const AddressBook& book,
                  const std::optional<store::ObjectId>& commit,
                  const std::vector<Diagnostic>& diagnostics, bool json)
{
    const std::size_t unchanged = plan.cards.size() - plan.added - plan.changed;
    if (!json) {
        for (const auto& card : plan.cards) {
            if (card.outcome != Outcome::unchanged) {
                fmt::print("{} {} (UID {})\n", card.outcome == Outcome::added ? "added" : "changed",
                           card.path, card.uid);
            }
        }
        if (!commit) {
            fmt::print("nothing to commit: {} already holds these {} contacts\n", book.label(),
                       plan.cards.size());
            return;
        }
        fmt::print("imported {} contacts into {} ({} added, {} changed, {} unchanged)\n",
                   plan.cards.size(), book.label(), plan.added, plan.changed, unchanged);
        fmt::print("commit {}\n", commit->short_string());
        return;
    }
    std::vector<std::string> cards;
    for (const auto& card : plan.cards) {
        const char* outcome = card.outcome == Outcome::added     ? "added"
                              : card.outcome == Outcome::changed ? "changed"
                                                                 : "unchanged";
        cards.push_back(fmt::format(R"({{"path": {}, "uid": {}, "fn": {}, "outcome": "{}"}})",
                                    zone::json_quote(card.path), zone::json_quote(card.uid),
                                    zone::json_quote(card.formatted_name), outcome));
    }
    std::vector<std::string> findings;
    for (const auto& diagnostic : diagnostics) {
        findings.push_back(card_diagnostic_json(diagnostic));
    }
    fmt::print("{{\"addressbook\": {}, \"commit\": {}, \"added\": {}, \"changed\": {}, "
               "\"unchanged\": {}, \"cards\": [{}], \"diagnostics\": [{}]}}\n",
               zone::json_quote(book.label()),
               commit ? zone::json_quote(commit->to_string()) : "null", plan.added, plan.changed,
               unchanged, fmt::join(cards, ", "), fmt::join(findings, ", "));
}

int run_import(const ImportArguments& arguments, const Context& context)
{
    auto book = parse_address_book(arguments.address_book);
    if (!book) {
        return card_usage_error("import", book.error().message);
    }
    auto bytes = read_input_file(arguments.file);
    if (!bytes) {
        return report(bytes.error());
    }
    const std::string shown_path = arguments.file == "-" ? "<stdin>" : arguments.file;
    const auto checked = vcard::check_card_file(*bytes, shown_path, vcard::Limits{});
    std::vector<Diagnostic> diagnostics;
    if (print_findings(checked, context.json, diagnostics)) {
        if (context.json) {
            print_result(ImportPlan{}, *book, std::nullopt, diagnostics, true);
        }
        fmt::print(stderr, "robur: nothing imported: fix the errors above first\n");
        return exit_failure;
    }

    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return report(head.error());
    }
    std::optional<std::vector<StoredCard>> stored;
    bool has_collection = false;
    if (*head) {
        auto snapshot = repository->snapshot();
        if (!snapshot) {
            return report(snapshot.error());
        }
        auto read = read_address_book(*snapshot, *book);
        if (!read) {
            return report(read.error());
        }
        stored = std::move(*read);
        has_collection = snapshot->exists(book->folder() + "/.collection");
    }

    auto plan = plan_import(checked, *book, stored);
    if (!plan) {
        return report(plan.error());
    }
    if (plan->changes.empty()) {
        print_result(*plan, *book, std::nullopt, diagnostics, context.json);
        return exit_ok;
    }
    if (!has_collection) {
        icalendar::CollectionProperties properties;
        properties.type = "addressbook";
        properties.displayname = book->name;
        plan->changes.push_back({book->folder() + "/.collection",
                                 icalendar::write_collection_file(properties), store::mode_file});
    }

    auto author = repository->default_signature();
    if (!author) {
        return report(Error{
            author.error().code,
            fmt::format("{}; set user.name and user.email with git config", author.error().message),
            std::nullopt});
    }
    store::CommitRequest request{.branch = {},
                                 .expected_head = *head,
                                 .changes = plan->changes,
                                 .author = *author,
                                 .committer = std::nullopt,
                                 .message = commit_message(*plan, *book)};
    auto commit = repository->commit(request);
    if (!commit) {
        return report(commit.error());
    }
    print_result(*plan, *book, *commit, diagnostics, context.json);
    return exit_ok;
}

} // namespace

void add_card_import_command(CLI::App& card, Context& context)
{
    auto arguments = std::make_shared<ImportArguments>();
    auto* command = card.add_subcommand(
        "import", "Check a file of vCards and commit them, one file per UID, to an address "
                  "book in one commit");
    command->add_option("file", arguments->file, "vCard file to import, or - for standard input")
        ->required()
        ->type_name("FILE.vcf");
    command
        ->add_option("--addressbook", arguments->address_book,
                     "Address book to import into, as USER/NAME; created when missing")
        ->required()
        ->type_name("USER/NAME");
    command->callback(
        [arguments, &context] { context.exit_code = run_import(*arguments, context); });
}

} // namespace robur::cli
