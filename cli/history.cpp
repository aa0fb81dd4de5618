#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "formats/zone/diff.hpp"
#include "store/path.hpp"
#include "store/revert.hpp"

namespace robur::cli {

namespace {

struct LogArguments {
    std::string path;
    std::string revision;
    std::size_t limit = 1000;
    bool oneline = false;
};

struct RevertArguments {
    std::string commit;
};

// Formats a signature's time in its own offset: "2026-12-05 10:30:00 +0100", or with
// `iso` set "2026-12-05T10:30:00+01:00".
std::string format_time(const store::Signature& signature, bool iso)
{
    const std::int64_t local = signature.time.value_or(0) + signature.utc_offset_minutes * 60;
    const auto seconds = static_cast<std::time_t>(local);
    std::tm fields{};
    gmtime_r(&seconds, &fields);
    const int offset = signature.utc_offset_minutes;
    const char sign = offset < 0 ? '-' : '+';
    const int hours = (offset < 0 ? -offset : offset) / 60;
    const int minutes = (offset < 0 ? -offset : offset) % 60;
    const std::string date = fmt::format("{:04}-{:02}-{:02}", fields.tm_year + 1900,
                                         fields.tm_mon + 1, fields.tm_mday);
    const std::string clock =
        fmt::format("{:02}:{:02}:{:02}", fields.tm_hour, fields.tm_min, fields.tm_sec);
    if (iso) {
        return fmt::format("{}T{}{}{:02}:{:02}", date, clock, sign, hours, minutes);
    }
    return fmt::format("{} {} {}{:02}{:02}", date, clock, sign, hours, minutes);
}

std::string signature_json(const store::Signature& signature)
{
    return fmt::format(R"({{"name": {}, "email": {}, "date": "{}"}})",
                       zone::json_quote(signature.name), zone::json_quote(signature.email),
                       format_time(signature, true));
}

std::string commit_json(const store::CommitInfo& commit)
{
    std::vector<std::string> parents;
    for (const auto& parent : commit.parents) {
        parents.push_back(fmt::format("\"{}\"", parent.to_string()));
    }
    return fmt::format(R"({{"id": "{}", "parents": [{}], "author": {}, "committer": {}, )"
                       R"("summary": {}, "message": {}}})",
                       commit.id.to_string(), fmt::join(parents, ", "),
                       signature_json(commit.author), signature_json(commit.committer),
                       zone::json_quote(commit.summary), zone::json_quote(commit.message));
}

// Prints one commit as `git log` does by default, the message indented by four spaces.
void print_commit(const store::CommitInfo& commit)
{
    fmt::print("commit {}\nAuthor: {} <{}>\nDate:   {}\n\n", commit.id.to_string(),
               commit.author.name, commit.author.email, format_time(commit.author, false));
    std::string_view message = commit.message;
    while (!message.empty() && message.back() == '\n') {
        message.remove_suffix(1);
    }
    std::size_t start = 0;
    while (start <= message.size()) {
        const std::size_t end = message.find('\n', start);
        const auto line = message.substr(start, end == std::string_view::npos ? message.npos
                                                                              : end - start);
        if (line.empty()) {
            fmt::print("\n");
        } else {
            fmt::print("    {}\n", line);
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    fmt::print("\n");
}

int run_log(const LogArguments& arguments, const Context& context)
{
    std::string path;
    if (!arguments.path.empty()) {
        auto checked = store::check_repository_path(arguments.path, true);
        if (!checked) {
            fmt::print(stderr, "robur log: {}\n", checked.error().message);
            return exit_usage;
        }
        path = *checked;
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto commits = repository->log(arguments.revision, path, arguments.limit);
    if (!commits) {
        return report(commits.error());
    }
    if (context.json) {
        std::vector<std::string> items;
        for (const auto& commit : *commits) {
            items.push_back(commit_json(commit));
        }
        fmt::print("[{}]\n", fmt::join(items, ",\n "));
        return exit_ok;
    }
    for (const auto& commit : *commits) {
        if (arguments.oneline) {
            fmt::print("{} {} {} {}\n", commit.id.short_string(),
                       format_time(commit.author, true), commit.author.name, commit.summary);
        } else {
            print_commit(commit);
        }
    }
    return exit_ok;
}

int report_conflicts(const store::RevertPlan& plan)
{
    fmt::print(stderr, "robur: cannot revert {}: these files changed since that commit:\n",
               plan.reverted.id.short_string());
    for (const auto& path : plan.conflicts) {
        fmt::print(stderr, "  {}\n", path);
    }
    fmt::print(stderr, "nothing was changed; edit the files by hand, or revert the later "
                       "commits first (robur log PATH lists them)\n");
    return exit_failure;
}

int run_revert(const RevertArguments& arguments, const Context& context)
{
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto commit = repository->resolve(arguments.commit);
    if (!commit) {
        return report(commit.error());
    }
    auto plan = store::plan_revert(*repository, *commit);
    if (!plan) {
        return report(plan.error());
    }
    if (!plan->conflicts.empty()) {
        return report_conflicts(*plan);
    }
    if (plan->changes.empty()) {
        fmt::print(stderr, "robur: nothing to revert: the branch already undoes commit {}\n",
                   commit->short_string());
        return exit_failure;
    }
    auto author = repository->default_signature();
    if (!author) {
        return report(Error{
            author.error().code,
            fmt::format("{}; set user.name and user.email with git config", author.error().message),
            std::nullopt});
    }
    store::CommitRequest request{.branch = {},
                                 .expected_head = plan->head,
                                 .changes = plan->changes,
                                 .author = *author,
                                 .committer = std::nullopt,
                                 .message = store::revert_message(plan->reverted)};
    auto revert_commit = repository->commit(request);
    if (!revert_commit) {
        return report(revert_commit.error());
    }
    if (context.json) {
        std::vector<std::string> paths;
        for (const auto& change : plan->changes) {
            paths.push_back(zone::json_quote(change.path));
        }
        fmt::print(R"({{"reverted": "{}", "commit": "{}", "files": [{}]}})" "\n",
                   commit->to_string(), revert_commit->to_string(), fmt::join(paths, ", "));
        return exit_ok;
    }
    for (const auto& change : plan->changes) {
        fmt::print("{} {}\n", change.content ? "restored" : "removed", change.path);
    }
    fmt::print("commit {} reverts {}\n", revert_commit->short_string(), commit->short_string());
    return exit_ok;
}

} // namespace

void add_history_commands(CLI::App& app, Context& context)
{
    auto log_arguments = std::make_shared<LogArguments>();
    auto* log = app.add_subcommand("log", "List the commits that changed a file or folder, "
                                          "newest first");
    log->add_option("path", log_arguments->path,
                    "File or folder in the repository (default: every commit)")
        ->type_name("PATH");
    log->add_option("-n,--max-count", log_arguments->limit, "List at most N commits")
        ->type_name("N")
        ->check(CLI::PositiveNumber)
        ->default_val(1000);
    log->add_option("--rev", log_arguments->revision,
                    "Start from this commit, as git rev-parse reads it (default: HEAD)")
        ->type_name("REV");
    log->add_flag("--oneline", log_arguments->oneline,
                  "One line per commit: short id, author date, author, summary");
    log->callback(
        [log_arguments, &context] { context.exit_code = run_log(*log_arguments, context); });

    auto revert_arguments = std::make_shared<RevertArguments>();
    auto* revert = app.add_subcommand(
        "revert", "Make a commit that undoes one commit, refusing when its files changed since");
    revert->add_option("commit", revert_arguments->commit, "Commit to undo (id, HEAD~2, ...)")
        ->required()
        ->type_name("COMMIT");
    revert->callback([revert_arguments, &context] {
        context.exit_code = run_revert(*revert_arguments, context);
    });
}

} // namespace robur::cli
