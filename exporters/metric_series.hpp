#pragma once
/// The values behind the metrics, stored our way (see metrics.hpp): one block per route, one per
/// receiver, and one for the instance-wide series. Owned by `metrics`; read by the family table's
/// writers (metric_table.hpp). Internal to exporters/.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporters/metric_labels.hpp"
#include "exporters/metrics.hpp"

namespace visionwatch::metrics_detail {

// LLM latencies: a fast vision call answers in ~0.5 s, a loaded one in tens of seconds.
inline constexpr std::array<double, 14> duration_bounds = {
    0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60};
// Scheduler lag: healthy is well under a millisecond; a second means the loop is starved.
inline constexpr std::array<double, 10> lag_bounds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

/// A fixed-bucket histogram's counts as the sinks read them: per bucket (not cumulative), the
/// last one is +Inf.
struct histogram_view {
  std::span<const std::uint64_t> counts;
  double sum = 0;
  std::uint64_t count = 0;
};

/// Fixed-bucket histogram over `bounds`; counts per bucket (not cumulative), the last one is +Inf.
template <std::size_t n>
struct histogram_data {
  std::array<std::uint64_t, n + 1> counts{};
  double sum = 0;
  std::uint64_t count = 0;

  void observe(double v, const std::array<double, n>& bounds) {
    if (std::isnan(v)) {
      return;  // would turn the sum into NaN for good
    }
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), v);  // first bound >= v
    ++counts[static_cast<std::size_t>(it - bounds.begin())];
    sum += v;
    ++count;
  }
  [[nodiscard]] histogram_view view() const noexcept { return {counts, sum, count}; }
};

/// The labels of one series, as both sinks need them: `fragment` pre-rendered for the text
/// exposition, the first `depth` of route, model, gateway, api for prometheus-cpp's model.
struct label_group {
  std::string_view fragment;
  const route_labels* labels = nullptr;
  std::uint8_t depth = 0;
};

/// Every series of one route.
struct route_series {
  route_series() = default;
  route_series(const route_series&) = delete;  // the fragments view into label_text
  route_series& operator=(const route_series&) = delete;

  route_labels labels;
  /// `route="..",model="..",gateway="..",api=".."` in one block: a render touches one cache
  /// line per route and family for its labels. The views below are prefixes of it.
  std::string label_text;
  std::string_view route_fragment;        ///< `route=".."`
  std::string_view route_model_fragment;  ///< `route="..",model=".."`

  [[nodiscard]] label_group route() const noexcept { return {route_fragment, &labels, 1}; }
  [[nodiscard]] label_group route_model() const noexcept {
    return {route_model_fragment, &labels, 2};
  }
  [[nodiscard]] label_group all() const noexcept { return {label_text, &labels, 4}; }

  std::array<std::uint64_t, outcome_count> probes{};
  std::array<std::uint64_t, silent_count> silent{};
  histogram_data<duration_bounds.size()> duration;
  /// Time to first token of streamed probes, on the duration's buckets.
  histogram_data<duration_bounds.size()> first_token;
  double cost = 0;
  std::uint64_t skipped = 0;
  // Absent until first known: unknown is no sample, never a misleading 0.
  std::optional<double> success;
  /// Window latency at quantile_values; _sum and _count come from `duration`, which observes
  /// the same probes (those that got a response) but over the process life.
  std::array<std::optional<double>, quantile_count> latency;
  std::optional<double> success_ratio;
  /// The last probe's phases; phases[first_token] only counts when has_first_token (a
  /// streamed probe that got text).
  std::optional<std::array<double, phase_count>> phases;
  bool has_first_token = false;
  /// Completion tokens per second after the first token, of the last streamed probe that had
  /// both (absent until then).
  std::optional<double> output_tokens_per_second;
  std::optional<double> prompt;
  std::optional<double> completion;
  std::optional<double> image;
  std::optional<double> baseline;
  std::optional<double> cost_per_success;
  std::optional<double> last_probe;
  std::optional<double> last_success;
  /// Unix time until which a Retry-After defers the route's probes; absent when not deferred.
  std::optional<double> deferred_until;
  bool retry_mode = false;  ///< the last probe failed: the next comes after retry_interval
  /// One per configured shape, in configuration order (routes × shapes series, no more).
  struct shape_series {
    probe_shape shape = probe_shape::plain;
    std::optional<double> success;  ///< the shape's last probe: 1 ok, 0 not; absent until then
    std::uint64_t failures = 0;     ///< its probes that were not ok
  };
  std::vector<shape_series> shapes;
  struct alert {
    const rule_label* rule = nullptr;  ///< owned by metrics, shared by every route
    bool firing = false;
  };
  /// Sorted by rule name. A vector of pointers to shared labels, not a map of strings: every
  /// route has a series per rule (10,000 routes x 3 rules were 4 MB as map nodes).
  std::vector<alert> alerts;
};

/// The notification series of one receiver.
struct receiver_series {
  std::string fragment;  ///< `receiver=".."`
  std::array<std::uint64_t, notification_result_count> results{};
  double queue_depth = 0;
};

/// A gateway's spend today against its budget.
struct gateway_budget_series {
  std::string fragment;  ///< `gateway=".."`
  double spent = 0;      ///< USD today (UTC)
  double exhausted = 0;  ///< 1 while a budget pauses the gateway
};

/// The series of the instance itself: build, scheduler, configuration, receivers.
struct instance_series {
  std::string version;
  std::string revision;
  std::string version_fragment;   ///< `version=".."`
  std::string revision_fragment;  ///< `revision=".."`
  std::string shard = "1";        ///< this instance's shard number, 1..shards
  std::string shards = "1";       ///< how many shards split the routes
  std::string shard_fragment = R"(shard="1")";
  std::string shards_fragment = R"(shards="1")";
  double in_flight = 0;
  histogram_data<lag_bounds.size()> scheduler_lag;
  bool reload_ok = false;
  std::optional<double> reload_timestamp;  ///< absent until the first successful load
  std::map<std::string, std::unique_ptr<receiver_series>, std::less<>> receivers;
  /// Whether the last state save succeeded (absent until the first save) and when one last did.
  std::optional<double> state_save_ok;
  std::optional<double> state_save_timestamp;
  /// Due probes of a gateway's routes skipped, by gateway: fragment `gateway=".."`, count per
  /// probe_skip_reason.
  std::map<std::string,
           std::pair<std::string, std::array<std::uint64_t, probe_skip_reason_count>>,
           std::less<>>
      gateway_skipped;
  std::map<std::string, gateway_budget_series, std::less<>> gateway_budget;
};

}  // namespace visionwatch::metrics_detail
