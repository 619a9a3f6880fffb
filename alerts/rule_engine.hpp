#pragma once
/// The alert rules of one route as pure state machines. The owner feeds every probe result of
/// the route with the route's window figures and the current time; the engine returns what to
/// announce. No clock, no I/O, no silences lookup (the caller passes `silenced`): tests drive it
/// with any timeline. State round-trips through JSON and survives a config reload for every
/// rule whose configuration did not change. Not thread-safe: one owner.

#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alerts/alert_config.hpp"
#include "alerts/notification.hpp"
#include "probes/probe_result.hpp"
#include "probes/window_figures.hpp"

namespace visionwatch {

/// Who the route is, as shown in notifications.
struct route_identity {
  std::string route;
  std::string model;
  std::string gateway;
  std::string status_url;  ///< link to this route on the status page; may be empty
  /// The instance's global.external_labels without its replica labels (global_config::
  /// alert_labels): part of every alert's fingerprint, the same on both replicas of an HA pair.
  std::map<std::string, std::string> external_labels;
};

enum class alert_state : std::uint8_t {
  inactive,  ///< not firing (possibly counting bad evaluations)
  firing,    ///< failure_threshold bad evaluations in a row were seen
  resolved,  ///< resolved at the last evaluation; becomes inactive at the next one
};
std::string_view to_string(alert_state s) noexcept;

/// One rule's state: visible for the status page and /api, and what is persisted.
struct rule_status {
  alert_rule_kind kind = alert_rule_kind::silent_failure;
  alert_state state = alert_state::inactive;
  int bad_streak = 0;   ///< consecutive bad evaluations
  int good_streak = 0;  ///< consecutive good evaluations while firing
  /// silent_failure: each shape's consecutive silent failures, by probe_shape (a route probes
  /// its shapes in rotation, so one broken shape alternates with working ones); bad_streak is
  /// the longest of them.
  std::array<int, probe_shape_count> shape_streaks{};
  wall_time starts_at{};
  std::optional<wall_time> ends_at;
  wall_time last_notified_at{};
  bool notified = false;  ///< the firing was announced (false while silenced)
  std::string fingerprint;
  double value = 0;  ///< the latest measured figure
  std::string reason;
};

/// One thing to announce. `suppressed`: a silence holds it back (state changed all the same);
/// the caller logs it but does not queue it.
struct alert_event {
  notification note;
  bool suppressed = false;
};

class rule_engine {
 public:
  rule_engine(route_identity identity, alert_rules_config rules);
  /// Shares `rules` (many routes with the same rules share one copy: alert_router interns them).
  rule_engine(route_identity identity, std::shared_ptr<const alert_rules_config> rules);

  /// One probe of this route. Control probes (text-only baseline requests) are ignored.
  std::vector<alert_event> evaluate(const probe_result& result,
                                    const window_figures& figures,
                                    wall_time now,
                                    bool silenced);

  /// Applies a reloaded configuration. Rules whose evaluation is unchanged keep their state
  /// (description, severity and receivers are presentation: editing them keeps the incident
  /// open; receivers dropped from a firing rule get its resolve, added ones its firing);
  /// changed, disabled or removed rules start over, and if they were firing (and announced) a
  /// resolved event says so.
  std::vector<alert_event> reconfigure(route_identity identity,
                                       alert_rules_config rules,
                                       wall_time now);
  std::vector<alert_event> reconfigure(route_identity identity,
                                       std::shared_ptr<const alert_rules_config> rules,
                                       wall_time now);

  /// The route's probe shapes now (a reload may drop some): silent_failure forgets the streaks
  /// of shapes no longer probed, which could otherwise never end.
  void keep_shapes(std::span<const probe_shape> shapes);

  /// Firing rules that were announced, as notifications (kind firing): for Alertmanager
  /// re-sends and the status page.
  [[nodiscard]] std::vector<notification> firing_notifications() const;

  [[nodiscard]] std::vector<rule_status> statuses() const;
  /// Calls `f(const rule_status&)` for each rule in configuration order, copying nothing (the
  /// status page reads every route's rules on each request).
  template <typename F>
  void for_each_status(F&& f) const {
    for (const auto& s : slots_) {
      f(s.status);
    }
  }
  [[nodiscard]] const route_identity& identity() const noexcept { return identity_; }
  [[nodiscard]] const alert_rules_config& rules() const noexcept { return *rules_; }
  /// The shared rules themselves (two engines given equal interned rules hold the same object).
  [[nodiscard]] const std::shared_ptr<const alert_rules_config>& shared_rules() const noexcept {
    return rules_;
  }
  [[nodiscard]] const std::optional<probe_snapshot>& last_failure() const noexcept {
    return last_failure_;
  }

  /// The state worth saving: rules at rest (inactive, no bad streak, never announced) are left
  /// out, since restore() starts them that way, so a healthy fleet of 10,000 routes saves
  /// almost nothing.
  [[nodiscard]] nlohmann::json to_json() const;
  /// Every rule at rest and no failure remembered: to_json() would carry nothing.
  [[nodiscard]] bool at_rest() const noexcept;
  static bool is_at_rest(const rule_status& st) noexcept;
  /// Restores state saved by to_json() for the rules configured now (matched by kind; others
  /// are ignored). On a malformed document the engine keeps a clean state and the error is
  /// returned (empty string on success).
  std::string restore(const nlohmann::json& state);

  /// The engine as it was when `state` (from to_json()) was saved: its identity and the
  /// configuration of every saved rule, with their state. Feeding it today's configuration
  /// through reconfigure() (or an empty one for a route that left the config) then does at
  /// start-up exactly what a reload does. A file from before rule configs were saved falls back
  /// to `current`'s configuration (or the defaults). Error text instead of the engine when the
  /// document is malformed.
  static std::pair<std::optional<rule_engine>, std::string> from_saved(
      const nlohmann::json& state, const rule_engine* current);

 private:
  struct slot {
    const alert_rule_config* config;  ///< points into *rules_ (shared, never copied per route)
    rule_status status;
  };

  std::vector<alert_event> evaluate_slot(slot& s,
                                         const probe_result& result,
                                         const window_figures& figures,
                                         wall_time now,
                                         bool silenced);
  [[nodiscard]] notification make_note(const slot& s, notification_kind kind) const;
  static std::vector<slot> make_slots(const alert_rules_config& rules);
  /// Resolve for receivers dropped from a firing rule, firing for added ones.
  void receivers_changed(const slot& old, const slot& now_slot, wall_time now,
                         std::vector<alert_event>& events) const;

  route_identity identity_;
  std::shared_ptr<const alert_rules_config> rules_;
  std::vector<slot> slots_;
  std::optional<probe_snapshot> last_failure_;
};

/// Renders a description template: {route} {model} {gateway} {rule} {reason} {value}
/// {threshold} {severity}; unknown placeholders are kept verbatim.
std::string render_template(std::string_view tmpl, const notification& note);

}  // namespace visionwatch
