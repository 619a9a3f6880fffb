#include "daemon/runtime/probe_log.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>

#include "daemon/runtime/probe_shapes.hpp"
#include "probes/logging.hpp"

namespace visionwatch {
namespace {
std::string num(double v, const char* format = "%.3f") {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), format, v);
  return buf.data();
}
std::string opt(const std::optional<long long>& v) { return v ? std::to_string(*v) : "-"; }
}  // namespace

void log_probe(const probe_result& r, const route_config& route, bool quiet) {
  log_fields f = {
      {"route", r.route},
      {"model", route.model},
      {"gateway", route.gateway},
      {"kind", r.control ? "control" : (r.custom ? "custom" : std::string(to_string(r.kind)))},
      {"outcome", std::string(to_string(r.result))},
      {"status", std::to_string(r.http_status)},
      {"latency_s", num(r.latency_seconds)},
      {"ttft_s", r.phases.first_token ? num(*r.phases.first_token) : std::string("-")},
      {"prompt_tokens", opt(r.tokens.prompt_tokens)},
      {"completion_tokens", opt(r.tokens.completion_tokens)},
      {"image_tokens", opt(r.tokens.image_tokens)},
      {"baseline", opt(r.baseline_prompt_tokens)},
      {"cost_usd", num(r.cost_usd, "%.6f")},
      {"seed", std::to_string(r.seed)},
      {"seq", std::to_string(r.sequence)},
  };
  // The default route ([plain]) logs as it always did; others name each probe's shape.
  if (names_shapes(route.settings.shapes) || r.shape != probe_shape::plain) {
    f.insert(f.begin() + 4, {"shape", std::string(to_string(r.shape))});
  }
  if (!r.reason.empty()) {
    f.emplace_back("reason", r.reason);
  }
  if (r.note != probe_note::none) {
    f.emplace_back("note", std::string(to_string(r.note)));
  }
  const auto level =
      quiet ? spdlog::level::debug : (r.success() ? spdlog::level::info : spdlog::level::warn);
  log_event(level, r.control ? "baseline" : "probe", f);
}

}  // namespace visionwatch
