#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"
#include "core/error.hpp"

namespace robur::openvpn {

// Reads a file that `config NAME` includes, by the name the config gives; the caller confines
// where it reads from. Errors become diagnostics at the including line.
using IncludeReader = std::function<Result<std::string>(std::string_view name)>;

// One option of a config, as openvpn 2.6 hands it to its option parser.
struct Directive {
    std::string name;                          // option name as openvpn spells it, without a leading "--"
    std::vector<std::string> args;             // parameters after quote processing
    SourceLocation where;                      // file and line (the <tag> line for an inline block)
    std::optional<std::string> inline_content; // body of <name>...</name> when given inline
    int connection = -1;                       // index of its <connection> block, -1 at top level
    // Index into Config::segments of the text this directive came from; -1 when it came from
    // an included file, which the writer does not reproduce.
    int segment = -1;
};

// A parsed config: its directives, and the text of the top-level file cut into segments (one
// per physical line, one per whole inline block) so the writer can reproduce it byte for byte.
struct Config {
    std::vector<Directive> directives; // file order, included files expanded in place
    std::vector<std::string> segments; // top-level file text; concatenated they give the input
    int connection_count = 0;          // number of <connection> blocks

    // Last top-level occurrence of an option (openvpn lets the last one win), or nullptr.
    [[nodiscard]] const Directive* find(std::string_view name) const;
    // Every occurrence of an option in file order, including those in <connection> blocks.
    [[nodiscard]] std::vector<const Directive*> find_all(std::string_view name) const;
};

struct ParseOutcome {
    Config config;
    std::vector<Diagnostic> diagnostics; // syntax and option errors, every one, in order
};

// Parses a config the way openvpn 2.6 reads it. `path` is used in diagnostics. A null
// `read_include` makes every `config` directive an error.
ParseOutcome parse_config(std::string_view text, std::string_view path,
                          const IncludeReader& read_include);

// Writes the config back; an unchanged config gives the input bytes.
std::string write_config(const Config& config);

// Editing helpers. They change the top-level file only and keep every other line, comment and
// blank as it was. Arguments are quoted on output where openvpn's tokeniser needs it.

// Replaces the last top-level occurrence of `name` with `name args...` (keeping its indentation
// and trailing comment), or appends it at the end when the option is absent.
void set_option(Config& config, std::string_view name, const std::vector<std::string>& args);
// Appends `name args...` as a new line at the end of the file.
void append_option(Config& config, std::string_view name, const std::vector<std::string>& args);
// Replaces the last top-level inline block `<name>` with one holding `content`, or appends one.
void set_inline(Config& config, std::string_view name, std::string_view content);
// Removes every top-level occurrence of `name` (plain and inline); returns how many it removed.
std::size_t remove_option(Config& config, std::string_view name);

// Formats one parameter so that openvpn's tokeniser reads it back unchanged. openvpn has no
// way to write a newline or a NUL byte in a parameter, so `argument` must hold neither.
std::string quote_argument(std::string_view argument);

} // namespace robur::openvpn
