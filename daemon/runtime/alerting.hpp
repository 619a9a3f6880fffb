#pragma once
/// Wires alerts/ into the daemon: the alert router (rules and silences per route), one notifier
/// and http client per receiver, the silences API, and persistence of everything that must
/// survive a restart (alert state, pending notifications, usage baselines) in the state
/// directory. One io_context thread.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "alerts/alert_router.hpp"
#include "alerts/notifier.hpp"
#include "alerts/state_store.hpp"
#include "daemon/config/config.hpp"
#include "daemon/runtime/probe_shapes.hpp"
#include "daemon/runtime/saved_baselines.hpp"
#include "exporters/metrics.hpp"
#include "exporters/status.hpp"
#include "probes/net.hpp"

namespace visionwatch {

/// Where the state file lives: global.state_dir, else $STATE_DIRECTORY (systemd), else ./state.
std::filesystem::path resolve_state_dir(const global_config& global);

class alerting {
 public:
  /// Throws std::invalid_argument for a receiver the notifier refuses (start-up error).
  alerting(net::any_io_executor executor, metrics& m, const config& cfg);
  ~alerting();

  /// Reads the state file (a corrupt one is set aside and logged), restores pending
  /// notifications and alert state, reconciles the state with the current config as a reload
  /// would (a saved firing of a route or rule no longer configured is resolved), and starts the
  /// notifiers. Queues of receivers no longer configured are dropped, counted and logged.
  /// Returns the persisted usage baselines of every route and request form.
  saved_baselines start();

  /// A reloaded configuration (already validated). Resolves it causes (a route or rule gone)
  /// go to the receivers that had the firing, even ones this reload removes; removed receivers
  /// deliver what they hold within a drain window, and what is left is dropped and counted.
  void apply(const config& cfg);
  /// Evaluates one probe; notifications go to the receivers' queues.
  /// True when an alert changed state (the caller saves the state file).
  bool on_probe(const probe_result& r, const window_figures& f);
  /// Re-sends firing alerts to Alertmanager receivers that are due, whether or not their
  /// routes were probed lately (the service calls it every few seconds).
  void refresh_alertmanager();
  /// Rule states of a route for the status page and /api/v1/routes.
  [[nodiscard]] std::vector<alert_view> views(std::string_view route) const;
  /// The alert level of every route whose alerts are not at rest (firing, pending or
  /// silenced; the others are inactive), by name, without building views: what the status page
  /// filters every route on. The names point into the rules, valid until the next apply().
  [[nodiscard]] std::unordered_map<std::string_view, alert_level> levels() const;

  /// Copies delivery counters and queue depths into the metrics (before each scrape).
  void sync_metrics();

  // Silences API.
  [[nodiscard]] nlohmann::json silences_json() const;
  /// {"route": ..., "duration": "2h" | "until": RFC 3339, "comment": ...}; error text or the
  /// created silence.
  std::pair<std::optional<nlohmann::json>, std::string> add_silence(const nlohmann::json& body);
  bool remove_silence(std::string_view id);

  /// Notifications waiting in the receivers' queues (their progress is worth saving).
  [[nodiscard]] std::size_t queued() const;
  /// Writes the state file; `baselines` from the route states. Errors are logged, not thrown;
  /// false when the file could not be written.
  bool save(const saved_baselines& baselines);

  /// A section of the state file kept for the service besides alert state (e.g. "budget"):
  /// as read by start() (null when absent), and set before a save() writes it.
  [[nodiscard]] nlohmann::json saved_section(std::string_view name) const {
    return store_.section(name);
  }
  void set_section(std::string name, const nlohmann::json& value) {
    store_.set_section(std::move(name), value);
  }

  /// Stops the notifiers (a request in progress may finish within `grace`).
  net::awaitable<void> stop(std::chrono::milliseconds grace);

 private:
  struct receiver_entry;
  void add_receiver(const receiver_config& r);
  /// Runs the receiver's notifier until stop(); `running_` counts the ones not finished yet.
  void spawn_receiver(receiver_entry& e);
  [[nodiscard]] route_identity identity(const route_config& r) const;
  void log_events(const std::vector<alert_event>& events);
  /// Pending notifications saved for receivers no longer configured: counted dropped, logged.
  void drop_orphaned_queues(const nlohmann::json& queues);

  net::any_io_executor executor_;
  metrics& metrics_;
  const config* cfg_;
  receiver_context context_;
  std::unique_ptr<alert_router> router_;
  std::map<std::string, std::unique_ptr<receiver_entry>, std::less<>> receivers_;
  state_store store_;
  /// Removed by a reload: draining their queues (apply() retires them), pruned by
  /// sync_metrics() once their loop ended.
  std::vector<std::unique_ptr<receiver_entry>> retired_;
  int running_ = 0;
  /// Routes whose visionwatch_alerts_firing series are up to date (since start or reload).
  std::unordered_set<std::string> alert_series_synced_;
};

}  // namespace visionwatch
