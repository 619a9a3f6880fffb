#include "tests/support/captured_log.hpp"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "probes/logging.hpp"

namespace visionwatch::test {

captured_log::captured_log(std::string_view format, std::string_view level)
    : previous_(spdlog::default_logger()) {
  setup_logging(level, format, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
}

captured_log::~captured_log() {
  // Text mode again, then the previous logger; the registry lets go of ours and its sink.
  setup_logging("info", "text", std::make_shared<spdlog::sinks::null_sink_mt>());
  spdlog::set_default_logger(previous_);
  if (previous_->name() != "visionwatch") {
    spdlog::drop("visionwatch");
  }
}

}  // namespace visionwatch::test
