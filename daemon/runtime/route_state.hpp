#pragma once
/// What the daemon remembers about one route across probes and config reloads: the recent results
/// (for /api/v1/routes and the status page), the windows behind the windowed figures, the learned
/// text-only usage baselines (one per request form, daemon/runtime/probe_shapes.hpp), the probe
/// sequence and the shape rotation, and each shape's latest outcome. Pure; one io_context thread.
///
/// Kept compact because a daemon may watch 10,000 routes: results are stored as fixed-size
/// records with their three texts (reason, expected answer, answer excerpt) in one allocation,
/// not as probe_result values (measured: ~450 bytes each plus their strings), and the success
/// and silent-failure windows hold one byte per probe.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "daemon/runtime/probe_shapes.hpp"
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
  /// A text-only control request finished: a success with prompt_tokens becomes the baseline
  /// of its request form (form_of(r.shape)). Returns true when that baseline changed.
  bool record_baseline(const probe_result& r);
  /// Restores a persisted baseline (state file).
  void restore_baseline(long long tokens,
                        std::chrono::system_clock::time_point at,
                        request_form form = request_form::plain);

  /// The shape of the route's next probe: a retry (the scheduler's probe ahead of the slot after
  /// a failure) repeats the shape whose probe failed last, so the retry confirms that failure;
  /// every other probe takes the next of `shapes` in rotation. `shapes` is never empty.
  probe_shape next_shape(std::span<const probe_shape> shapes, bool retry);
  /// The request form the next control request should measure: the first of `forms` never
  /// measured (no control request yet, no restored baseline), else the one whose last control
  /// request is the oldest, so a form whose control requests keep failing does not keep the
  /// others from being refreshed.
  [[nodiscard]] request_form control_form(std::span<const request_form> forms) const;
  /// Whether one of `forms` was never measured (see control_form).
  [[nodiscard]] bool unmeasured(std::span<const request_form> forms) const;
  /// The latest outcome of each of `shapes`, in their order (unset: not probed yet).
  [[nodiscard]] std::vector<shape_outcome> latest(std::span<const probe_shape> shapes) const;
  /// Probes and successes of `shape` in the window.
  [[nodiscard]] std::pair<std::size_t, std::size_t> shape_window(probe_shape shape) const;

  /// Window size changed by a reload: keeps the newest samples.
  void set_window(std::size_t window);

  std::uint64_t next_sequence() noexcept { return ++sequence_; }
  /// The baseline of `form` (plain: the one the status page and the API show).
  [[nodiscard]] std::optional<long long> baseline(
      request_form form = request_form::plain) const noexcept {
    return baselines_[static_cast<std::size_t>(form)].tokens;
  }
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> baseline_at(
      request_form form = request_form::plain) const noexcept {
    return baselines_[static_cast<std::size_t>(form)].at;
  }
  /// The recent image probes, newest first, rebuilt from the records (`route` left empty: the
  /// caller knows it). For the status page and the API, not for the probe path.
  [[nodiscard]] std::vector<probe_result> recent() const;
  /// The newest image probe, if any.
  [[nodiscard]] std::optional<probe_result> last() const;
  [[nodiscard]] std::optional<probe_result> last_control() const;
  /// The newest image probe's outcome, start and latency, without rebuilding the result: what
  /// the status page filters and sorts every route on (daemon/runtime/status_pages.cpp).
  struct last_brief {
    outcome result = outcome::ok;
    std::chrono::system_clock::time_point started_at{};
    double latency_seconds = 0;
  };
  [[nodiscard]] std::optional<last_brief> last_probe_brief() const noexcept;

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
  struct learned {
    std::optional<long long> tokens;
    std::optional<std::chrono::system_clock::time_point> at;
    /// The last control request of the form, successful or not (or the restored baseline's
    /// time).
    std::optional<std::chrono::system_clock::time_point> attempted;
  };
  std::array<learned, request_form_count> baselines_;  ///< by request_form
  std::unique_ptr<stored_result> last_control_;
  std::uint64_t sequence_ = 0;
  std::uint64_t rotation_ = 0;  ///< probes that took the next shape in rotation
  /// The latest outcome of each shape probed so far (in the order first probed; at most
  /// probe_shape_count entries, one for a route of one shape).
  std::vector<std::pair<probe_shape, outcome>> latest_;
};

}  // namespace visionwatch
