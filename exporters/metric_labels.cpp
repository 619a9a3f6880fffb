#include "exporters/metric_labels.hpp"

#include <functional>

#include "exporters/exposition.hpp"
#include "exporters/metric_series.hpp"

namespace visionwatch::metrics_detail {

label_ref label_values::make(std::string_view name, std::string_view value) {
  const std::string& v = storage_.emplace_back(value);
  const std::string& fragment = storage_.emplace_back(exposition::label(name, value));
  return {name, v, fragment};
}

namespace {

template <std::size_t n>
std::vector<label_ref> le_labels(const std::array<double, n>& bounds,
                                 const std::function<label_ref(std::string_view)>& make) {
  std::vector<label_ref> out;
  for (double b : bounds) {
    std::string v;
    exposition::append_value(v, b);
    out.push_back(make(v));
  }
  out.push_back(make("+Inf"));
  return out;
}

}  // namespace

label_values::label_values() {
  for (std::size_t i = 0; i < outcome_count; ++i) {
    outcomes[i] = make("outcome", to_string(all_outcomes[i]));
  }
  for (std::size_t i = 0; i < silent_count; ++i) {
    reasons[i] = make("reason", to_string(silent_outcome(i)));
  }
  for (std::size_t i = 0; i < phase_count; ++i) {
    phases[i] = make("phase", phase_name(static_cast<phase>(i)));
  }
  for (std::size_t i = 0; i < notification_result_count; ++i) {
    results[i] = make("result", result_names[i]);
  }
  for (std::size_t i = 0; i < probe_skip_reason_count; ++i) {
    skip_reasons[i] = make("reason", to_string(static_cast<probe_skip_reason>(i)));
  }
  for (std::size_t i = 0; i < quantile_count; ++i) {
    quantiles[i] = make("quantile", quantile_names[i]);
  }
  stream = {make("stream", "false"), make("stream", "true")};
  for (std::size_t i = 0; i < probe_shape_count; ++i) {
    shapes[i] = make("shape", to_string(static_cast<probe_shape>(i)));
  }
  const auto le = [this](std::string_view v) { return make("le", v); };
  duration_le_ = le_labels(duration_bounds, le);
  lag_le_ = le_labels(lag_bounds, le);
  duration = {duration_bounds, duration_le_};
  lag = {lag_bounds, lag_le_};
}

const label_values& label_table() {
  static const label_values values;
  return values;
}

}  // namespace visionwatch::metrics_detail
