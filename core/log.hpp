#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace robur::log {

// Returns the named subsystem logger ("dns", "git", "caldav", "vpn", "acme", "cli"),
// creating it on first use with the level and sink set by configure().
std::shared_ptr<spdlog::logger> get(std::string_view subsystem);

// Sets the level of every logger; logs go to stderr as "time level [subsystem] message".
void configure(spdlog::level::level_enum level);

} // namespace robur::log
