#pragma once
/// The Prometheus metrics of one visionwatch instance: every family is registered once in the
/// constructor; each route's series are created by add_route() and reached through a
/// route_handle (no name or label lookups per probe); remove_route() deletes every series of the
/// route, so /metrics never shows a route the configuration no longer has.
///
/// Thread safety: none beyond what prometheus-cpp gives its metric objects. One thread (the
/// io_context's) makes every call, render() included (STYLE.md, practice 7).
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
#include <vector>

#include "probes/outcome.hpp"
#include "probes/probe_result.hpp"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace visionwatch {

/// The constant labels of one route's series.
struct route_labels {
  std::string route;  ///< unique, non-empty
  std::string model;
  std::string gateway;
  std::string api;  ///< api flavour spelling, e.g. "openai-chat"
  bool operator==(const route_labels&) const = default;
};

/// Figures over a route's window of the last N probes, computed by the caller (route state)
/// from its sample_windows. An unset figure removes its series: unknown is absent, not 0.
struct window_figures {
  std::optional<double> latency_p50;  ///< seconds
  std::optional<double> latency_p90;
  std::optional<double> latency_p99;
  std::optional<double> latency_max;
  std::optional<double> cost_per_success_usd;
  std::optional<double> success_ratio;  ///< 0..1
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
  /// `external_labels` are added to every series (e.g. region, shard). Throws
  /// std::invalid_argument when a name is not a valid Prometheus label name, is one of ours
  /// (route, model, gateway, api, outcome, reason, phase, rule, receiver, result, version,
  /// revision, le, quantile), or when a value is empty or not UTF-8.
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
  std::optional<route_handle> find_route(std::string_view route) const;
  std::size_t route_count() const noexcept { return by_name_.size(); }

  /// One probe's result. A control request (text-only, measures the usage baseline) sets only
  /// the baseline gauge (from its prompt tokens, when it succeeded) and adds its cost to
  /// cost_usd_total: it is not a probe of the route. Returns false for a stale handle.
  bool record(route_handle route, const probe_result& result, const window_figures& window);
  /// The route's learned usage baseline (prompt tokens of the text-only request).
  bool set_baseline(route_handle route, long long prompt_tokens);
  /// The scheduler skipped a due probe (the previous one was still in flight, or a limit hit).
  bool probe_skipped(route_handle route);

  void set_in_flight(std::size_t probes);
  /// How late the scheduler started a probe, in seconds.
  void observe_scheduler_lag(double seconds);
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
  std::string render() const;
  /// Same, appended to `out` (reuse one buffer across scrapes).
  void render(std::string& out) const;

  /// The prometheus-cpp registry holding every family (for TextSerializer cross-checks and
  /// push/pull integrations). Do not add families to it.
  const prometheus::Registry& registry() const noexcept { return *registry_; }

 private:
  struct route_series;
  struct receiver_series;
  struct slot {
    std::uint32_t generation = 1;
    std::unique_ptr<route_series> series;
  };
  template <typename T>
  using family = prometheus::Family<T>;

  route_series* resolve(route_handle h) const noexcept;
  void erase_series(route_series& s);
  receiver_series* find_or_add_receiver(std::string_view receiver);
  void set_or_remove(family<prometheus::Gauge>& f,
                     prometheus::Gauge*& series,
                     const route_series& s,
                     bool with_model,
                     std::optional<double> value);
  void render_routes(std::string& out) const;

  std::unique_ptr<prometheus::Registry> registry_;
  std::string constant_;  ///< pre-rendered external labels, `a="x",b="y"`

  family<prometheus::Gauge>& build_info_;
  family<prometheus::Gauge>& route_info_;
  family<prometheus::Counter>& probes_;
  family<prometheus::Gauge>& success_;
  family<prometheus::Counter>& silent_;
  family<prometheus::Histogram>& duration_;
  family<prometheus::Gauge>& latency_p50_;
  family<prometheus::Gauge>& latency_p90_;
  family<prometheus::Gauge>& latency_p99_;
  family<prometheus::Gauge>& latency_max_;
  family<prometheus::Gauge>& success_ratio_;
  family<prometheus::Gauge>& phase_;
  family<prometheus::Gauge>& prompt_tokens_;
  family<prometheus::Gauge>& completion_tokens_;
  family<prometheus::Gauge>& image_tokens_;
  family<prometheus::Gauge>& baseline_;
  family<prometheus::Counter>& cost_;
  family<prometheus::Gauge>& cost_per_success_;
  family<prometheus::Gauge>& last_probe_;
  family<prometheus::Gauge>& last_success_;
  family<prometheus::Counter>& skipped_;
  family<prometheus::Gauge>& in_flight_;
  family<prometheus::Histogram>& scheduler_lag_;
  family<prometheus::Gauge>& reload_ok_;
  family<prometheus::Gauge>& reload_timestamp_;
  family<prometheus::Gauge>& alerts_firing_;
  family<prometheus::Counter>& notifications_;
  family<prometheus::Gauge>& queue_depth_;

  std::string build_labels_;  ///< `version="..",revision=".."`
  prometheus::Gauge* build_info_series_;
  prometheus::Gauge* in_flight_series_;
  prometheus::Histogram* scheduler_lag_series_;
  prometheus::Gauge* reload_ok_series_;
  prometheus::Gauge* reload_timestamp_series_ = nullptr;  ///< absent until the first success

  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::map<std::string, std::uint32_t, std::less<>> by_name_;  ///< render order
  std::map<std::string, std::unique_ptr<receiver_series>, std::less<>> receivers_;
  mutable std::size_t last_render_size_ = 0;
};

}  // namespace visionwatch
