#include "core/log.hpp"

#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace robur::log {

namespace {

std::mutex registry_mutex;
spdlog::level::level_enum current_level = spdlog::level::info;

} // namespace

std::shared_ptr<spdlog::logger> get(std::string_view subsystem)
{
    std::lock_guard lock(registry_mutex);
    std::string name(subsystem);
    if (auto existing = spdlog::get(name)) {
        return existing;
    }
    auto logger = spdlog::stderr_color_mt(name);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%n] %v");
    logger->set_level(current_level);
    return logger;
}

void configure(spdlog::level::level_enum level)
{
    std::lock_guard lock(registry_mutex);
    current_level = level;
    spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& logger) {
        logger->set_level(level);
    });
}

} // namespace robur::log
