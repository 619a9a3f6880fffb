/// metrics' two outputs, both driven by the family table (metric_table.hpp): the text
/// exposition (render, render_piece) and prometheus-cpp's data model (collect).

#include <prometheus/metric_family.h>

#include <algorithm>
#include <limits>
#include <string_view>

#include "exporters/metric_table.hpp"
#include "exporters/metrics.hpp"

namespace visionwatch {

using metrics_detail::family_table;

std::string metrics::render() const {
  std::string out;
  render(out);
  return out;
}

void metrics::render(std::string& out) const {
  out.reserve(out.size() + last_render_size_ + last_render_size_ / 8);
  const std::size_t begin = out.size();
  render_cursor cursor;
  while (render_piece(cursor, out, std::numeric_limits<std::size_t>::max())) {
  }
  last_render_size_ = out.size() - begin;
}

bool metrics::render_piece(render_cursor& cursor, std::string& out, std::size_t budget) const {
  const auto rows = family_table();
  const auto& order = render_order();
  const std::size_t start = out.size();
  metrics_detail::text_sink sink(out, constant_);
  // One family at a time: all samples of a family must form one group in the exposition. A
  // family without samples is left out, its HELP and TYPE included (the sink writes them before
  // the first sample).
  for (; cursor.stage < rows.size(); ++cursor.stage) {
    const metrics_detail::family_row& row = rows[cursor.stage];
    sink.family(row.def, cursor.header);
    if (!row.per_route()) {
      row.instance_text(sink, *instance_);
      continue;
    }
    auto it = order.begin();
    if (cursor.after) {
      it = std::upper_bound(order.begin(),
                            order.end(),
                            std::string_view(*cursor.after),
                            [this](std::string_view name, std::uint32_t index) {
                              return name < slots_[index].series->labels.route;
                            });
    }
    for (; it != order.end(); ++it) {
      const route_series& series = *slots_[*it].series;
      row.route_text(sink, series);
      if (out.size() - start >= budget) {
        cursor.after = series.labels.route;
        cursor.header = sink.header_written();
        return true;
      }
    }
    cursor.after.reset();
    cursor.header = false;
  }
  return false;
}

const std::vector<std::uint32_t>& metrics::render_order() const {
  if (order_stale_) {
    order_.clear();
    order_.reserve(by_name_.size());
    for (const auto& [name, index] : by_name_) {
      order_.push_back(index);
    }
    order_stale_ = false;
  }
  return order_;
}

std::vector<prometheus::MetricFamily> metrics::collect() const {
  metrics_detail::model_sink sink(external_);
  for (const metrics_detail::family_row& row : family_table()) {
    sink.family(row.def);
    if (!row.per_route()) {
      row.instance_model(sink, *instance_);
      continue;
    }
    for (const auto& [name, index] : by_name_) {
      row.route_model(sink, *slots_[index].series);
    }
  }
  return sink.take();
}

}  // namespace visionwatch
