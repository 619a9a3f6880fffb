#include "exporters/model_sink.hpp"

#include <limits>

namespace visionwatch::metrics_detail {

void model_sink::family(const family_def& def) {
  families_.push_back({std::string(def.name), std::string(def.help), def.type, {}});
}

void model_sink::value(double v, label_group g, label_ref a, label_ref b) {
  auto& m = add(g, a, b);
  switch (families_.back().type) {
    case prometheus::MetricType::Counter:
      m.counter.value = v;
      break;
    case prometheus::MetricType::Gauge:
      m.gauge.value = v;
      break;
    default:
      m.untyped.value = v;
      break;
  }
}

void model_sink::histogram(histogram_view h, const histogram_axis& axis, label_group g) {
  auto& m = add(g);
  m.histogram.sample_count = h.count;
  m.histogram.sample_sum = h.sum;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    m.histogram.bucket.push_back(
        {cumulative,
         i < axis.bounds.size() ? axis.bounds[i] : std::numeric_limits<double>::infinity()});
  }
}

void model_sink::summary(const std::array<gauge_value, quantile_count>& quantiles,
                         double sum,
                         std::uint64_t count,
                         label_group g) {
  auto& m = add(g);
  m.summary.sample_count = count;
  m.summary.sample_sum = sum;
  for (std::size_t i = 0; i < quantile_count; ++i) {
    if (quantiles[i]) {
      m.summary.quantile.push_back({quantile_values[i], *quantiles[i]});
    }
  }
}

std::vector<prometheus::MetricFamily> model_sink::take() {
  std::erase_if(families_, [](const auto& f) { return f.metric.empty(); });
  return std::move(families_);
}

prometheus::ClientMetric& model_sink::add(label_group g, label_ref a, label_ref b) {
  // Sorted by name, then the external labels: the order prometheus-cpp's own Family gives.
  std::map<std::string, std::string> labels;
  if (g.labels != nullptr) {
    const std::array<std::pair<const char*, const std::string*>, 4> route = {{
        {"route", &g.labels->route},
        {"model", &g.labels->model},
        {"gateway", &g.labels->gateway},
        {"api", &g.labels->api},
    }};
    for (std::size_t i = 0; i < g.depth; ++i) {
      labels.emplace(route[i].first, *route[i].second);
    }
  }
  for (const label_ref& l : {a, b}) {
    if (!l.name.empty()) {
      labels.emplace(l.name, l.value);
    }
  }
  auto& m = families_.back().metric.emplace_back();
  for (const auto& [k, v] : labels) {
    m.label.push_back({k, v});
  }
  for (const auto& [k, v] : external_) {
    m.label.push_back({k, v});
  }
  return m;
}

}  // namespace visionwatch::metrics_detail
