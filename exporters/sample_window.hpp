#pragma once
/// The last N samples of one series (latency, cost, success) with quantiles computed on demand.
/// Replaces prometheus-cpp's Summary, which costs ~7 µs per observation. Not thread-safe.

#include <cstddef>
#include <optional>
#include <vector>

namespace visionwatch {

class sample_window {
 public:
  explicit sample_window(std::size_t capacity = 100);

  void add(double value);
  /// Keeps the newest min(size, capacity) samples.
  void set_capacity(std::size_t capacity);

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return ring_.size(); }
  bool empty() const noexcept { return size_ == 0; }

  /// Linear interpolation between closest ranks (q in [0, 1]); nullopt when empty.
  std::optional<double> quantile(double q) const;
  std::optional<double> max() const;
  std::optional<double> mean() const;
  double sum() const;
  /// Samples oldest first.
  std::vector<double> values() const;

 private:
  std::vector<double> ring_;
  std::size_t next_ = 0;
  std::size_t size_ = 0;
};

}  // namespace visionwatch
