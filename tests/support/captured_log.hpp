#pragma once
/// Routes the default logger (probes/logging.hpp's setup_logging) to a string for a test's life,
/// in `format` ("text" or "json") from `level` up; puts the previous logger back after.

#include <spdlog/logger.h>

#include <memory>
#include <sstream>
#include <string>
#include <string_view>

namespace visionwatch::test {

class captured_log {
 public:
  explicit captured_log(std::string_view format, std::string_view level = "info");
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;
  captured_log(captured_log&&) = delete;
  captured_log& operator=(captured_log&&) = delete;
  ~captured_log();

  [[nodiscard]] std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace visionwatch::test
