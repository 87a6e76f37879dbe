#pragma once
// One line per event on stderr (or wherever fd 2 points). Lines are written with a
// single write(2) so lines from different shards never interleave mid-line.

#include <cstdarg>

namespace sluice::core {

enum class LogLevel { debug, info, warn, error };

void set_log_level(LogLevel level);
void log_line(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define SLUICE_LOG_INFO(...) ::sluice::core::log_line(::sluice::core::LogLevel::info, __VA_ARGS__)
#define SLUICE_LOG_WARN(...) ::sluice::core::log_line(::sluice::core::LogLevel::warn, __VA_ARGS__)
#define SLUICE_LOG_ERROR(...) ::sluice::core::log_line(::sluice::core::LogLevel::error, __VA_ARGS__)
#define SLUICE_LOG_DEBUG(...) ::sluice::core::log_line(::sluice::core::LogLevel::debug, __VA_ARGS__)

}  // namespace sluice::core
