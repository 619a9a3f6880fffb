#include "exporters/text_sink.hpp"

#include "exporters/exposition.hpp"

namespace visionwatch::metrics_detail {

void text_sink::write_header() {
  exposition::append_family_header(out_, def_->name, def_->help, type_name(def_->type));
  header_due_ = false;
}

void text_sink::histogram(histogram_view h, const histogram_axis& axis, label_group g) {
  begin_sample();
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    exposition::append_sample(out_,
                              def_->name,
                              "_bucket",
                              {g.fragment, axis.le[i].fragment, constant_},
                              static_cast<double>(cumulative));
  }
  exposition::append_sample(out_, def_->name, "_sum", {g.fragment, constant_}, h.sum);
  exposition::append_sample(
      out_, def_->name, "_count", {g.fragment, constant_}, static_cast<double>(h.count));
}

void text_sink::summary(const std::array<std::optional<double>, quantile_count>& quantiles,
                        double sum,
                        std::uint64_t count,
                        label_group g) {
  begin_sample();
  const auto& q = label_table().quantiles;
  for (std::size_t i = 0; i < quantile_count; ++i) {
    if (quantiles[i]) {
      exposition::append_sample(
          out_, def_->name, {g.fragment, q[i].fragment, constant_}, *quantiles[i]);
    }
  }
  exposition::append_sample(out_, def_->name, "_sum", {g.fragment, constant_}, sum);
  exposition::append_sample(
      out_, def_->name, "_count", {g.fragment, constant_}, static_cast<double>(count));
}

}  // namespace visionwatch::metrics_detail
