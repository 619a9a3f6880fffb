/// metrics' two outputs, both driven by the family table (metric_table.hpp): the text
/// exposition (render, render_piece) and prometheus-cpp's data model (collect).

#include <prometheus/metric_family.h>

#include <limits>

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
  const std::size_t start = out.size();
  metrics_detail::text_sink sink(out, constant_);
  // One family at a time: all samples of a family must form one group in the exposition. A
  // family without samples is left out, its HELP and TYPE included.
  for (; cursor.stage < rows.size(); ++cursor.stage) {
    const metrics_detail::family_row& row = rows[cursor.stage];
    sink.family(row.def);
    if (!row.per_route()) {
      const std::size_t mark = out.size();
      sink.header();
      const std::size_t samples_at = out.size();
      row.instance_text(sink, *instance_);
      if (out.size() == samples_at) {
        out.resize(mark);
      }
      continue;
    }
    auto it = cursor.after ? by_name_.upper_bound(*cursor.after) : by_name_.begin();
    for (; it != by_name_.end(); ++it) {
      const std::size_t mark = out.size();
      if (!cursor.header) {
        sink.header();
      }
      const std::size_t samples_at = out.size();
      row.route_text(sink, *slots_[it->second].series);
      if (out.size() == samples_at) {
        out.resize(mark);  // nothing for this route: no header on its account either
        continue;
      }
      cursor.header = true;
      if (out.size() - start >= budget) {
        cursor.after = it->first;
        return true;
      }
    }
    cursor.after.reset();
    cursor.header = false;
  }
  return false;
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
