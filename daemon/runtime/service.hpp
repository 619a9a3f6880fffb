#pragma once
/// The long-running daemon: owns the configuration, the scheduler, every route's state, the
/// metrics, the admin server and the probe coroutines, all on one io_context thread. Used by
/// `visionwatch run` and `visionwatch demo`.
///
/// Lifecycle: start() (listen, READY=1; the state file is read by the first handler the
/// io_context runs) → probes run on schedule → SIGHUP or POST /-/reload apply
/// a new configuration as a transaction (prepare everything, then swap; any failure leaves the
/// old one running, unchanged) → SIGTERM or SIGINT stop scheduling and refuse reloads, let
/// in-flight probes finish within the grace period (probes cut off after it are not recorded),
/// save state, and make run() return 0.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/admin/admin_router.hpp"
#include "daemon/config/config.hpp"
#include "daemon/runtime/budget.hpp"
#include "daemon/runtime/probe_runner.hpp"
#include "daemon/runtime/route_state.hpp"
#include "daemon/runtime/schedule.hpp"
#include "exporters/metrics.hpp"
#include "exporters/status.hpp"
#include "probes/net.hpp"
#include "probes/probe_result.hpp"

namespace visionwatch {

class admin_server;
class alerting;

struct service_options {
  std::string config_path;            ///< re-read on reload (empty: reload unavailable)
  std::optional<std::string> listen;  ///< overrides global.listen
  std::optional<shard_spec> shard;    ///< `--shard`: overrides global.shard, at start and reload
  bool handle_signals = true;         ///< SIGHUP reload, SIGTERM/SIGINT stop
  /// admin_server_options::gzip_loopback (tests: gzip over loopback).
  bool gzip_loopback = false;
  /// Called after every probe result (tests and the demo use it; the daemon logs and exports).
  std::function<void(const probe_result&)> on_result;
  /// Tests: called with 0, 1, 2, ... before each step of preparing a configuration (start and
  /// reload); throwing fails that step, so a sweep can fail every step in turn.
  std::function<void(std::size_t step)> prepare_step;
};

class service {
 public:
  /// `cfg` must be valid (load_config without errors).
  service(net::io_context& io, config cfg, service_options options);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// Builds clients and routes, starts the admin server and the scheduler. Throws
  /// std::runtime_error for start-up failures (port in use, unreadable CA or image file).
  void start();
  /// Orderly stop (also what SIGTERM does). Safe to call more than once.
  void request_stop();
  /// Re-reads options.config_path; returns the errors (empty: applied). Refused while stopping.
  std::vector<std::string> reload();
  /// Applies an already loaded configuration (tests); returns errors (empty: applied).
  std::vector<std::string> apply(config cfg);
  [[nodiscard]] bool stopping() const noexcept { return stopping_; }
  /// Gateways whose max_concurrency cannot serve their routes' demand (logged at start and
  /// reload, shown on the status page).
  [[nodiscard]] std::vector<gateway_warning> gateway_warnings() const;

  /// Exit code once io_context::run() returned: 0 after an orderly stop.
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }
  [[nodiscard]] unsigned short admin_port() const;
  [[nodiscard]] std::string admin_url() const;
  [[nodiscard]] const metrics& metrics_registry() const noexcept { return *metrics_; }
  /// Records `r` as a finished image probe of `route` (its name is set) along the path a
  /// scheduled probe takes: route state, metrics, alerts, budget, retry mode. Benchmarks and
  /// tests fill a fleet's history with it. False for a route this instance does not have.
  bool record_result(std::string_view route, probe_result r);

 private:
  struct gateway_entry;
  struct route_entry;

  struct resources;

