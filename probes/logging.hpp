#pragma once
/// Logging to stderr for journald: levelled text lines, or one JSON object per line
/// (`--log-format json`) for log shippers. Messages never carry secrets: callers log names,
/// never header values, keys or URLs with credentials.

#include <spdlog/common.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace visionwatch {

/// Throws std::invalid_argument for an unknown level or format.
void setup_logging(std::string_view level, std::string_view format);
/// The same, writing to `sink` instead of stderr (tests read what was logged).
void setup_logging(std::string_view level, std::string_view format, spdlog::sink_ptr sink);

bool json_logging() noexcept;

/// One structured event: text mode prints `msg key=value ...`, JSON mode one object.
using log_fields = std::vector<std::pair<std::string, std::string>>;
void log_event(int spdlog_level, std::string_view msg, const log_fields& fields);

/// One structured event formatted once, straight into its line as fields are added: text mode
/// `msg key=value ...` (a value that is empty or holds a space, '"' or '=' is quoted, '"' and
/// '\\' escaped, line breaks turned into spaces), JSON mode the members of one object
/// ("msg" first, then the fields in order; every value a string, invalid UTF-8 replaced by
/// U+FFFD). Nothing is formatted when the level is off. The per-probe log line is one of these.
class log_line {
 public:
  log_line(int spdlog_level, std::string_view msg);

  /// False when the level is off: fields are ignored and emit() does nothing.
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }
  log_line& field(std::string_view key, std::string_view value);
  log_line& field(std::string_view key, std::int64_t value);
  log_line& field(std::string_view key, std::uint64_t value);
  /// The value with `decimals` digits after the point ("%.3f").
  log_line& field(std::string_view key, double value, int decimals);
  /// Hands the line to the logger.
  void emit();

 private:
  int level_;
  bool enabled_;
  bool json_;
  std::string text_;
};

}  // namespace visionwatch
