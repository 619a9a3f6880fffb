#include "daemon/runtime/probe_log.hpp"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "daemon/runtime/probe_shapes.hpp"
#include "probes/logging.hpp"

namespace visionwatch {
namespace {

/// A count, or "-" when the reply did not give it.
void count_field(log_line& line, std::string_view key, const std::optional<long long>& v) {
  if (v) {
    line.field(key, static_cast<std::int64_t>(*v));
  } else {
    line.field(key, std::string_view("-"));
  }
}

}  // namespace

void log_probe(const probe_result& r, const route_config& route, bool quiet) {
  const auto level =
      quiet ? spdlog::level::debug : (r.success() ? spdlog::level::info : spdlog::level::warn);
  // Formatted once, straight into the line, and not at all when the level is off.
  log_line line(level, r.control ? "baseline" : "probe");
  if (!line.enabled()) {
    return;
  }
  line.field("route", r.route)
      .field("model", route.model)
      .field("gateway", route.gateway)
      .field("kind",
             r.control ? std::string_view("control")
                       : (r.custom ? std::string_view("custom") : to_string(r.kind)));
  // The default route ([plain]) logs as it always did; others name each probe's shape.
  if (names_shapes(route.settings.shapes) || r.shape != probe_shape::plain) {
    line.field("shape", to_string(r.shape));
  }
  line.field("outcome", to_string(r.result))
      .field("status", static_cast<std::uint64_t>(r.http_status))
      .field("latency_s", r.latency_seconds, 3);
  if (r.phases.first_token) {
    line.field("ttft_s", *r.phases.first_token, 3);
  } else {
    line.field("ttft_s", std::string_view("-"));
  }
  count_field(line, "prompt_tokens", r.tokens.prompt_tokens);
  count_field(line, "completion_tokens", r.tokens.completion_tokens);
  count_field(line, "image_tokens", r.tokens.image_tokens);
  count_field(line, "baseline", r.baseline_prompt_tokens);
  line.field("cost_usd", r.cost_usd, 6)
      .field("seed", static_cast<std::uint64_t>(r.seed))
      .field("seq", static_cast<std::uint64_t>(r.sequence));
  if (!r.reason.empty()) {
    line.field("reason", r.reason);
  }
  if (r.note != probe_note::none) {
    line.field("note", to_string(r.note));
  }
  line.emit();
}

}  // namespace visionwatch
