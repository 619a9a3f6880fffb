#pragma once
/// Sans-io scheduling decisions for many routes: when each route is due, which due probes may
/// start under the global and per-gateway concurrency limits, and which are skipped because the
/// previous probe of the route still runs or the gateway's budget is spent. After a failed probe
/// a route is in retry mode: its next probe comes retry_interval after the failure, ahead of its
/// slot, until a probe succeeds. Time is passed in; the coroutine driver
/// (service::schedule_loop in daemon/runtime/service.cpp) owns the one timer. Not thread-safe
/// (one io_context thread).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace visionwatch {

/// Stable per-route phase in [0, interval): FNV-1a of the name, so a thousand routes with one
/// interval spread over it and a restart keeps each route's slot.
std::chrono::milliseconds phase_offset(std::string_view route,
                                       std::chrono::milliseconds interval) noexcept;

/// Delay from wall-clock `now_unix_ms` to the route's next slot: the next t with
/// (t - offset) % interval == 0.
std::chrono::milliseconds delay_to_slot(std::int64_t now_unix_ms,
                                        std::chrono::milliseconds offset,
                                        std::chrono::milliseconds interval) noexcept;

/// When a new route's first text-only baseline request runs: one timeout (at most half an
/// interval) before its first probe, so the probe has the baseline; when the first probe is
/// sooner than that, halfway between now and the probe. Start-up baselines thus follow the
/// routes' phases instead of all firing at start (10,000 at once delay every probe behind them).
template <class TimePoint>
TimePoint first_baseline_time(TimePoint now,
                              TimePoint first_probe,
                              std::chrono::milliseconds timeout,
                              std::chrono::milliseconds interval) noexcept {
  if (first_probe <= now) {
    return now;
  }
  const auto lead = std::min<typename TimePoint::duration>(std::min(timeout, interval / 2),
                                                           (first_probe - now) / 2);
  return first_probe - lead;
}

/// The start slack for a fleet whose shortest interval (or retry interval) is `shortest`: 1% of
/// it, at most `cap` (10 ms by default). 10,000 routes at 60 s are due 6 ms apart on average: an
/// idle io thread would sleep and wake for each; with the slack, those due within 10 ms of the
/// first start in one wakeup. No probe starts more than 1% of its interval late.
std::chrono::milliseconds start_slack_for(
    std::chrono::milliseconds shortest,
    std::chrono::milliseconds cap = std::chrono::milliseconds(10)) noexcept;

class scheduler_core {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using route_id = std::uint32_t;

  enum class job_kind : std::uint8_t { probe, baseline };

  /// Why a due probe did not start (the `reason` label of
  /// visionwatch_gateway_probes_skipped_total).
  enum class skip_reason : std::uint8_t {
    concurrency,  ///< the previous due probe still waited for a slot (max_concurrency,
                  ///< max_in_flight)
    overlap,      ///< the route's previous probe was still running (timeout longer than interval)
    late,         ///< the slot passed entirely: the process was stopped, suspended or stalled
    budget,       ///< the gateway is paused: its daily budget (or the global one) is spent
  };
  static constexpr std::size_t skip_reason_count = 4;

  struct skip {
    route_id route = 0;
    skip_reason reason = skip_reason::overlap;
    bool operator==(const skip&) const = default;
  };

  struct job {
    route_id route = 0;
    job_kind kind = job_kind::probe;
    time_point due{};  ///< when it should have started (lag = start - due)
    /// A probe of retry mode, ahead of the route's slot (it repeats the shape that failed).
    bool retry = false;
  };

  explicit scheduler_core(std::size_t max_in_flight) : max_in_flight_(max_in_flight) {}

  /// Adds (or replaces) a route. `gateway` indexes the per-gateway limit table.
  void add_route(route_id id,
                 std::size_t gateway,
                 std::chrono::milliseconds interval,
                 std::chrono::milliseconds baseline_interval,
                 time_point first_probe,
                 time_point first_baseline);
  /// Changes a route's intervals (reload) without losing its phase.
  void update_route(route_id id,
                    std::size_t gateway,
                    std::chrono::milliseconds interval,
                    std::chrono::milliseconds baseline_interval);
  void remove_route(route_id id);
  [[nodiscard]] bool has_route(route_id id) const;

  void set_gateway_limit(std::size_t gateway, std::size_t limit);
  /// Pauses (a spent budget) or resumes a gateway. While paused, due probes of its routes are
  /// skipped (reason budget), its control requests are not run, and waiting jobs are dropped;
  /// a route that missed a control request runs one at the first poll after `now` on resume.
  void set_gateway_paused(std::size_t gateway, bool paused, time_point now);
  [[nodiscard]] bool gateway_paused(std::size_t gateway) const noexcept;

