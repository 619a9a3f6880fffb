#pragma once
/// What the daemon remembers about one route across probes and config reloads: the recent results
/// (for /api/v1/routes and the status page), the windows behind the windowed figures, the learned
/// text-only usage baseline and the probe sequence. Pure; one io_context thread.
///
/// Kept compact because a daemon may watch 10,000 routes: results are stored as fixed-size
/// records with their three texts (reason, expected answer, answer excerpt) in one allocation,
/// not as probe_result values (measured: ~450 bytes each plus their strings), and the success
/// and silent-failure windows hold one byte per probe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "exporters/sample_window.hpp"
#include "exporters/status.hpp"
#include "probes/probe_result.hpp"

namespace visionwatch {

class route_state {
 public:
  explicit route_state(std::size_t window = 100, std::size_t recent = 20);
  ~route_state();
  route_state(route_state&&) noexcept;
  route_state& operator=(route_state&&) noexcept;

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
  [[nodiscard]] std::optional<long long> baseline() const noexcept { return baseline_; }
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> baseline_at() const noexcept {
    return baseline_at_;
  }
  /// The recent image probes, newest first, rebuilt from the records (`route` left empty: the
  /// caller knows it). For the status page and the API, not for the probe path.
  [[nodiscard]] std::vector<probe_result> recent() const;
  /// The newest image probe, if any.
  [[nodiscard]] std::optional<probe_result> last() const;
  [[nodiscard]] std::optional<probe_result> last_control() const;

  [[nodiscard]] window_figures figures() const;
  [[nodiscard]] std::uint64_t silent_in_window() const;

 private:
  struct stored_result;
  sample_window latency_;              ///< seconds, probes that got an HTTP response
  sample_window cost_;                 ///< USD per probe, failed probes too
  sample_window first_token_;          ///< seconds, streamed probes that got text
  ring_window<std::uint8_t> flags_;    ///< one byte per probe: bit 0 success, bit 1 silent
  std::vector<stored_result> recent_;  ///< ring, capacity recent_limit_
  std::size_t recent_next_ = 0;
  std::size_t recent_size_ = 0;
  std::size_t recent_limit_;
  std::optional<long long> baseline_;
  std::optional<std::chrono::system_clock::time_point> baseline_at_;
  std::unique_ptr<stored_result> last_control_;
  std::uint64_t sequence_ = 0;
};

}  // namespace visionwatch
