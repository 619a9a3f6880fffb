#pragma once
/// What the daemon remembers about one route across probes and config reloads: the recent results
/// (for /api/v1/routes and the status page), the windows behind the windowed figures, the learned
/// text-only usage baseline and the probe sequence. Pure; one io_context thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

#include "exporters/sample_window.hpp"
#include "exporters/status.hpp"
#include "probes/probe_result.hpp"

namespace visionwatch {

class route_state {
 public:
  explicit route_state(std::size_t window = 100, std::size_t recent = 20);

  /// An image probe finished.
  void record(const probe_result& r);
  /// A text-only control request finished: a success with prompt_tokens becomes the baseline.
  /// Returns true when the baseline changed.
  bool record_baseline(const probe_result& r);
  /// Restores a persisted baseline (state file).
  void restore_baseline(long long tokens, std::chrono::system_clock::time_point at);

  /// Window size changed by a reload: keeps the newest samples.
  void set_window(std::size_t window);

  std::uint64_t next_sequence() noexcept { return ++sequence_; }
  std::optional<long long> baseline() const noexcept { return baseline_; }
  std::optional<std::chrono::system_clock::time_point> baseline_at() const noexcept {
    return baseline_at_;
  }
  const std::deque<probe_result>& recent() const noexcept { return recent_; }  ///< newest first
  const probe_result* last() const noexcept { return recent_.empty() ? nullptr : &recent_.front(); }
  std::optional<probe_result> last_control() const { return last_control_; }

  window_figures figures() const;
  std::uint64_t silent_in_window() const;

 private:
  sample_window latency_;  ///< seconds, probes that got an HTTP response
  sample_window success_;  ///< 1 ok, 0 otherwise
  sample_window silent_;   ///< 1 silent failure, 0 otherwise
  sample_window cost_;     ///< USD per probe, failed probes too
  std::deque<probe_result> recent_;
  std::size_t recent_limit_;
  std::optional<long long> baseline_;
  std::optional<std::chrono::system_clock::time_point> baseline_at_;
  std::optional<probe_result> last_control_;
  std::uint64_t sequence_ = 0;
};

}  // namespace visionwatch
