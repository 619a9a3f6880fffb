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

  /// Later samples belong to `def` (which must outlive them). Its HELP and TYPE lines go out
  /// just before its first sample, so a family without samples leaves no trace; with
  /// `header_written` (the family continues from an earlier piece) they do not go out again.
  void family(const family_def& def, bool header_written = false) noexcept {
    def_ = &def;
    header_due_ = !header_written;
  }
  /// Whether the current family's HELP and TYPE lines are out.
  [[nodiscard]] bool header_written() const noexcept { return !header_due_; }
  std::string& buffer() noexcept { return out_; }

  void value(double v, label_group g = {}, label_ref a = {}, label_ref b = {}) {
    begin_sample();
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
  void begin_sample() {
    if (header_due_) {
      write_header();
    }
  }
  void write_header();

  std::string& out_;
  std::string_view constant_;
  const family_def* def_ = nullptr;
  bool header_due_ = false;
};

}  // namespace visionwatch::metrics_detail
