#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.hpp"

namespace robur::openvpn {

// Places an option may appear in, as openvpn 2.6's option permission bits decide.
enum DirectiveFlag : std::uint8_t {
    flag_inline_allowed = 1 << 0,     // may be given as a <name>...</name> block
    flag_connection_allowed = 1 << 1, // may appear inside a <connection> block
    flag_instance_only = 1 << 2,      // only in client-config-dir files or pushed options
};

// One option openvpn 2.6.14 accepts on Linux, with the parameter counts it matches on. An inline
// block counts as one parameter (its body). max_args of 15 means "any number": openvpn keeps at
// most 15 parameters of a line.
struct DirectiveSpec {
    std::string_view name;
    std::uint8_t min_args;
    std::uint8_t max_args;
    std::uint8_t flags;
};

// Returns the table entry of an option, or nullptr when openvpn 2.6 does not know it.
[[nodiscard]] const DirectiveSpec* find_directive_spec(std::string_view name);

// Every option of the table, sorted by name.
[[nodiscard]] std::span<const DirectiveSpec> directive_specs();

// Returns true when openvpn would match the option with these parameters; false gives its
// "Unrecognized option or missing or extra parameter(s)" error. `args` holds one element, the
// body, for an inline block.
[[nodiscard]] bool argument_count_matches(const DirectiveSpec& spec,
                                          std::span<const std::string> args);

struct ArgumentFinding {
    Severity severity = Severity::error;
    std::string message;
};

// Checks parameter values the way openvpn's option parser does (enumerations, ranges, removed
// options), using openvpn's wording, and warns where openvpn silently reads a malformed number
// as 0. Call only when argument_count_matches() holds.
[[nodiscard]] std::vector<ArgumentFinding> check_argument_values(const DirectiveSpec& spec,
                                                                 std::span<const std::string> args,
                                                                 bool is_inline);

} // namespace robur::openvpn
