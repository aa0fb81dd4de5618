// `robur user add|passwd|remove|list`: the accounts of the CalDAV/CardDAV server, one
// users/<name>.conf per user with a salted password hash. Every change is one commit.

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "formats/zone/diff.hpp"
#include "servers/caldav/password.hpp"
#include "servers/caldav/user_file.hpp"

namespace robur::cli {

namespace {

namespace caldav = robur::caldav;

struct UserOptions {
    std::string name;
    bool password_stdin = false;
    std::string display_name;
    std::string email;
    std::string scheme = "pbkdf2";
};

// Turns terminal echo off for as long as it lives.
class EchoOff {
public:
    EchoOff()
    {
        if (tcgetattr(STDIN_FILENO, &saved_) == 0) {
            termios quiet = saved_;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            active_ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;
    ~EchoOff()
    {
        if (active_) {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
        }
    }

private:
    termios saved_{};
    bool active_ = false;
};

Result<std::string> read_line_from_stdin()
{
    std::string line;
    if (!std::getline(std::cin, line)) {
        return make_error(Errc::invalid_argument, "no password on standard input");
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

// Reads the new password: one line from stdin with --password-stdin, else from a prompt
// with echo off, asked twice.
Result<std::string> read_new_password(bool from_stdin)
{
    if (from_stdin || isatty(STDIN_FILENO) == 0) {
        auto line = read_line_from_stdin();
        if (line && line->empty()) {
            return make_error(Errc::invalid_argument, "the password is empty");
        }
        return line;
    }
    EchoOff echo_off;
    fmt::print(stderr, "New password: ");
    std::fflush(stderr);
    auto first = read_line_from_stdin();
    fmt::print(stderr, "\nRepeat the password: ");
    std::fflush(stderr);
    auto second = read_line_from_stdin();
    fmt::print(stderr, "\n");
    if (!first || !second) {
        return tl::unexpected(!first ? first.error() : second.error());
    }
    if (*first != *second) {
        return make_error(Errc::invalid_argument, "the passwords differ; nothing changed");
    }
    if (first->empty()) {
        return make_error(Errc::invalid_argument, "the password is empty");
    }
    return first;
}

Result<std::string> new_hash(const std::string& scheme, bool from_stdin)
{
    auto password = read_new_password(from_stdin);
    if (!password) {
        return tl::unexpected(password.error());
    }
    return caldav::hash_password(*password, scheme == "scrypt"
                                                ? caldav::PasswordScheme::scrypt
                                                : caldav::PasswordScheme::pbkdf2_sha256);
}

Result<void> check_name(const std::string& name)
{
    if (!caldav::is_valid_user_name(name)) {
        return make_error(Errc::usage,
                          fmt::format("invalid user name '{}': use 1 to {} characters from "
                                      "a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
                                      name, caldav::max_user_name_length));
    }
    return {};
}

// Commits one change to users/<name>.conf on the branch HEAD names.
Result<store::ObjectId> commit_user_change(store::Repository& repository,
                                           const std::optional<store::ObjectId>& head,
                                           store::FileChange change, std::string message)
{
    auto author = repository.default_signature();
    if (!author) {
        return make_error(author.error().code,
                          fmt::format("{}; set user.name and user.email with git config",
                                      author.error().message));
    }
    store::CommitRequest request{.branch = {},
                                 .expected_head = head,
                                 .changes = {std::move(change)},
                                 .author = *author,
                                 .committer = std::nullopt,
                                 .message = std::move(message)};
    return repository.commit(request);
}

// Reads users/<name>.conf at the branch head; nullopt when absent.
Result<std::optional<caldav::UserRecord>> read_user(const store::Repository& repository,
                                                    const std::optional<store::ObjectId>& head,
                                                    const std::string& name)
{
    if (!head) {
        return std::optional<caldav::UserRecord>{};
    }
    auto snapshot = repository.snapshot(head->to_string());
    if (!snapshot) {
        return tl::unexpected(snapshot.error());
    }
    auto text = snapshot->read(caldav::user_file_path(name));
    if (!text) {
        if (text.error().code == Errc::not_found) {
            return std::optional<caldav::UserRecord>{};
        }
        return tl::unexpected(text.error());
    }
    auto user = caldav::parse_user_file(*text, name);
    if (!user) {
        return tl::unexpected(user.error());
    }
    return std::optional<caldav::UserRecord>{std::move(*user)};
}

int add_user(const Context& context, const UserOptions& options)
{
    if (auto valid = check_name(options.name); !valid) {
        return report(valid.error());
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return report(head.error());
    }
    if (*head && repository->snapshot()->exists(caldav::user_file_path(options.name))) {
        return report(Error{Errc::invalid_argument,
                            fmt::format("user {} exists already ({}); change the password with "
                                        "robur user passwd {}",
                                        options.name, caldav::user_file_path(options.name),
                                        options.name),
                            std::nullopt});
    }
    auto hash = new_hash(options.scheme, options.password_stdin);
    if (!hash) {
        return report(hash.error());
    }
    const caldav::UserRecord user{.name = options.name,
                                  .password_hash = *hash,
                                  .displayname = options.display_name,
                                  .email = options.email};
    auto commit = commit_user_change(
        *repository, *head,
        {caldav::user_file_path(options.name), caldav::write_user_file(user), store::mode_file},
        fmt::format("Add user {}", options.name));
    if (!commit) {
        return report(commit.error());
    }
    fmt::print("added user {} in {}\ncommit {}\n", options.name,
               caldav::user_file_path(options.name), commit->short_string());
    return exit_ok;
}

int change_password(const Context& context, const UserOptions& options)
{
    if (auto valid = check_name(options.name); !valid) {
        return report(valid.error());
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return report(head.error());
    }
    auto user = read_user(*repository, *head, options.name);
    if (!user) {
        return report(user.error());
    }
    if (!*user) {
        return report(Error{Errc::not_found, fmt::format("no user {}", options.name), {}});
    }
    auto hash = new_hash(options.scheme, options.password_stdin);
    if (!hash) {
        return report(hash.error());
    }
    (*user)->password_hash = *hash;
    auto commit = commit_user_change(
        *repository, *head,
        {caldav::user_file_path(options.name), caldav::write_user_file(**user), store::mode_file},
        fmt::format("Change the password of user {}", options.name));
    if (!commit) {
        return report(commit.error());
    }
    fmt::print("changed the password of user {}\ncommit {}\n", options.name,
               commit->short_string());
    return exit_ok;
}

int remove_user(const Context& context, const UserOptions& options)
{
    if (auto valid = check_name(options.name); !valid) {
        return report(valid.error());
    }
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return report(head.error());
    }
    if (!*head || !repository->snapshot()->exists(caldav::user_file_path(options.name))) {
        return report(Error{Errc::not_found, fmt::format("no user {}", options.name), {}});
    }
    auto commit = commit_user_change(
        *repository, *head, {caldav::user_file_path(options.name), std::nullopt, store::mode_file},
        fmt::format("Remove user {}", options.name));
    if (!commit) {
        return report(commit.error());
    }
    fmt::print("removed user {}; calendars/{}/ and contacts/{}/ are kept\ncommit {}\n",
               options.name, options.name, options.name, commit->short_string());
    return exit_ok;
}

int list_users(const Context& context)
{
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto head = repository->branch_head();
    if (!head) {
        return report(head.error());
    }
    std::vector<caldav::UserRecord> users;
    if (*head) {
        auto snapshot = repository->snapshot();
        auto entries = snapshot ? snapshot->list("users") : tl::unexpected(snapshot.error());
        if (!entries && entries.error().code != Errc::not_found) {
            return report(entries.error());
        }
        for (const auto& entry : entries.value_or(std::vector<store::Entry>{})) {
            const auto file = entry.path.substr(entry.path.rfind('/') + 1);
            if (entry.is_folder() || !file.ends_with(".conf")) {
                continue;
            }
            auto user = read_user(*repository, *head, file.substr(0, file.size() - 5));
            if (!user) {
                return report(user.error());
            }
            if (*user) {
                users.push_back(std::move(**user));
            }
        }
    }
    if (context.json) {
        std::string items;
        for (const auto& user : users) {
            items += fmt::format("{}{{\"name\":{},\"displayname\":{},\"email\":{}}}",
                                 items.empty() ? "" : ",", zone::json_quote(user.name),
                                 zone::json_quote(user.displayname), zone::json_quote(user.email));
        }
        fmt::print("[{}]\n", items);
        return exit_ok;
    }
    for (const auto& user : users) {
        fmt::print("{}\t{}\t{}\n", user.name, user.displayname, user.email);
    }
    return exit_ok;
}

} // namespace

void add_user_commands(CLI::App& app, Context& context)
{
    auto* user = app.add_subcommand(
        "user", "Manage the users of the CalDAV/CardDAV server (users/<name>.conf)");
    user->require_subcommand(1);
    auto options = std::make_shared<UserOptions>();

    auto add_password_options = [options](CLI::App* command) {
        command->add_flag("--password-stdin", options->password_stdin,
                          "Read the password as one line from standard input instead of a "
                          "prompt");
        command
            ->add_option("--scheme", options->scheme,
                         "Password hash: pbkdf2 (PBKDF2-HMAC-SHA256, 600,000 iterations, the "
                         "default) or scrypt (N=2^17, r=8, p=1)")
            ->check(CLI::IsMember({"pbkdf2", "scrypt"}));
    };

    auto* add = user->add_subcommand("add", "Add a user with a password; one commit");
    add->add_option("NAME", options->name, "User name: a-z, 0-9, '.', '_', '-'")->required();
    add->add_option("--display-name", options->display_name, "Name shown to clients");
    add->add_option("--email", options->email,
                    "Email address, also the calendar user address (mailto:)");
    add_password_options(add);
    add->callback([&context, options] { context.exit_code = add_user(context, *options); });

    auto* passwd = user->add_subcommand("passwd", "Set a new password for a user; one commit");
    passwd->add_option("NAME", options->name, "User name")->required();
    add_password_options(passwd);
    passwd->callback(
        [&context, options] { context.exit_code = change_password(context, *options); });

    auto* remove = user->add_subcommand(
        "remove", "Remove a user's account, keeping their calendars and contacts; one commit");
    remove->add_option("NAME", options->name, "User name")->required();
    remove->callback([&context, options] { context.exit_code = remove_user(context, *options); });

    auto* list = user->add_subcommand("list", "List the users: name, display name, email");
    list->callback([&context] { context.exit_code = list_users(context); });
}

} // namespace robur::cli
