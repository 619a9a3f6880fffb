#pragma once
/// The alerting entry point for the daemon: one rule_engine per route, the silence store, and
/// the routing of announced events to receivers (a rule's `receivers`, or all of them). It also
/// re-sends firing alerts to Alertmanager receivers every resend_interval, since Alertmanager
/// resolves alerts that stop arriving. Pure: `now` is passed in and delivery goes through the
/// `deliver` callback (the daemon hands it to the receiver's notifier). Not thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alerts/alert_config.hpp"
#include "alerts/rule_engine.hpp"
#include "alerts/silence_store.hpp"

namespace visionwatch {

class alert_router {
 public:
  /// Called once per (receiver, notification) to deliver.
  using deliver_function =
      std::function<void(const std::string& receiver, const notification& note)>;

  alert_router(std::vector<receiver_config> receivers, deliver_function deliver);

  /// Adds a route or applies its reloaded rules (unchanged rules keep their state). Returns the
  /// events it caused (resolves of changed rules), already delivered.
  std::vector<alert_event> set_route(route_identity identity,
                                     alert_rules_config rules,
                                     wall_time now);
  /// The route's probe shapes (rule_engine::keep_shapes); unknown routes are ignored.
  void set_route_shapes(std::string_view route, std::span<const probe_shape> shapes);
  /// Forgets a route that left the config; announced alerts of it are resolved.
  std::vector<alert_event> remove_route(std::string_view route, wall_time now);
  /// Routes whose names are not in `keep` are removed (see remove_route).
  std::vector<alert_event> retain_routes(const std::vector<std::string>& keep, wall_time now);
  void set_receivers(std::vector<receiver_config> receivers);

  /// Re-sends the firing alerts of every route that is not silenced to Alertmanager receivers
  /// whose resend_interval has passed. on_probe does this for its route; this covers routes
  /// probed less often than that (Alertmanager lets an alert expire at its endsAt, 4 ×
  /// resend_interval after the last send). The daemon calls it every few seconds.
  void refresh_alertmanager(wall_time now);
  /// Evaluates one probe (unknown routes are ignored), delivers what is not silenced and
  /// returns every event (suppressed ones included, for the log).
  std::vector<alert_event> on_probe(const probe_result& result,
                                    const window_figures& figures,
                                    wall_time now);

  silence_store& silences() noexcept { return silences_; }
  [[nodiscard]] const silence_store& silences() const noexcept { return silences_; }
  [[nodiscard]] const rule_engine* route(std::string_view name) const;
  [[nodiscard]] const std::map<std::string, rule_engine, std::less<>>& routes() const noexcept {
    return engines_;
  }

  /// Events held back by a silence since start.
  [[nodiscard]] std::uint64_t suppressed_total() const noexcept { return suppressed_; }

  /// {"routes": {name: rule state}, "silences": ...}
  [[nodiscard]] nlohmann::json to_json() const;
  /// Restores what to_json() saved (a start-up), then reconciles it with the routes set up now
  /// exactly as a reload would: a saved firing of a route or rule that left the config, or whose
  /// rule changed, is resolved and delivered to the receivers that had it. Each problem is
  /// returned as one string (that route or the silences start clean), nothing throws. The
  /// events caused (already delivered) are appended to `events` when given.
  std::vector<std::string> restore(const nlohmann::json& state,
                                   wall_time now,
                                   std::vector<alert_event>* events = nullptr);

 private:
  void dispatch(const std::vector<alert_event>& events, wall_time now);
  /// One shared copy per distinct rule configuration: 10,000 routes with the same rules hold
  /// one copy instead of one each (2.8 KB a route when the engine and its slots copied them).
  std::shared_ptr<const alert_rules_config> intern(alert_rules_config rules);
  void refresh_alertmanager(const rule_engine& engine, wall_time now);
  [[nodiscard]] bool targets(const receiver_config& r, const notification& note) const;

  std::vector<receiver_config> receivers_;
  deliver_function deliver_;
  std::map<std::string, rule_engine, std::less<>> engines_;
  silence_store silences_;
  /// (receiver, fingerprint) → last send to that Alertmanager; not persisted (a restart re-sends).
  std::map<std::pair<std::string, std::string>, wall_time> alertmanager_sent_;
  std::uint64_t suppressed_ = 0;
  /// intern()'s table, by a hash of the configuration; entries no engine uses are dropped as
  /// the table grows.
  std::unordered_multimap<std::size_t, std::shared_ptr<const alert_rules_config>> rule_sets_;
};

}  // namespace visionwatch
