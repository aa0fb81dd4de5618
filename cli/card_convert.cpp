#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/card_common.hpp"
#include "formats/vcard/check.hpp"
#include "formats/vcard/convert.hpp"

namespace robur::cli {

namespace {

struct ConvertArguments {
    std::string file;
    std::string version;
    std::string output;
};

int run_convert(const ConvertArguments& arguments)
{
    auto bytes = read_input_file(arguments.file);
    if (!bytes) {
        return report(bytes.error());
    }
    const std::string shown_path = arguments.file == "-" ? "<stdin>" : arguments.file;
    const auto checked = vcard::check_card_file(*bytes, shown_path, vcard::Limits{});
    std::vector<Diagnostic> diagnostics = checked.diagnostics;
    for (const auto& card : checked.cards) {
        diagnostics.insert(diagnostics.end(), card.checked.diagnostics.begin(),
                           card.checked.diagnostics.end());
    }
    if (has_errors(diagnostics)) {
        for (const auto& diagnostic : diagnostics) {
            fmt::print(stderr, "{}\n", diagnostic.to_string());
        }
        fmt::print(stderr, "robur: nothing converted: fix the errors above first\n");
        return exit_failure;
    }

    // Conversion warnings name the lines of each vCard as written, or of its repaired form.
    std::string text;
    for (const auto& card : checked.cards) {
        auto converted = vcard::convert_card(card.text, arguments.version,
                                             fmt::format("{} (vCard of line {})", shown_path,
                                                         card.line),
                                             diagnostics);
        if (!converted) {
            return report(converted.error());
        }
        text += *converted;
    }
    for (const auto& diagnostic : diagnostics) {
        fmt::print(stderr, "{}\n", diagnostic.to_string());
    }

    if (arguments.output.empty() || arguments.output == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return exit_ok;
    }
    std::FILE* stream = std::fopen(arguments.output.c_str(), "wb");
    if (stream == nullptr) {
        return report(Error{Errc::io_error, fmt::format("cannot create {}", arguments.output),
                            std::nullopt});
    }
    const bool written = std::fwrite(text.data(), 1, text.size(), stream) == text.size();
    if (std::fclose(stream) != 0 || !written) {
        return report(Error{Errc::io_error, fmt::format("cannot write {}", arguments.output),
                            std::nullopt});
    }
    fmt::print("converted {} vCards to version {} in {}\n", checked.cards.size(),
               arguments.version, arguments.output);
    return exit_ok;
}

} // namespace

void add_card_convert_command(CLI::App& card, Context& context)
{
    auto arguments = std::make_shared<ConvertArguments>();
    auto* command = card.add_subcommand(
        "convert", "Convert a file of vCards to vCard 3.0 or 4.0, checking it first");
    command->add_option("file", arguments->file, "vCard file to convert, or - for standard input")
        ->required()
        ->type_name("FILE.vcf");
    command->add_option("--to", arguments->version, "Target version")
        ->required()
        ->check(CLI::IsMember({"3.0", "4.0"}))
        ->type_name("3.0|4.0");
    command->add_option("-o,--output", arguments->output, "File to write (default: standard output)")
        ->type_name("FILE");
    command->callback([arguments, &context] { context.exit_code = run_convert(*arguments); });
}

} // namespace robur::cli
