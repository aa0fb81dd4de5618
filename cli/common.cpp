#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"

namespace robur::cli {

int exit_code_for(const Error& error)
{
    switch (error.code) {
    case Errc::usage:
        return exit_usage;
    default:
        return exit_failure;
    }
}

int report(const Error& error)
{
    fmt::print(stderr, "robur: {}\n", error.to_string());
    return exit_code_for(error);
}

} // namespace robur::cli
