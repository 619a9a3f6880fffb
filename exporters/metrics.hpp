#pragma once
/// The Prometheus metrics of one visionwatch instance: the families are fixed at construction;
/// each route's series are created by add_route() and reached through a route_handle (no name
/// or label lookups per probe); remove_route() deletes every series of the route, so /metrics
/// never shows a route the configuration no longer has.
///
/// Storage is ours, one compact block per route, rather than prometheus-cpp Family objects:
/// measured with 10,000 routes, prometheus-cpp 1.0.1 needs 1.5 s to Family::Remove one route's
/// series (a linear scan per series), ~250 MiB, and 6 s for Collect + TextSerializer. We keep its
/// data model: collect() returns prometheus::MetricFamily values, and the tests check render()
/// against prometheus-cpp's TextSerializer on them.
///
/// Thread safety: none. One thread (the io_context's) makes every call, render() included
/// (STYLE.md, practice 7).
///
/// The metric set is a public interface: see docs/metrics.md.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "probes/outcome.hpp"
#include "probes/probe_result.hpp"
#include "probes/window_figures.hpp"

namespace prometheus {
struct MetricFamily;  // NOLINT(readability-identifier-naming): prometheus-cpp's name
}  // namespace prometheus

namespace visionwatch {

namespace metrics_detail {
struct route_series;
/// An alert rule's name and its pre-rendered `rule=".."` fragment, owned by `metrics` (one per
/// rule name, never removed: rule names are a small set) and shared by every route's series.
struct rule_label {
  std::string name;
  std::string fragment;
};
struct receiver_series;
struct instance_series;
}  // namespace metrics_detail

/// The constant labels of one route's series.
struct route_labels {
  std::string route;  ///< unique, non-empty
  std::string model;
  std::string gateway;
  std::string api;  ///< api flavour spelling, e.g. "openai-chat"
  bool stream = false;  ///< the route's probes stream (`stream: true`): route_info's `stream`
  bool operator==(const route_labels&) const = default;
};

/// What became of one notification delivery attempt (the `result` label).
enum class notification_result : std::uint8_t {
  success,  ///< the receiver accepted it
  retry,    ///< a failed attempt that will be retried
  failed,   ///< given up after the last retry
  dropped,  ///< never attempted: queue full or shutting down
};
inline constexpr std::size_t notification_result_count = 4;
std::string_view to_string(notification_result r) noexcept;

/// Why a due probe of a gateway's route did not start (the `reason` label of
/// visionwatch_gateway_probes_skipped_total).
enum class probe_skip_reason : std::uint8_t {
  concurrency,  ///< it waited for a slot (max_concurrency or max_in_flight) until its next slot
  overlap,      ///< the route's previous probe was still running
  late,         ///< its slot passed while the process was stopped, suspended or stalled
  budget,       ///< the gateway's daily budget (or the global one) is spent: probing paused
};
inline constexpr std::size_t probe_skip_reason_count = 4;
std::string_view to_string(probe_skip_reason r) noexcept;

/// Names a route's series inside one `metrics` object. A plain value: copy it into route state.
/// After remove_route() (or add_route() with changed labels) it is stale, and every call made
/// with it is a no-op returning false: a handle can never reach freed series.
class route_handle {
 public:
  route_handle() = default;
  bool operator==(const route_handle&) const = default;

 private:
  friend class metrics;
  route_handle(std::uint32_t slot, std::uint32_t generation)
      : slot_(slot), generation_(generation) {}
  std::uint32_t slot_ = 0;
  std::uint32_t generation_ = 0;  ///< 0 never names a live route
};

class metrics {
 public:
  /// `external_labels` are added to every series (e.g. region, replica). Throws
  /// std::invalid_argument when a name is not a valid Prometheus label name, is one of ours
  /// (route, model, gateway, api, outcome, reason, phase, rule, receiver, result, version,
  /// revision, shard, shards, stream, shape, le, quantile), or when a value is empty or not UTF-8.
  metrics(const std::map<std::string, std::string>& external_labels,
          std::string_view version,
          std::string_view revision);
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  /// Creates the route's series: every outcome and silent-failure counter at 0, the duration
  /// histogram, cost and skip counters, route_info. Same route and same labels: returns the live
  /// handle, counters keep counting (a reload that does not touch the route). Same route, other
  /// labels: the old series are removed first (their handle goes stale). Throws
  /// std::invalid_argument for an empty route name or a label value that is not UTF-8.
  route_handle add_route(const route_labels& labels);
  /// Removes every series of the route from every family, alert series included. False when the
  /// route is unknown.
  bool remove_route(std::string_view route);
  /// The live handle of a route, if any.
  [[nodiscard]] std::optional<route_handle> find_route(std::string_view route) const;
  [[nodiscard]] std::size_t route_count() const noexcept { return by_name_.size(); }

  /// One probe's result, also into its shape's series when the shape is configured. A control
  /// request (text-only, measures the usage baseline) sets only the baseline gauge (from its
  /// prompt tokens, when it succeeded and measured the plain request form) and adds its cost to
  /// cost_usd_total: it is not a probe of the route. Returns false for a stale handle.
  bool record(route_handle route, const probe_result& result, const window_figures& window);
  /// The route's learned usage baseline (prompt tokens of the text-only request).
  bool set_baseline(route_handle route, long long prompt_tokens);
  /// The route's configured shapes (config `shapes:`): one shape_success gauge (no sample until
  /// the shape's first probe) and one shape_failures_total counter (from 0) per shape. A shape
  /// kept by a reload keeps its series; one no longer configured loses them.
  bool set_shapes(route_handle route, const std::vector<probe_shape>& shapes);
  /// The scheduler skipped a due probe (the previous one was still in flight, or a limit hit).
  bool probe_skipped(route_handle route);