  /// Reads the state file into the running service (alert state, pending notifications,
  /// baselines, today's spend): the first handler after start().
  void restore_state();
  void build_admin();
  /// The admin HTTP API, one table of (method, pattern, handler): admin_api.cpp.
  std::vector<admin_endpoint> admin_api();
  /// Everything a configuration needs before it may replace the running one (clients, images,
  /// metric labels, the gateway table, new route entries), built without touching the running
  /// service; any error leaves the service as it was (service_reload.cpp).
  resources prepare(const config& cfg);
  /// The one path from a prepared configuration to gateways and routes, at start and on reload:
  /// gateways keep their scheduler index, routes of the same name keep history, windows and
  /// baseline, new ones are scheduled, removed ones go. Cannot fail. Returns (added, removed).
  std::pair<std::size_t, std::size_t> install(std::shared_ptr<const config> cfg,
                                              resources res) noexcept;
  void reload_failed(const std::vector<std::string>& errors);
  /// Pauses or resumes each gateway's probes from the budget ledger and exports its spend.
  void apply_budget() noexcept;
  void warn_capacity() const;
  void wake();
  net::awaitable<void> schedule_loop();
  net::awaitable<void> signal_loop();
  net::awaitable<void> shutdown();
  void start_job(const scheduler_core::job& job, scheduler_core::time_point now);
  /// A probe (or control request) of `shape` for the route, with the baseline of its form.
  probe_job make_job(route_entry& r, probe_shape shape) const;
  net::awaitable<void> probe_task(scheduler_core::route_id id, bool baseline, probe_job job);
  /// A scheduled probe's end: records it (unless shutdown cut it off) and frees its slot.
  void finish_probe(scheduler_core::route_id id, const std::string& route, probe_result r);
  /// Records a result; a failed probe of a route with several shapes gets its shape named in
  /// its reason first (shape_reason). Returns the result as recorded.
  probe_result on_result(scheduler_core::route_id id, probe_result r);
  net::awaitable<admin_response> probe_now(admin_request req);
  // What /api/v1/routes and the status page show (status_pages.cpp): the instance's figures
  // without routes; each route's key (cheap: built for every route a query filters) and view
  // (built only for the routes a page shows).
  [[nodiscard]] status_view status_header() const;
  /// `alerts`: alerting::levels(), read once per request.
  [[nodiscard]] route_key key_of(
      const route_entry& e,
      std::chrono::system_clock::time_point now,
      const std::unordered_map<std::string_view, alert_level>& alerts) const;
  [[nodiscard]] route_view view_of(const route_entry& e,
                                   std::chrono::system_clock::time_point now) const;
  /// One page of `q`: one pass over every route's key, then views of the page's routes.
  [[nodiscard]] status_view status_page(const route_query& q) const;
  [[nodiscard]] std::optional<route_view> route_view_of(std::string_view name) const;
  void task_done();
  void save_state();
  net::awaitable<void> upkeep_loop();
  /// Puts a route that was not scheduled before on the schedule: its phase slot, and its first
  /// baseline request shortly before its first probe.
  void schedule_new_route(scheduler_core::route_id id,
                          std::size_t gateway,
                          const route_config& r,
                          scheduler_core::time_point now,
                          std::int64_t unix_ms);

  net::io_context& io_;
  service_options options_;
  std::shared_ptr<const config> cfg_;
  std::unique_ptr<metrics> metrics_;
  scheduler_core core_;
  budget_ledger budget_;
  std::map<std::string, std::unique_ptr<gateway_entry>> gateways_;
  std::map<scheduler_core::route_id, std::unique_ptr<route_entry>> routes_;
  std::map<std::string, scheduler_core::route_id, std::less<>> by_name_;
  scheduler_core::route_id next_route_id_ = 1;
  std::shared_ptr<media_store> media_;
  std::unique_ptr<admin_server> admin_;
  std::unique_ptr<alerting> alerting_;
  net::steady_timer wake_timer_;
  net::steady_timer drain_timer_;
  std::map<std::uint64_t, std::shared_ptr<net::cancellation_signal>> tasks_;
  std::uint64_t next_task_ = 1;
  std::uint64_t nonce_ = 0;
  std::chrono::system_clock::time_point started_at_;
  bool started_ = false;
  bool state_restored_ = false;  ///< restore_state() ran: save_state() may write
  bool stopping_ = false;
  bool last_reload_ok_ = true;
  /// Set when shutdown cancels the probes still running: their results are not results.
  bool probes_cancelled_ = false;
  bool save_failed_ = false;  ///< the last state save failed: retried at save_retry_at_
  unsigned save_failures_ = 0;
  scheduler_core::time_point save_retry_at_{};
  bool state_dirty_ = false;        ///< alert state changed since the last save
  bool baselines_dirty_ = false;    ///< a usage baseline changed since the last save
  bool budget_dirty_ = false;       ///< today's spend changed since the last save
  std::size_t queued_at_save_ = 0;  ///< notifications queued when the state was last saved
  scheduler_core::time_point last_save_{};
  int exit_code_ = 0;
  std::vector<std::shared_ptr<net::cancellation_signal>> loops_;
};

}  // namespace visionwatch
