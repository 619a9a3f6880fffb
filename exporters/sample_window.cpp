#include "exporters/sample_window.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace visionwatch {

sample_window::sample_window(std::size_t capacity) : ring_(std::max<std::size_t>(capacity, 1)) {}

void sample_window::add(double value) {
  ring_[next_] = value;
  next_ = (next_ + 1) % ring_.size();
  size_ = std::min(size_ + 1, ring_.size());
}

std::vector<double> sample_window::values() const {
  std::vector<double> out;
  out.reserve(size_);
  const std::size_t start = (next_ + ring_.size() - size_) % ring_.size();
  for (std::size_t i = 0; i < size_; ++i) {
    out.push_back(ring_[(start + i) % ring_.size()]);
  }
  return out;
}

void sample_window::set_capacity(std::size_t capacity) {
  capacity = std::max<std::size_t>(capacity, 1);
  if (capacity == ring_.size()) {
    return;
  }
  auto vals = values();
  if (vals.size() > capacity) {
    vals.erase(vals.begin(), vals.end() - static_cast<std::ptrdiff_t>(capacity));
  }
  ring_.assign(capacity, 0.0);
  std::copy(vals.begin(), vals.end(), ring_.begin());
  size_ = vals.size();
  next_ = size_ % capacity;
}

std::optional<double> sample_window::quantile(double q) const {
  if (size_ == 0) {
    return std::nullopt;
  }
  auto vals = values();
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(vals.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = static_cast<std::size_t>(std::ceil(rank));
  std::nth_element(vals.begin(), vals.begin() + static_cast<std::ptrdiff_t>(lo), vals.end());
  const double lo_v = vals[lo];
  if (hi == lo) {
    return lo_v;
  }
  // The next rank is the minimum of the upper part after nth_element.
  const double hi_v = *std::min_element(vals.begin() + static_cast<std::ptrdiff_t>(hi), vals.end());
  return lo_v + (hi_v - lo_v) * (rank - static_cast<double>(lo));
}

std::optional<double> sample_window::max() const {
  if (size_ == 0) {
    return std::nullopt;
  }
  const auto vals = values();
  return *std::max_element(vals.begin(), vals.end());
}

double sample_window::sum() const {
  const auto vals = values();
  return std::accumulate(vals.begin(), vals.end(), 0.0);
}

std::optional<double> sample_window::mean() const {
  if (size_ == 0) {
    return std::nullopt;
  }
  return sum() / static_cast<double>(size_);
}

}  // namespace visionwatch
