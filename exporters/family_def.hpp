#pragma once
/// What a metric family is called and says about itself: name, HELP text, type and label
/// names. One per row of the family table (metric_table.hpp). Internal to exporters/.

#include <prometheus/metric_type.h>

#include <string_view>

namespace visionwatch::metrics_detail {

/// HELP: one line, no backslashes and no quotes (prometheus-cpp 1.0.1's TextSerializer, the
/// reference in tests, does not escape HELP).
struct family_def {
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type;
  /// The family's own label names, comma-separated, external labels not included (`le` and
  /// `quantile` are implied by the type); checked against collect() by the tests.
  std::string_view labels;
};

/// The TYPE line's spelling.
constexpr std::string_view type_name(prometheus::MetricType t) noexcept {
  switch (t) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Histogram:
      return "histogram";
    case prometheus::MetricType::Summary:
      return "summary";
    case prometheus::MetricType::Untyped:
      break;
  }
  return "untyped";
}

}  // namespace visionwatch::metrics_detail