  /// Until when a Retry-After defers the route's probes; nullopt: not deferred (no sample).
  bool set_deferred_until(route_handle route,
                          std::optional<std::chrono::system_clock::time_point> until);
  /// Whether the route is in retry mode (its last probe failed; the next comes after
  /// retry_interval).
  bool set_retry_mode(route_handle route, bool retrying);
  /// Creates the gateway's skipped-probe counter and budget gauges at 0 (a reload keeps existing
  /// values); false for an empty or non-UTF-8 name.
  bool add_gateway(std::string_view gateway);
  /// Removes the gateway's series (a reload removed the gateway).
  bool remove_gateway(std::string_view gateway);
  /// Counts a due probe of the gateway's routes that did not start, by reason.
  bool gateway_probe_skipped(std::string_view gateway,
                             probe_skip_reason reason = probe_skip_reason::concurrency);
  /// The gateway's estimated spend today (UTC) and whether a budget pauses its probes.
  bool set_gateway_budget(std::string_view gateway, double spent_usd, bool exhausted);
  /// Outcome of a state file write; the timestamp moves only when `ok`.
  void state_saved(bool ok, std::chrono::system_clock::time_point at);

  void set_in_flight(std::size_t probes);
  [[nodiscard]] double in_flight() const noexcept;
  /// How late the scheduler started a probe, in seconds.
  void observe_scheduler_lag(double seconds);
  /// The scheduler lag histogram as (upper bound, cumulative count), +Inf last (benchmarks).
  [[nodiscard]] std::vector<std::pair<double, std::uint64_t>> scheduler_lag_buckets() const;
  /// This instance's shard (global.shard or --shard): visionwatch_shard_info{shard, shards}.
  void set_shard(std::uint32_t shard, std::uint32_t shards);
  /// Outcome of a configuration (re)load; the success timestamp moves only when `ok`.
  void config_reloaded(bool ok, std::chrono::system_clock::time_point at);

  /// Sets alerts_firing{route,rule} to 1 or 0, creating the series on first use; the series goes
  /// with remove_route(). False (nothing created) for an unknown route or a non-UTF-8 rule.
  bool set_alert_firing(std::string_view route, std::string_view rule, bool firing);
  /// Creates the receiver's notification counters (all results at 0) and queue depth (0).
  /// Throws std::invalid_argument for an empty or non-UTF-8 name.
  void add_receiver(std::string_view receiver);
  bool remove_receiver(std::string_view receiver);
  /// Counts one delivery result; an unknown receiver is added first. False for an empty or
  /// non-UTF-8 receiver name (nothing counted).
  bool notification(std::string_view receiver, notification_result result);
  bool set_queue_depth(std::string_view receiver, std::size_t depth);

  /// The whole exposition (text format 0.0.4), families in a fixed order, routes sorted by
  /// name. Reads the metric objects directly: no Registry::Collect().
  [[nodiscard]] std::string render() const;
  /// Same, appended to `out` (reuse one buffer across scrapes).
  void render(std::string& out) const;

  /// Where an incremental render stands. Holds no pointer into the metrics: a route removed
  /// between two pieces is skipped, one added may or may not appear in this exposition.
  struct render_cursor {
    std::size_t stage = 0;             ///< the family being written (family table order)
    std::optional<std::string> after;  ///< last route written in the current family
    bool header = false;               ///< the current family's HELP and TYPE are written
  };
  /// Appends the next piece of the exposition to `out`: whole lines, at least `budget` bytes
  /// unless the exposition ends first (a route's samples of one family are never split).
  /// Returns false once the exposition is complete. Pieces written in turn, with probes
  /// recorded in between, form a valid exposition: what a streamed /metrics response sends
  /// so that 10,000 routes (80 MB of text) never sit in memory at once.
  bool render_piece(render_cursor& cursor, std::string& out, std::size_t budget) const;

  /// The same samples in prometheus-cpp's data model (for its serializers and push/pull
  /// integrations); slower than render(), which does not go through it.
  [[nodiscard]] std::vector<prometheus::MetricFamily> collect() const;

 private:
  using route_series = metrics_detail::route_series;
  using receiver_series = metrics_detail::receiver_series;
  struct slot {
    std::uint32_t generation = 1;
    std::unique_ptr<route_series> series;
  };

  [[nodiscard]] route_series* resolve(route_handle h) const noexcept;
  /// The live slots in route name order, rebuilt after routes were added or removed: a render
  /// walks a vector, not the tree (40 families x 10,000 routes).
  [[nodiscard]] const std::vector<std::uint32_t>& render_order() const;
  receiver_series* find_or_add_receiver(std::string_view receiver);

  std::map<std::string, std::string> external_;
  std::string constant_;  ///< pre-rendered external labels, `a="x",b="y"`
  /// Build info, in flight, scheduler lag, reloads, receivers.
  std::unique_ptr<metrics_detail::instance_series> instance_;

  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::map<std::string, std::uint32_t, std::less<>> by_name_;  ///< render order
  mutable std::vector<std::uint32_t> order_;  ///< by_name_'s slots, see render_order()
  mutable bool order_stale_ = true;
  /// The alert rules' labels, shared by the routes' alerts_firing series.
  std::map<std::string, metrics_detail::rule_label, std::less<>> rule_labels_;
  mutable std::size_t last_render_size_ = 0;
};

}  // namespace visionwatch
