#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/zone_common.hpp"
#include "formats/zone/diff.hpp"

namespace robur::cli {

namespace {

// Picks the two versions to compare as `git diff` does: none given compares HEAD with the work
// tree, one compares that revision with the work tree (HEAD in a bare repository), two compare
// the first with the second.
Result<std::pair<ZoneVersion, ZoneVersion>> choose_sides(const store::Repository& repository,
                                                         const std::vector<std::string>& revisions)
{
    if (revisions.empty() && repository.is_bare()) {
        return make_error(Errc::usage, "a bare repository has no work tree: name one or two "
                                       "revisions to compare");
    }
    auto before = commit_version(repository, revisions.empty() ? "HEAD" : revisions[0]);
    if (!before) {
        return tl::unexpected(before.error());
    }
    auto after = revisions.size() == 2  ? commit_version(repository, revisions[1])
                 : repository.is_bare() ? commit_version(repository, "HEAD")
                                        : work_tree_version(repository);
    if (!after) {
        return tl::unexpected(after.error());
    }
    return std::pair(std::move(*before), std::move(*after));
}

// Reads the zones of one side by origin; zone file names that name no zone are printed.
Result<std::map<zone::Name, dns::LoadedZone>> read_side(const ZoneVersion& version, bool& failed)
{
    auto files = version.list();
    if (!files) {
        return tl::unexpected(files.error());
    }
    print_diagnostics(files->diagnostics);
    failed = failed || !files->diagnostics.empty();

    std::map<zone::Name, dns::LoadedZone> zones;
    for (const auto& file : files->files) {
        zones.emplace(file.origin, version.load(file));
    }
    return zones;
}

// Returns the label of one side of a zone's difference, "/dev/null" when the zone is absent.
std::string side_label(const ZoneVersion& version, const dns::LoadedZone* zone)
{
    return zone == nullptr ? std::string("/dev/null")
                           : fmt::format("{}:{}", version.label, zone->path);
}

int run_diff(const Context& context, const std::vector<std::string>& revisions)
{
    auto repository = open_repository(context);
    if (!repository) {
        return report(repository.error());
    }
    auto sides = choose_sides(*repository, revisions);
    if (!sides) {
        return sides.error().code == Errc::usage ? usage_error("diff", sides.error().message)
                                                 : report(sides.error());
    }
    bool failed = false;
    auto before = read_side(sides->first, failed);
    auto after = read_side(sides->second, failed);
    if (!before || !after) {
        return report(!before ? before.error() : after.error());
    }

    std::set<zone::Name> origins;
    for (const auto& [origin, loaded] : *before) {
        origins.insert(origin);
    }
    for (const auto& [origin, loaded] : *after) {
        origins.insert(origin);
    }

    std::vector<std::string> objects;
    for (const auto& origin : origins) {
        const auto old_entry = before->find(origin);
        const auto new_entry = after->find(origin);
        const dns::LoadedZone* old_zone = old_entry == before->end() ? nullptr : &old_entry->second;
        const dns::LoadedZone* new_zone = new_entry == after->end() ? nullptr : &new_entry->second;
        bool readable = true;
        for (const dns::LoadedZone* side : {old_zone, new_zone}) {
            if (side != nullptr && !side->result.ok()) {
                print_diagnostics(side->result.diagnostics);
                readable = false;
            }
        }
        if (!readable) {
            fmt::print(stderr, "robur: zone {} left out of the difference: it has errors\n",
                       origin.to_string());
            failed = true;
            continue;
        }

        zone::Zone empty;
        empty.origin = origin;
        const auto difference = zone::diff_zones(old_zone ? old_zone->result.zone : empty,
                                                 new_zone ? new_zone->result.zone : empty);
        if (difference.empty()) {
            continue;
        }
        const std::string old_label = side_label(sides->first, old_zone);
        const std::string new_label = side_label(sides->second, new_zone);
        if (context.json) {
            objects.push_back(zone::format_diff_json(difference, old_label, new_label));
        } else {
            fmt::print("{}", zone::format_diff_text(difference, old_label, new_label));
        }
    }
    if (context.json) {
        fmt::print("[{}]\n", fmt::join(objects, ",\n "));
    }
    return failed ? exit_failure : exit_ok;
}

} // namespace

void add_zone_diff_command(CLI::App& zone, Context& context)
{
    auto revisions = std::make_shared<std::vector<std::string>>();
    auto* command = zone.add_subcommand(
        "diff", "Show the records added and removed between two versions of the zones");
    command
        ->add_option("revision", *revisions,
                     "No revision: HEAD against the work tree; one: that revision against the "
                     "work tree (HEAD in a bare repository); two: the first against the second")
        ->expected(0, 2)
        ->type_name("REV");
    command->callback([revisions, &context] { context.exit_code = run_diff(context, *revisions); });
}

} // namespace robur::cli
