#pragma once
/// What the daemon remembers about one route across probes and config reloads: the recent results
/// (for /api/v1/routes and the status page), the windows behind the windowed figures, the learned
/// text-only usage baselines (one per request form, daemon/runtime/probe_shapes.hpp), the probe
/// sequence and the shape rotation, and each shape's latest outcome. Pure; one io_context thread.
///
/// Kept compact because a daemon may watch 10,000 routes: the recent results are packed into
/// one byte string per route (about 65 bytes for a healthy probe: timings as whole nanoseconds,
/// a right answer stored once; a probe_result is ~450 plus its strings), and the success and
/// silent-failure windows hold one byte per probe.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
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
  sample_window latency_;            ///< seconds, probes that got an HTTP response
  /// USD per probe, failed probes too; made with the first cost that is not zero (a route of a
  /// gateway without prices never has one: 200 bytes each saved). Until then every cost in
  /// the window was zero, so the sum it gives is the one a window of zeros would give.
  std::unique_ptr<sample_window> cost_;
  /// Seconds, streamed probes that got text; made with the first one (most routes never
  /// stream: 180 bytes each saved).
  std::unique_ptr<sample_window> first_token_;
  std::uint32_t window_;  ///< the windows' size, for first_token_ and cost_ when made
  /// Where in recent_ the newest packed result starts (recent_size_ > 0). Kept, not found by
  /// walking the ring: the status page reads every route's newest result on each request, and
  /// a walk touched a route's whole ring (10,000 routes: 18 ms of a request's 20). Here, it
  /// fills padding after window_: the object's size is unchanged.
  std::uint32_t newest_at_ = 0;
  ring_window<std::uint8_t> flags_;  ///< one byte per probe: bit 0 success, bit 1 silent
  /// The last recent_limit_ image probes, packed oldest first (route_state.cpp's pack()).
  std::vector<char> recent_;
  std::uint16_t recent_size_ = 0;  ///< results in recent_
  std::uint16_t recent_limit_;
  /// Where the newest packed result starts (recent_size_ > 0).
  [[nodiscard]] const char* newest_packed() const noexcept;
  outcome last_result_ = outcome::ok;  ///< the newest image probe's, for next_shape()
  probe_shape last_shape_ = probe_shape::plain;
  struct learned {
    std::optional<long long> tokens;
    std::optional<std::chrono::system_clock::time_point> at;
    /// The last control request of the form, successful or not (or the restored baseline's
    /// time).
    std::optional<std::chrono::system_clock::time_point> attempted;
  };
  std::array<learned, request_form_count> baselines_;  ///< by request_form
  std::vector<char> last_control_;  ///< the last control request, packed; empty until one ran
  std::uint64_t sequence_ = 0;
  std::uint64_t rotation_ = 0;  ///< probes that took the next shape in rotation
  /// The latest outcome of each shape probed so far, in the order first probed: the first
  /// latest_count_ entries (in place, not a vector: one for a route of one shape).
  std::array<std::pair<probe_shape, outcome>, probe_shape_count> latest_{};
  std::uint8_t latest_count_ = 0;
};

}  // namespace visionwatch