  /// How soon a failed route is probed again (`retry_interval`); one not shorter than the
  /// interval means no retry mode. Set after add_route (0 until then) and after each update_route.
  void set_retry_interval(route_id id, std::chrono::milliseconds retry_interval);
  /// A probe of the route (scheduled or on demand) finished at `now`. A failure puts the route
  /// in retry mode: its next probe moves to now + retry_interval when that is sooner than its
  /// slot. A success ends retry mode; the route resumes its slot (the phase is kept).
  void record_outcome(route_id id, bool failed, time_point now);
  [[nodiscard]] bool retrying(route_id id) const;
  void set_max_in_flight(std::size_t n) { max_in_flight_ = n; }

  /// Moves a route's next probe no earlier than `t` (429 with Retry-After).
  void defer(route_id id, time_point t);
  /// Runs the route's baseline request at the next opportunity.
  void request_baseline(route_id id, time_point now);

  /// Everything due at `now`, admitted under the limits, to start now. Due jobs of busy routes
  /// are skipped (counted by skipped()), except a probe due while the route's control request
  /// runs, which waits for it (a route with several request forms learns their baselines one
  /// after the other); jobs over a limit wait, and are skipped if the route's next slot arrives
  /// first.
  std::vector<job> poll(time_point now);
  /// Claims the route's slot for an on-demand probe (POST /api/v1/routes/{name}/probe) when the
  /// route is idle and the limits allow; release it with finished().
  bool try_start_now(route_id id);
  /// A started job finished; frees its slot.
  void finished(route_id id);

  /// When the driver should poll next (nullopt: nothing scheduled or all waiting): the earliest
  /// due job plus the start slack, so that jobs due within the slack after it start in the same
  /// wakeup instead of one wakeup each.
  [[nodiscard]] std::optional<time_point> next_wakeup() const;
  /// How long a due job may wait for others due just after it (0, the default: none). A job
  /// starts at most this late; the caller keeps it a small share of the shortest interval
  /// (start_slack_for), so the schedule's spread and phases stay as they are.
  void set_start_slack(std::chrono::milliseconds slack) noexcept {
    start_slack_ = std::max(slack, std::chrono::milliseconds(0));
  }
  [[nodiscard]] std::chrono::milliseconds start_slack() const noexcept { return start_slack_; }

  [[nodiscard]] bool busy(route_id id) const;
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }
  [[nodiscard]] std::size_t waiting() const noexcept { return waiting_.size(); }
  /// One entry per skipped probe since the last call (a route may appear several times).
  std::vector<skip> take_skipped();

 private:
  struct route_entry {
    std::size_t gateway = 0;
    std::chrono::milliseconds interval{};
    std::chrono::milliseconds baseline_interval{};
    time_point next_probe{};
    time_point next_baseline{};
    std::uint64_t probe_generation = 0;  ///< invalidates stale heap entries
    std::uint64_t baseline_generation = 0;
    bool running = false;
    bool running_baseline = false;  ///< what runs is a control request
    bool probe_waiting = false;
    bool removed = false;  ///< removed while running: erased when it finishes
    std::chrono::milliseconds retry_interval{};  ///< < interval: retry mode after a failure
    bool retrying = false;
    /// Set while a retry runs ahead of the slot: where the probe schedule resumes after it.
    std::optional<time_point> resume_slot;
    bool baseline_missed = false;  ///< a control request not run while the gateway was paused
  };
  struct heap_entry {
    time_point due;
    route_id route;
    job_kind kind;
    std::uint64_t generation;
    bool operator>(const heap_entry& o) const { return due > o.due; }
  };

  void push(route_id id, route_entry& r, job_kind kind);
  [[nodiscard]] bool admit(const route_entry& r) const;
  [[nodiscard]] bool paused(const route_entry& r) const noexcept {
    return gateway_paused(r.gateway);
  }
  /// Ends retry mode; a retry still pending gives way to the slot.
  void leave_retry(route_id id, route_entry& r);

  std::unordered_map<route_id, route_entry> routes_;
  std::priority_queue<heap_entry, std::vector<heap_entry>, std::greater<>> heap_;
  std::deque<job> waiting_;
  std::vector<std::size_t> gateway_limit_;
  std::vector<std::size_t> gateway_in_flight_;
  std::vector<std::uint8_t> gateway_paused_;  ///< by gateway index: 1 while paused
  std::size_t max_in_flight_;
  std::chrono::milliseconds start_slack_{0};
  std::size_t in_flight_ = 0;
  std::uint64_t next_generation_ = 1;
  std::vector<skip> skipped_;
};

}  // namespace visionwatch
