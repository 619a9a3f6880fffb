#pragma once
/// THE list of metric families, in exposition order: each row pairs a family's definition
/// (name, HELP, type, labels) with its writer, and both outputs are driven from it —
/// metrics::render_piece() through a text_sink, metrics::collect() through a model_sink.
/// Adding a metric: a field in metric_series.hpp, its update in metrics.cpp, one row in
/// metric_table.cpp (see docs/metrics.md). Internal to exporters/.

#include <span>

#include "exporters/family_def.hpp"
#include "exporters/metric_series.hpp"
#include "exporters/model_sink.hpp"
#include "exporters/text_sink.hpp"

namespace visionwatch::metrics_detail {

/// One family and its writer, instantiated for both sinks. A per-route family's writer is
/// called once per route (routes in name order); an instance family's writer once.
struct family_row {
  template <class sink>
  using route_writer = void (*)(sink&, const route_series&);
  template <class sink>
  using instance_writer = void (*)(sink&, const instance_series&);

  family_def def;
  route_writer<text_sink> route_text = nullptr;  ///< set for per-route families
  route_writer<model_sink> route_model = nullptr;
  instance_writer<text_sink> instance_text = nullptr;  ///< set for instance families
  instance_writer<model_sink> instance_model = nullptr;

  [[nodiscard]] bool per_route() const noexcept { return route_text != nullptr; }
};

std::span<const family_row> family_table() noexcept;

}  // namespace visionwatch::metrics_detail
