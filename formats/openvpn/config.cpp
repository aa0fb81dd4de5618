#include "formats/openvpn/config.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "formats/openvpn/directives.hpp"
#include "formats/openvpn/line_reader.hpp"
#include "formats/openvpn/tokenizer.hpp"

namespace robur::openvpn {

namespace {

// openvpn reads the top-level file at level 1 and refuses an include past level 10.
constexpr int max_include_level = 10;

// The source of the lines being read, and the options openvpn allows there.
struct Scope {
    std::string path;
    int level = 1;               // include level, 1 for the top-level file
    bool top_level_file = false; // lines become writer segments
    int connection = -1;         // index of the <connection> block being read, or -1
    std::uint32_t line_offset = 0; // added to line numbers inside a <connection> block
};

// The tokens of one option as openvpn hands them to add_option().
struct OptionLine {
    std::vector<std::string> tokens;
    std::optional<std::string> inline_content;
    std::uint32_t line = 0;
    int segment = -1;
};

class Parser {
public:
    Parser(const IncludeReader& read_include, ParseOutcome& outcome)
        : read_include_(read_include), outcome_(outcome)
    {
    }

    void parse_text(std::string_view text, const Scope& scope);

private:
    void add_option(OptionLine option, const Scope& scope);
    bool check_permission(const DirectiveSpec& spec, const OptionLine& option, const Scope& scope);
    void report_unrecognized(std::string_view name, bool lenient, const OptionLine& option,
                             const Scope& scope);
    void include_file(const OptionLine& option, const Scope& scope);
    void parse_connection_block(const OptionLine& option, const Scope& scope);
    void note_effects(const Directive& directive, const Scope& scope);
    void report(Severity severity, const Scope& scope, std::uint32_t line, std::string message);

