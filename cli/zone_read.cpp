#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/zone_common.hpp"
#include "formats/zone/diff.hpp"
#include "formats/zone/writer.hpp"

namespace robur::cli {

namespace {

// A zone read from a commit, with the commit it came from.
struct CommittedZone {
    ZoneVersion version;
    dns::LoadedZone zone;
};

// Reads a zone from a revision for show and export. Prints the fault and returns nullopt when
// the revision or the zone is unknown or the zone does not parse.
std::optional<CommittedZone> read_zone(const Context& context, const std::string& name,
                                       const std::string& revision, const char* subcommand,
                                       int& exit_code)
{
    auto origin = parse_zone_name(name);
    if (!origin) {
        exit_code = usage_error(subcommand, origin.error().message);
        return std::nullopt;
    }
    auto repository = open_repository(context);
    if (!repository) {
        exit_code = report(repository.error());
        return std::nullopt;
    }
    auto version = commit_version(*repository, revision);
    if (!version) {
        exit_code = report(version.error());
        return std::nullopt;
    }
    auto loaded = version->find(*origin);
    if (!loaded) {
        exit_code = report(loaded.error());
        return std::nullopt;
    }
    if (!*loaded) {
        exit_code =
            report(Error{Errc::not_found,
                         fmt::format("zone {} not found in {}: there is no {}", origin->to_string(),
                                     revision, dns::zone_file_path(*origin)),
                         std::nullopt});
        return std::nullopt;
    }
    if (!(*loaded)->result.ok()) {
        print_diagnostics((*loaded)->result.diagnostics);
        exit_code = report(Error{
            Errc::parse_error,
            fmt::format("zone {} in {} has errors", origin->to_string(), revision), std::nullopt});
        return std::nullopt;
    }
    return CommittedZone{std::move(*version), std::move(**loaded)};
}

int run_list(const Context& context, const std::string& revision)
{
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto version = commit_version(*repository, revision);
    if (!version) {
        return report(version.error());
    }
    auto files = version->list();
    if (!files) {
        return report(files.error());
    }
    print_diagnostics(files->diagnostics);

    std::vector<std::string> objects;
    for (const auto& file : files->files) {
        const auto loaded = version->load(file);
        const auto serial = loaded.result.zone.serial();
        const bool valid = loaded.result.ok();
        if (context.json) {
            objects.push_back(fmt::format(
                R"({{"zone": {}, "path": {}, "serial": {}, "records": {}, "parses": {}}})",
                zone::json_quote(file.origin.to_string()), zone::json_quote(file.path),
                serial ? std::to_string(*serial) : std::string("null"),
                loaded.result.zone.records.size(), valid ? "true" : "false"));
            continue;
        }
        fmt::print("{}\t{}\t{}\t{}{}\n", file.origin.to_string(),
                   serial ? std::to_string(*serial) : std::string("-"),
                   loaded.result.zone.records.size(), file.path,
                   valid ? "" : "\t(has parse errors: run robur zone validate)");
    }
    if (context.json) {
        fmt::print("[{}]\n", fmt::join(objects, ",\n "));
    }
    return files->diagnostics.empty() ? exit_ok : exit_failure;
}

int run_show(const Context& context, const std::string& name, const std::string& revision)
{
    int exit_code = exit_ok;
    const auto committed = read_zone(context, name, revision, "show", exit_code);
    if (!committed) {
        return exit_code;
    }
    fmt::print("{}", zone::format_zone(committed->zone.result.zone));
    return exit_ok;
}

// Writes text to path, or to stdout when path is empty or "-".
int write_output(const std::string& path, const std::string& text)
{
    if (path.empty() || path == "-") {
        fmt::print("{}", text);
        return exit_ok;
    }
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
        return report(Error{Errc::io_error, fmt::format("cannot create {}", path), std::nullopt});
    }
    const std::size_t written = std::fwrite(text.data(), 1, text.size(), file);
    const bool closed = std::fclose(file) == 0;
    if (written != text.size() || !closed) {
        return report(Error{Errc::io_error, fmt::format("cannot write {}", path), std::nullopt});
    }
    return exit_ok;
}

// Exports a zone as a master file for other servers. A zone without $INCLUDE is exported as
// committed, so its comments survive. Otherwise the canonical form with every included record
// in place is written, because the included paths mean nothing outside the repository.
int run_export(const Context& context, const std::string& name, const std::string& revision,
               const std::string& output)
{
    int exit_code = exit_ok;
    const auto committed = read_zone(context, name, revision, "export", exit_code);
    if (!committed) {
        return exit_code;
    }
    const dns::LoadedZone& loaded = committed->zone;
    if (loaded.files.size() == 1) {
        auto text = committed->version.snapshot->read(loaded.path);
        if (!text) {
            return report(text.error());
        }
        return write_output(output, *text);
    }
    const std::string header =
        fmt::format("; zone {} exported by robur from {} with $INCLUDE files flattened\n",
                    loaded.origin.to_string(), revision);
    return write_output(output, header + zone::format_zone(loaded.result.zone));
}

} // namespace

void add_zone_read_commands(CLI::App& zone, Context& context)
{
    auto revision = std::make_shared<std::string>("HEAD");
    auto name = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    const char* revision_help = "Revision to read (default: HEAD)";

    auto* list = zone.add_subcommand("list", "List the zones of a revision with serial and "
                                             "record count");
    list->add_option("--rev", *revision, revision_help)->type_name("REV");
    list->callback([revision, &context] { context.exit_code = run_list(context, *revision); });

    auto* show = zone.add_subcommand("show", "Print a zone in canonical presentation format");
    show->add_option("zone", *name, "Zone name, with or without the trailing dot")
        ->required()
        ->type_name("ZONE");
    show->add_option("--rev", *revision, revision_help)->type_name("REV");
    show->callback(
        [revision, name, &context] { context.exit_code = run_show(context, *name, *revision); });

    auto* export_command =
        zone.add_subcommand("export", "Write a zone as one master file for other DNS servers");
    export_command->add_option("zone", *name, "Zone name, with or without the trailing dot")
        ->required()
        ->type_name("ZONE");
    export_command->add_option("--rev", *revision, revision_help)->type_name("REV");
    export_command->add_option("-o,--output", *output, "File to write (default: stdout)")
        ->type_name("FILE");
    export_command->callback([revision, name, output, &context] {
        context.exit_code = run_export(context, *name, *revision, *output);
    });
}

} // namespace robur::cli
