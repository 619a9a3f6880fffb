#pragma once
/// A route's figures over its window (the last N probes), computed by the daemon's route state
/// after each probe; read by the metrics, the status page and the alert rules. Unset figures
/// mean "no data" (no probe with a response, or no success for the cost) and are not shown,
/// exported or evaluated.

#include <cstddef>
#include <optional>

namespace visionwatch {

struct window_figures {
  /// Seconds, probes that got an HTTP response; exported as
  /// visionwatch_probe_latency_seconds{quantile="0.5"|"0.9"|"0.99"|"1"} (quantile 1 is the max).
  std::optional<double> latency_p50;
  std::optional<double> latency_p90;
  std::optional<double> latency_p99;
  std::optional<double> latency_max;
  std::optional<double> cost_per_success_usd;  ///< window cost / window successes
  std::optional<double> success_ratio;         ///< 0..1
  std::size_t probes = 0;                      ///< probes in the window
  /// Seconds, time to first token of the window's streamed probes that got text (the
  /// `latency` rule with `metric: first_token`); unset for a route that does not stream.
  std::optional<double> first_token_p90{};
};

}  // namespace visionwatch
