#pragma once
/// The last N samples of one series (latency, cost, success) with quantiles computed on demand.
/// Replaces prometheus-cpp's Summary, which costs ~7 µs per observation. Not thread-safe.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

namespace visionwatch {

/// A fixed-capacity ring of the newest values; the storage behind sample_window and the route
/// state's one-byte flag window.
template <class T>
class ring_window {
 public:
  explicit ring_window(std::size_t capacity) : ring_(std::max<std::size_t>(capacity, 1)) {}

  void add(T value) {
    ring_[next_] = value;
    next_ = (next_ + 1) % ring_.size();
    size_ = std::min(size_ + 1, ring_.size());
  }
  /// Keeps the newest min(size, capacity) values, in order.
  void set_capacity(std::size_t capacity) {
    capacity = std::max<std::size_t>(capacity, 1);
    if (capacity == ring_.size()) {
      return;
    }
    auto vals = values();
    if (vals.size() > capacity) {
      vals.erase(vals.begin(), vals.end() - static_cast<std::ptrdiff_t>(capacity));
    }
    ring_ = std::vector<T>(capacity);  // not assign(): that keeps a larger window's storage
    std::copy(vals.begin(), vals.end(), ring_.begin());
    size_ = vals.size();
    next_ = size_ % capacity;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return ring_.size(); }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// Values oldest first.
  [[nodiscard]] std::vector<T> values() const {
    std::vector<T> out;
    out.reserve(size_);
    const std::size_t start = (next_ + ring_.size() - size_) % ring_.size();
    for (std::size_t i = 0; i < size_; ++i) {
      out.push_back(ring_[(start + i) % ring_.size()]);
    }
    return out;
  }
  /// Every stored value, in storage order (for order-free folds: sums, counts).
  template <class F>
  void for_each(F&& f) const {
    const std::size_t start = (next_ + ring_.size() - size_) % ring_.size();
    for (std::size_t i = 0; i < size_; ++i) {
      f(ring_[(start + i) % ring_.size()]);
    }
  }

 private:
  std::vector<T> ring_;
  std::size_t next_ = 0;
  std::size_t size_ = 0;
};

/// Linear interpolation between closest ranks of ascending `sorted` (q in [0, 1]); nullopt when
/// empty. Several quantiles of one window: sort once (sample_window::sorted), call this for each.
std::optional<double> quantile_of_sorted(const std::vector<double>& sorted, double q);

class sample_window {
 public:
  explicit sample_window(std::size_t capacity = 100) : ring_(capacity) {}

  void add(double value) { ring_.add(value); }
  /// Keeps the newest min(size, capacity) samples.
  void set_capacity(std::size_t capacity) { ring_.set_capacity(capacity); }

  [[nodiscard]] std::size_t size() const noexcept { return ring_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return ring_.capacity(); }
  [[nodiscard]] bool empty() const noexcept { return ring_.empty(); }

  /// Linear interpolation between closest ranks (q in [0, 1]); nullopt when empty.
  [[nodiscard]] std::optional<double> quantile(double q) const {
    return quantile_of_sorted(sorted(), q);
  }
  [[nodiscard]] std::optional<double> max() const;
  [[nodiscard]] std::optional<double> mean() const;
  [[nodiscard]] double sum() const;
  /// Samples oldest first.
  [[nodiscard]] std::vector<double> values() const { return ring_.values(); }
  /// Samples in ascending order.
  [[nodiscard]] std::vector<double> sorted() const;

 private:
  ring_window<double> ring_;
};

}  // namespace visionwatch
