#include <algorithm>

#include "formats/openvpn/config.hpp"
#include "formats/openvpn/tokenizer.hpp"

namespace robur::openvpn {

namespace {

bool needs_quotes(std::string_view argument)
{
    if (argument.empty() || argument.front() == '#' || argument.front() == ';' ||
        argument.front() == '\'') {
        return true;
    }
    return std::any_of(argument.begin(), argument.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' ||
               c == '"' || c == '\\';
    });
}

std::string format_line(std::string_view name, const std::vector<std::string>& args)
{
    std::string line(name);
    for (const auto& argument : args) {
        line += ' ';
        line += quote_argument(argument);
    }
    return line;
}

std::string format_block(std::string_view name, std::string_view content)
{
    std::string block = "<" + std::string(name) + ">\n" + std::string(content);
    if (!block.ends_with('\n')) {
        block += '\n';
    }
    return block + "</" + std::string(name) + ">\n";
}

// Index of the last directive of the top-level file named `name`, or -1.
int find_last_top_level(const Config& config, std::string_view name)
{
    for (auto i = std::ssize(config.directives) - 1; i >= 0; --i) {
        const auto& directive = config.directives[static_cast<std::size_t>(i)];
        if (directive.connection < 0 && directive.segment >= 0 && directive.name == name) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

std::uint32_t next_line_number(const Config& config)
{
    std::uint32_t lines = 1;
    for (const auto& segment : config.segments) {
        lines += static_cast<std::uint32_t>(std::count(segment.begin(), segment.end(), '\n'));
    }
    return lines;
}

void append_segment(Config& config, Directive directive, std::string text)
{
    if (!config.segments.empty() && !config.segments.back().empty() &&
        !config.segments.back().ends_with('\n')) {
        config.segments.back() += '\n';
    }
    directive.where.line = next_line_number(config);
    if (!config.directives.empty()) {
        directive.where.path = config.directives.front().where.path;
    }
    config.segments.push_back(std::move(text));
    directive.segment = static_cast<int>(config.segments.size()) - 1;
    config.directives.push_back(std::move(directive));
}

// Rewrites one line for new content, keeping its indentation, trailing comment and line end.
std::string rewrite_line(std::string_view old_line, std::string_view new_content)
{
    const auto indent = old_line.substr(0, old_line.find_first_not_of(" \t"));
    std::string_view ending;
    if (old_line.ends_with("\r\n")) {
        ending = "\r\n";
    } else if (old_line.ends_with('\n')) {
        ending = "\n";
    }
    const auto body = old_line.substr(0, old_line.size() - ending.size());

    std::string comment;
    const auto tokenized = tokenize_line(body);
    if (tokenized.comment_start != std::string_view::npos) {
        comment = " " + std::string(body.substr(tokenized.comment_start));
    }
    return std::string(indent) + std::string(new_content) + comment +
           std::string(ending.empty() ? "\n" : ending);
}

} // namespace

std::string quote_argument(std::string_view argument)
{
    if (!needs_quotes(argument)) {
        return std::string(argument);
    }
    std::string quoted = "\"";
    for (const char c : argument) {
        if (c == '"' || c == '\\') {
            quoted += '\\';
        }
        quoted += c;
    }
    return quoted + "\"";
}

std::string write_config(const Config& config)
{
    std::string text;
    for (const auto& segment : config.segments) {
        text += segment;
    }
    return text;
}

void set_option(Config& config, std::string_view name, const std::vector<std::string>& args)
{
    const int index = find_last_top_level(config, name);
    if (index < 0) {
        append_option(config, name, args);
        return;
    }

    auto& directive = config.directives[static_cast<std::size_t>(index)];
    auto& segment = config.segments[static_cast<std::size_t>(directive.segment)];
    if (directive.inline_content) {
        segment = format_line(name, args) + "\n";
    } else {
        segment = rewrite_line(segment, format_line(name, args));
    }
    directive.args = args;
    directive.inline_content.reset();
}

void append_option(Config& config, std::string_view name, const std::vector<std::string>& args)
{
    Directive directive;
    directive.name = std::string(name);
    directive.args = args;
    append_segment(config, std::move(directive), format_line(name, args) + "\n");
}

void set_inline(Config& config, std::string_view name, std::string_view content)
{
    const int index = find_last_top_level(config, name);
    if (index < 0) {
        Directive directive;
        directive.name = std::string(name);
        directive.inline_content = std::string(content);
        append_segment(config, std::move(directive), format_block(name, content));
        return;
    }

    auto& directive = config.directives[static_cast<std::size_t>(index)];
    config.segments[static_cast<std::size_t>(directive.segment)] = format_block(name, content);
    directive.args.clear();
    directive.inline_content = std::string(content);
}

std::size_t remove_option(Config& config, std::string_view name)
{
    std::size_t removed = 0;
    std::erase_if(config.directives, [&](const Directive& directive) {
        if (directive.connection >= 0 || directive.segment < 0 || directive.name != name) {
            return false;
        }
        config.segments[static_cast<std::size_t>(directive.segment)].clear();
        ++removed;
        return true;
    });
    return removed;
}

} // namespace robur::openvpn
