#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/diagnostic.hpp"
#include "formats/openvpn/checks.hpp"
#include "formats/openvpn/config.hpp"
#include "formats/zone/diff.hpp"
#include "servers/vpn/vpn_check.hpp"

namespace robur::cli {

namespace {

namespace fs = std::filesystem;

struct ValidateArguments {
    std::vector<std::string> names; // VPN names under vpn/
    std::vector<std::string> files; // configs on disk
    std::string revision;           // empty: HEAD
};

// Findings for one validated target: a VPN of the repository or a file on disk.
struct TargetResult {
    std::string target;
    std::vector<Diagnostic> diagnostics;
    std::optional<Error> failure; // the target could not be read or checked at all
};

std::optional<std::string> read_disk_file(const fs::path& path)
{
    std::error_code error;
    if (!fs::is_regular_file(path, error)) {
        return std::nullopt;
    }
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        return std::nullopt;
    }
    return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

// Resolves a path the config names the way openvpn does when started in the config's folder.
fs::path resolve_against(const fs::path& folder, std::string_view path)
{
    const fs::path named{std::string(path)};
    return named.is_absolute() ? named : folder / named;
}

TargetResult validate_disk_file(const std::string& file)
{
    TargetResult result{file, {}, std::nullopt};
    const auto text = read_disk_file(file);
    if (!text) {
        result.failure = Error{Errc::not_found, fmt::format("{}: cannot read the file", file),
                               std::nullopt};
        return result;
    }

    const auto folder = fs::path(file).parent_path();
    const openvpn::IncludeReader read_include =
        [folder](std::string_view name) -> Result<std::string> {
        auto content = read_disk_file(resolve_against(folder, name));
        if (!content) {
            return make_error(Errc::not_found, fmt::format("{}: not found", name));
        }
        return std::move(*content);
    };
    const openvpn::FileReader read_file = [folder](std::string_view path) {
        return read_disk_file(resolve_against(folder, path));
    };

    auto outcome = openvpn::parse_config(*text, file, read_include);
    result.diagnostics = std::move(outcome.diagnostics);
    auto findings = openvpn::check_config(outcome.config, file, read_file, {});
    result.diagnostics.insert(result.diagnostics.end(), std::make_move_iterator(findings.begin()),
                              std::make_move_iterator(findings.end()));
    return result;
}

// Lists the VPN folders vpn/<name>/ of a commit; none when vpn/ is absent.
Result<std::vector<std::string>> list_vpn_names(const store::Snapshot& snapshot)
{
    std::vector<std::string> names;
    if (!snapshot.exists("vpn")) {
        return names;
    }
    auto entries = snapshot.list("vpn");
    if (!entries) {
        return tl::unexpected(entries.error());
    }
    for (const auto& entry : *entries) {
        if (entry.is_folder()) {
            names.push_back(fs::path(entry.path).filename().string());
        }
    }
    return names;
}

void validate_repository(const ValidateArguments& arguments, const Context& context,
                         std::vector<TargetResult>& results)
{
    auto repository = open_repository(context);
    if (!repository) {
        results.push_back({"repository", {}, repository.error()});
        return;
    }
    auto snapshot = repository->snapshot(arguments.revision);
    if (!snapshot) {
        results.push_back({"repository", {}, snapshot.error()});
        return;
    }

    auto names = arguments.names;
    if (names.empty()) {
        auto listed = list_vpn_names(*snapshot);
        if (!listed) {
            results.push_back({"vpn", {}, listed.error()});
            return;
        }
        names = std::move(*listed);
    }
    for (const auto& name : names) {
        TargetResult result{vpn::vpn_folder(name), {}, std::nullopt};
        if (auto valid = vpn::validate_vpn_name(name); !valid) {
            result.failure = Error{Errc::usage, valid.error().message, std::nullopt};
            results.push_back(std::move(result));
            continue;
        }
        auto checked = vpn::check_vpn(*snapshot, name, 0);
        if (checked) {
            result.diagnostics = std::move(*checked);
        } else {
            result.failure = checked.error();
        }
        results.push_back(std::move(result));
    }
}

std::size_t count(const TargetResult& result, Severity severity)
{
    return static_cast<std::size_t>(std::count_if(
        result.diagnostics.begin(), result.diagnostics.end(),
        [severity](const Diagnostic& diagnostic) { return diagnostic.severity == severity; }));
}

void print_text(const std::vector<TargetResult>& results)
{
    for (const auto& result : results) {
        for (const auto& diagnostic : result.diagnostics) {
            fmt::print(stderr, "{}\n", diagnostic.to_string());
        }
        if (result.failure) {
            fmt::print(stderr, "robur: {}\n", result.failure->to_string());
            continue;
        }
        const auto errors = count(result, Severity::error);
        const auto warnings = count(result, Severity::warning);
        fmt::print("{}: {} ({} error{}, {} warning{})\n", result.target,
                   errors == 0 ? "valid" : "invalid", errors, errors == 1 ? "" : "s", warnings,
                   warnings == 1 ? "" : "s");
    }
}

std::string diagnostic_json(const Diagnostic& diagnostic)
{
    return fmt::format(R"({{"path": {}, "line": {}, "severity": "{}", "message": {}}})",
                       zone::json_quote(diagnostic.where.path), diagnostic.where.line,
                       to_string(diagnostic.severity), zone::json_quote(diagnostic.message));
}

void print_json(const std::vector<TargetResult>& results)
{
    std::vector<std::string> targets;
    for (const auto& result : results) {
        std::vector<std::string> diagnostics;
        for (const auto& diagnostic : result.diagnostics) {
            diagnostics.push_back(diagnostic_json(diagnostic));
        }
        const bool valid = !result.failure && count(result, Severity::error) == 0;
        targets.push_back(fmt::format(
            R"({{"target": {}, "valid": {}, "failure": {}, "diagnostics": [{}]}})",
            zone::json_quote(result.target), valid,
            result.failure ? zone::json_quote(result.failure->to_string()) : "null",
            fmt::join(diagnostics, ", ")));
    }
    fmt::print("{{\"targets\": [{}]}}\n", fmt::join(targets, ", "));
}

int run_validate(const ValidateArguments& arguments, const Context& context)
{
    std::vector<TargetResult> results;
    if (!arguments.names.empty() || arguments.files.empty()) {
        validate_repository(arguments, context, results);
    }
    for (const auto& file : arguments.files) {
        results.push_back(validate_disk_file(file));
    }

    if (context.json) {
        print_json(results);
    } else {
        print_text(results);
    }

    for (const auto& result : results) {
        if (result.failure && result.failure->code == Errc::usage) {
            return exit_usage;
        }
        if (result.failure || has_errors(result.diagnostics)) {
            return exit_failure;
        }
    }
    return exit_ok;
}

} // namespace

void add_vpn_validate_command(CLI::App& vpn, Context& context)
{
    auto arguments = std::make_shared<ValidateArguments>();
    auto* validate = vpn.add_subcommand(
        "validate",
        "Check OpenVPN configs as openvpn 2.6 reads them: every VPN of the repository, named "
        "VPNs, or config files on disk");
    validate->add_option("names", arguments->names,
                         "VPNs to check, by their folder name under vpn/ (default: every VPN)");
    validate->add_option("--file", arguments->files,
                         "Config file on disk to check; paths it names are resolved against its "
                         "folder, as openvpn started there would (repeatable)")
        ->allow_extra_args(false);
    validate->add_option("--rev", arguments->revision,
                         "Commit whose VPNs to check (default: HEAD)");
    validate->footer(
        "Prints one 'path:line: error: message' line per finding on stderr and a summary per "
        "VPN or file on stdout (with --json, a JSON document on stdout instead of the "
        "summary). Exit status: 0 when there is no error (warnings allowed), 1 when a config "
        "has errors or cannot be read, 2 for a usage error.");
    validate->callback(
        [arguments, &context] { context.exit_code = run_validate(*arguments, context); });
}

} // namespace robur::cli
