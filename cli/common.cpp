#include <cstdio>
#include <filesystem>
#include <system_error>

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

Result<store::Repository> open_repository(const Context& context)
{
    if (!context.repo.empty()) {
        return store::Repository::open(context.repo);
    }
    std::error_code error;
    const auto current = std::filesystem::current_path(error);
    if (error) {
        return make_error(Errc::io_error,
                          fmt::format("cannot read the current folder: {}", error.message()));
    }
    return store::Repository::discover(current);
}

int report(const Error& error)
{
    fmt::print(stderr, "robur: {}\n", error.to_string());
    return exit_code_for(error);
}

} // namespace robur::cli
