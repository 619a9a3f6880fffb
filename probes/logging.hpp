#pragma once
/// Logging to stderr for journald: levelled text lines, or one JSON object per line
/// (`--log-format json`) for log shippers. Messages never carry secrets: callers log names,
/// never header values, keys or URLs with credentials.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace visionwatch {

/// Throws std::invalid_argument for an unknown level or format.
void setup_logging(std::string_view level, std::string_view format);

bool json_logging() noexcept;

/// One structured event: text mode prints `msg key=value ...`, JSON mode one object.
using log_fields = std::vector<std::pair<std::string, std::string>>;
void log_event(int spdlog_level, std::string_view msg, const log_fields& fields);

}  // namespace visionwatch
