#pragma once
/// Builds the family table's samples as prometheus-cpp MetricFamily values (its data model, for
/// its serializers and push/pull integrations): the path behind metrics::collect().
/// Internal to exporters/.

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exporters/family_def.hpp"
#include "exporters/metric_labels.hpp"
#include "exporters/metric_series.hpp"

namespace visionwatch::metrics_detail {

class model_sink {
 public:
  /// `external`: labels added to every sample, after the family's own.
  explicit model_sink(const std::map<std::string, std::string>& external) : external_(external) {}

  /// Later samples belong to a new family `def`.
  void family(const family_def& def);

  void value(double v, label_group g = {}, label_ref a = {}, label_ref b = {});
  void histogram(histogram_view h, const histogram_axis& axis, label_group g = {});
  /// Quantiles that are unset are left out.
  void summary(const std::array<gauge_value, quantile_count>& quantiles,
               double sum,
               std::uint64_t count,
               label_group g);

  /// The families with at least one sample, in the order they were started.
  std::vector<prometheus::MetricFamily> take();

 private:
  prometheus::ClientMetric& add(label_group g, label_ref a = {}, label_ref b = {});
  const std::map<std::string, std::string>& external_;
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace visionwatch::metrics_detail
