#pragma once
/// The bounded label values of the metric families (outcome, reason, phase, quantile, result,
/// le), each once as text and once pre-rendered as a `name="value"` fragment. The arrays here are
/// tied to their enums by static_asserts: a new outcome, phase or result cannot leave a family
/// short of a series. Internal to exporters/.

#include <array>
#include <cstddef>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "exporters/metrics.hpp"
#include "probes/http_types.hpp"
#include "probes/outcome.hpp"
#include "probes/probe_shape.hpp"
#include "probes/window_figures.hpp"

namespace visionwatch::metrics_detail {

/// One label as both sinks need it: name and value for prometheus-cpp's model, the pre-rendered
/// `name="value"` fragment for the text exposition. Views: the owner outlives the render.
struct label_ref {
  std::string_view name;
  std::string_view value;
  std::string_view fragment;
};

/// The silent-failure outcomes (`reason` label): empty_answer .. model_mismatch.
inline constexpr std::size_t silent_count = 6;
static_assert(static_cast<std::size_t>(outcome::model_mismatch) + 1 == outcome_count &&
                  outcome_count - static_cast<std::size_t>(outcome::empty_answer) == silent_count,
              "silent failures are the last silent_count outcomes");
constexpr outcome silent_outcome(std::size_t i) noexcept {
  return static_cast<outcome>(static_cast<std::size_t>(outcome::empty_answer) + i);
}
constexpr std::size_t silent_index(outcome o) noexcept {
  return static_cast<std::size_t>(o) - static_cast<std::size_t>(outcome::empty_answer);
}

// The windowed latency figures, in window_figures order; "1" is the window max.
inline constexpr std::size_t quantile_count = 4;
inline constexpr std::array<double, quantile_count> quantile_values = {0.5, 0.9, 0.99, 1};
inline constexpr std::array<std::string_view, quantile_count> quantile_names = {
    "0.5", "0.9", "0.99", "1"};
static_assert(offsetof(window_figures, latency_max) - offsetof(window_figures, latency_p50) ==
                  (quantile_count - 1) * sizeof(window_figures::latency_p50),
              "one quantile per window latency figure, p50 .. max");

inline constexpr std::array<std::string_view, notification_result_count> result_names = {
    "success", "retry", "failed", "dropped"};
static_assert(static_cast<std::size_t>(notification_result::dropped) + 1 ==
                  notification_result_count,
              "one result name per notification_result");

inline constexpr std::array<std::string_view, probe_skip_reason_count> skip_reason_names = {
    "concurrency", "overlap", "late", "budget"};
static_assert(static_cast<std::size_t>(probe_skip_reason::budget) + 1 == probe_skip_reason_count,
              "one skip reason label per probe_skip_reason");

static_assert(static_cast<std::size_t>(phase::first_token) + 1 == phase_count,
              "one phase series per phase");

/// The `le` labels and upper bounds of one histogram, +Inf last.
struct histogram_axis {
  std::span<const double> bounds;  ///< without +Inf
  std::span<const label_ref> le;   ///< bounds.size() + 1
};

/// Every bounded label value, built once (label_table() below).
struct label_values {
  label_values();
  label_values(const label_values&) = delete;  // the label_refs view into the strings
  label_values& operator=(const label_values&) = delete;

  std::array<label_ref, outcome_count> outcomes;
  std::array<label_ref, silent_count> reasons;
  std::array<label_ref, phase_count> phases;
  std::array<label_ref, notification_result_count> results;
  std::array<label_ref, probe_skip_reason_count> skip_reasons;
  std::array<label_ref, quantile_count> quantiles;
  std::array<label_ref, 2> stream;  ///< `stream="false"`, `stream="true"` (route_info)
  std::array<label_ref, probe_shape_count> shapes;  ///< `shape=".."`, by probe_shape
  histogram_axis duration;
  histogram_axis lag;

 private:
  std::deque<std::string> storage_;  ///< a deque: growing it moves no string
  std::vector<label_ref> duration_le_;
  std::vector<label_ref> lag_le_;
  label_ref make(std::string_view name, std::string_view value);
};

const label_values& label_table();

}  // namespace visionwatch::metrics_detail
