#pragma once
/// Writes the family table's samples as text exposition lines (format 0.0.4) into a caller's
/// buffer, from pre-rendered label fragments: the fast path behind metrics::render().
/// Internal to exporters/.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "exporters/exposition.hpp"
#include "exporters/family_def.hpp"
#include "exporters/metric_labels.hpp"
#include "exporters/metric_series.hpp"

namespace visionwatch::metrics_detail {

class text_sink {
 public:
  /// `constant`: the pre-rendered external labels, appended to every sample.
  text_sink(std::string& out, std::string_view constant) : out_(out), constant_(constant) {}

  /// Later samples belong to `def` (which must outlive them).
  void family(const family_def& def) noexcept { def_ = &def; }
  /// The current family's HELP and TYPE lines.
  void header();
  std::string& buffer() noexcept { return out_; }

  void value(double v, label_group g = {}, label_ref a = {}, label_ref b = {}) {
    exposition::append_sample(
        out_, def_->name, {g.fragment, a.fragment, b.fragment, constant_}, v);
  }
  void histogram(histogram_view h, const histogram_axis& axis, label_group g = {});
  /// Quantiles that are unset are left out; `sum` and `count` are always written.
  void summary(const std::array<std::optional<double>, quantile_count>& quantiles,
               double sum,
               std::uint64_t count,
               label_group g);

 private:
  std::string& out_;
  std::string_view constant_;
  const family_def* def_ = nullptr;
};

}  // namespace visionwatch::metrics_detail