    const IncludeReader& read_include_;
    ParseOutcome& outcome_;
    // ignore-unknown-option and setenv FORWARD_COMPATIBLE act on the options that follow them,
    // and a <connection> block starts with neither, as openvpn parses it into fresh options.
    std::vector<std::string> ignored_unknown_;
    bool forward_compatible_ = false;
};

void Parser::report(Severity severity, const Scope& scope, std::uint32_t line, std::string message)
{
    outcome_.diagnostics.push_back(
        Diagnostic{severity, SourceLocation{scope.path, line + scope.line_offset, 0},
                   std::move(message)});
}

void Parser::parse_text(std::string_view text, const Scope& scope)
{
    LineReader reader(text, scope.connection < 0);
    while (auto line = reader.next_line()) {
        auto& config = outcome_.config;
        const auto segment_start = line->start;
        int segment = -1;
        auto close_segment = [&](std::size_t end) {
            if (scope.top_level_file) {
                config.segments.emplace_back(text.substr(segment_start, end - segment_start));
                segment = static_cast<int>(config.segments.size()) - 1;
            }
        };

        if (line->too_long) {
            close_segment(line->end);
            report(Severity::error, scope, line->number,
                   fmt::format("Maximum option line length ({}) exceeded, line starts with {}",
                               max_line_length, line->first_chunk));
            continue;
        }

        auto tokenized = tokenize_line(line->content);
        if (tokenized.error != TokenizeError::none) {
            close_segment(line->end);
            report(Severity::error, scope, line->number, describe(tokenized.error));
            continue;
        }
        if (tokenized.tokens.empty()) {
            close_segment(line->end);
            continue;
        }
        if (tokenized.tokens_dropped) {
            report(Severity::warning, scope, line->number,
                   fmt::format("openvpn ignores everything after the first {} parameters",
                               max_tokens - 1));
        }

        OptionLine option{std::move(tokenized.tokens), std::nullopt, line->number, -1};
        auto& name = option.tokens.front();
        if (name.size() >= 3 && name.starts_with("--")) {
            name.erase(0, 2);
        }

        if (option.tokens.size() == 1 && name.size() >= 2 && name.front() == '<' &&
            name.back() == '>') {
            name = name.substr(1, name.size() - 2);
            auto block = reader.read_inline_block(fmt::format("</{}>", name));
            close_segment(block.end);
            if (!block.closed) {
                report(Severity::error, scope, line->number,
                       fmt::format("Endtag </{}> missing", name));
                return;
            }
            option.inline_content = std::move(block.content);
        } else {
            close_segment(line->end);
        }
        option.segment = segment;
        add_option(std::move(option), scope);
    }
}

void Parser::add_option(OptionLine option, const Scope& scope)
{
    std::string name = option.tokens.front();
    std::vector<std::string> args(option.tokens.begin() + 1, option.tokens.end());

    // "setenv opt NAME ..." makes an unknown NAME a warning (add_option() in options.c).
    bool lenient = forward_compatible_ && scope.connection < 0;
    if (name == "setenv" && !args.empty() && args.front() == "opt") {
        lenient = true;
        name = args.size() >= 2 ? args[1] : "setenv opt";
        args.erase(args.begin(), args.begin() + std::min<std::ptrdiff_t>(2, std::ssize(args)));
    }

    Directive directive{name, args, SourceLocation{scope.path, option.line + scope.line_offset, 0},
                        option.inline_content, scope.connection, option.segment};
    std::vector<std::string> matched_args = args;
    if (option.inline_content) {
        matched_args.assign(1, *option.inline_content);
    }

    const auto* spec = find_directive_spec(name);
    if (spec == nullptr || !argument_count_matches(*spec, matched_args)) {
        report_unrecognized(name, lenient, option, scope);
        outcome_.config.directives.push_back(std::move(directive));
        return;
    }
    if (!check_permission(*spec, option, scope)) {
        outcome_.config.directives.push_back(std::move(directive));
        return;
    }
    for (auto& finding : check_argument_values(*spec, matched_args, option.inline_content.has_value())) {
        report(finding.severity, scope, option.line, std::move(finding.message));
    }

    if (name == "config") {
        outcome_.config.directives.push_back(std::move(directive));
        include_file(option, scope);
        return;
    }
    if (name == "connection" && option.inline_content) {
        outcome_.config.directives.push_back(std::move(directive));
        parse_connection_block(option, scope);
        return;
    }
    note_effects(directive, scope);
    outcome_.config.directives.push_back(std::move(directive));
}

bool Parser::check_permission(const DirectiveSpec& spec, const OptionLine& option,
                              const Scope& scope)
{
    const auto& name = spec.name;
    if ((spec.flags & flag_instance_only) != 0) {
        report(Severity::error, scope, option.line,
               fmt::format("option '{}' cannot be used in this context: it belongs in a "
                           "client-config-dir file or a pushed option",
                           name));
        return false;
    }
    if (scope.connection >= 0 && (spec.flags & flag_connection_allowed) == 0) {
        report(Severity::error, scope, option.line,
               fmt::format("option '{}' cannot be used in this context ([CONNECTION-OPTIONS])",
                           name));
        return false;
    }
    if (option.inline_content && (spec.flags & flag_inline_allowed) == 0) {
        report(Severity::error, scope, option.line,
               fmt::format("option '{}' is not expected to be inline", name));
        return false;
    }
    return true;
}

void Parser::report_unrecognized(std::string_view name, bool lenient, const OptionLine& option,
                                 const Scope& scope)
{
    const bool ignored = scope.connection < 0 && std::find(ignored_unknown_.begin(),
                                                           ignored_unknown_.end(),
                                                           name) != ignored_unknown_.end();
    const auto severity = lenient || ignored ? Severity::warning : Severity::error;
    report(severity, scope, option.line,
           fmt::format("Unrecognized option or missing or extra parameter(s): {}", name));
}

void Parser::include_file(const OptionLine& option, const Scope& scope)
{
    const auto& name = option.tokens.at(1);
    if (scope.level >= max_include_level) {
        report(Severity::error, scope, option.line,
               fmt::format("Maximum recursive include levels exceeded in include attempt of file "
                           "{} -- probably you have a configuration file that tries to include "
                           "itself.",
                           name));
        return;
    }

    auto text = read_include_ ? read_include_(name)
                              : Result<std::string>(make_error(Errc::not_found, "no reader"));
    if (!text) {
        report(Severity::error, scope, option.line,
               fmt::format("Error opening configuration file: {}", name));
        return;
    }
    Scope included{name, scope.level + 1, false, -1, 0};
    parse_text(*text, included);
}

void Parser::parse_connection_block(const OptionLine& option, const Scope& scope)
{
    auto& config = outcome_.config;
    const int index = config.connection_count++;
    const auto first = config.directives.size();

    // A block's options go into fresh options in openvpn: no ignore list, no forward
    // compatibility, line numbers counted from the block. Here they keep the file's numbers.
    auto saved_ignored = std::exchange(ignored_unknown_, {});
    const bool saved_forward = std::exchange(forward_compatible_, false);
    Scope block{scope.path, scope.level, false, index, option.line + scope.line_offset};
    parse_text(*option.inline_content, block);
    ignored_unknown_ = std::move(saved_ignored);
    forward_compatible_ = saved_forward;

    std::size_t remotes = 0;
    for (auto i = first; i < config.directives.size(); ++i) {
        config.directives[i].segment = option.segment;
        remotes += config.directives[i].name == "remote" ? 1 : 0;
    }
    if (remotes == 0) {
        report(Severity::error, scope, option.line,
               "Each 'connection' block must contain exactly one 'remote' directive");
    } else if (remotes > 1) {
        report(Severity::warning, scope, option.line,
               fmt::format("this 'connection' block has {} 'remote' directives; openvpn uses "
                           "only the last one",
                           remotes));
    }
}

void Parser::note_effects(const Directive& directive, const Scope& scope)
{
    if (directive.name == "ignore-unknown-option") {
        for (const auto& ignored : directive.args) {
            ignored_unknown_.push_back(ignored.starts_with("--") ? ignored.substr(2) : ignored);
        }
    } else if (directive.name == "setenv" && directive.args.size() == 2 &&
               directive.args[0] == "FORWARD_COMPATIBLE" && directive.args[1] == "1") {
        forward_compatible_ = true;
    } else if (directive.name == "connection" && !directive.inline_content) {
        report(Severity::warning, scope, directive.where.line - scope.line_offset,
               "'connection' outside a <connection> block is ignored by openvpn");
    }
}

} // namespace

const Directive* Config::find(std::string_view name) const
{
    const Directive* found = nullptr;
    for (const auto& directive : directives) {
        if (directive.connection < 0 && directive.name == name) {
            found = &directive;
        }
    }
    return found;
}

std::vector<const Directive*> Config::find_all(std::string_view name) const
{
    std::vector<const Directive*> found;
    for (const auto& directive : directives) {
        if (directive.name == name) {
            found.push_back(&directive);
        }
    }
    return found;
}

ParseOutcome parse_config(std::string_view text, std::string_view path,
                          const IncludeReader& read_include)
{
    ParseOutcome outcome;
    Parser parser(read_include, outcome);
    parser.parse_text(text, Scope{std::string(path), 1, true, -1, 0});
    return outcome;
}

} // namespace robur::openvpn
