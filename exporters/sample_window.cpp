#include "exporters/sample_window.hpp"

#include <cmath>

namespace visionwatch {

std::optional<double> quantile_of_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) {
    return std::nullopt;
  }
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = static_cast<std::size_t>(std::ceil(rank));
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

std::vector<double> sample_window::sorted() const {
  auto vals = ring_.values();
  std::sort(vals.begin(), vals.end());
  return vals;
}

std::optional<double> sample_window::max() const {
  if (ring_.empty()) {
    return std::nullopt;
  }
  double m = -HUGE_VAL;
  ring_.for_each([&m](double v) { m = std::max(m, v); });
  return m;
}

double sample_window::sum() const {
  double s = 0;
  ring_.for_each([&s](double v) { s += v; });
  return s;
}

std::optional<double> sample_window::mean() const {
  if (ring_.empty()) {
    return std::nullopt;
  }
  return sum() / static_cast<double>(ring_.size());
}

}  // namespace visionwatch
