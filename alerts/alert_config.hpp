#pragma once
/// Alerting configuration as loaded from YAML (daemon/config/config.cpp fills these).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace visionwatch {

enum class alert_rule_kind : std::uint8_t {
  silent_failure,  ///< N consecutive silent failures
  route_down,      ///< N consecutive failures of any kind
  success_ratio,   ///< success ratio over the window below a threshold
  latency,         ///< windowed p90 latency (or time to first token) above a threshold
  cost,            ///< windowed cost per success above a threshold
};

/// What the `latency` rule measures (`metric:`).
enum class latency_metric : std::uint8_t {
  total,        ///< the whole request (default)
  first_token,  ///< time to first token of streamed probes
};

struct alert_rule_config {
  alert_rule_kind kind = alert_rule_kind::silent_failure;
  bool enabled = true;
  int failure_threshold = 2;  ///< consecutive bad evaluations to fire
  int success_threshold = 2;  ///< consecutive good evaluations to resolve (hysteresis)
  double threshold = 0;       ///< ratio (success_ratio), seconds (latency) or USD (cost)
  std::string severity = "critical";
  std::string description;  ///< template: {route} {model} {gateway} {rule} {reason} {value}
  std::vector<std::string> receivers;  ///< empty: every receiver
  /// Windowed rules (success_ratio, latency, cost) are not evaluated while the window holds
  /// fewer probes than this: one early failure must not read as a 0 % success ratio.
  int min_samples = 10;
  /// The `latency` rule's figure: total latency or time to first token.
  latency_metric metric = latency_metric::total;

  bool operator==(const alert_rule_config&) const = default;
};

/// The documented defaults for one rule kind (thresholds, hysteresis, severity).
alert_rule_config default_rule_config(alert_rule_kind kind);

/// A rule kind's documented defaults (default_rule_config fills them in).
struct alert_rule_defaults {
  int failure_threshold = 2;
  int success_threshold = 2;
  double threshold = 0;  ///< ratio (success_ratio), seconds (latency) or USD (cost)
  std::string_view severity = "critical";
};

/// Everything fixed about one rule kind, in one row of a table indexed by the kind: its name in
/// the config, its one-line summary (config docs), its default alert text and its defaults.
struct alert_rule_traits {
  std::string_view name;
  std::string_view summary;
  std::string_view default_template;  ///< {route} {model} {gateway} {rule} {reason} {value}
  alert_rule_defaults defaults;
};

/// The row of `kind`; null for a value outside the enum (a cast, never a parsed name).
const alert_rule_traits* traits_of(alert_rule_kind kind) noexcept;

struct alert_rules_config {
  std::vector<alert_rule_config> rules;  ///< one per kind at most
  std::chrono::seconds repeat_interval{4 * 3600};
};

enum class receiver_kind : std::uint8_t { webhook, slack, pagerduty, alertmanager };

struct receiver_config {
  std::string name;
  receiver_kind kind = receiver_kind::webhook;
  std::string url;     ///< may be secret (Slack): never logged
  std::string secret;  ///< webhook signing secret (whsec_...) or PagerDuty routing key
  std::chrono::milliseconds timeout{10'000};
  int max_attempts = 12;
  std::chrono::seconds max_age{24 * 3600};
  std::size_t queue_size = 1000;
  std::chrono::seconds resend_interval{60};  ///< alertmanager re-send while firing
  /// Retry backoff: min_backoff * 2^(attempt-1), jittered, capped at max_backoff.
  std::chrono::milliseconds min_backoff{1'000};
  std::chrono::milliseconds max_backoff{300'000};
  std::string ca_file;
  bool insecure_skip_verify = false;
};

struct silence_config {
  // Silences from the config file; silence_store (alerts/silence_store.hpp) also takes API ones.
  std::string route;  ///< route name (exact)
  std::chrono::system_clock::time_point until;
  std::string comment;
};

std::string_view to_string(alert_rule_kind k) noexcept;
std::optional<alert_rule_kind> alert_rule_kind_from_string(std::string_view s) noexcept;
std::string_view to_string(receiver_kind k) noexcept;
std::optional<receiver_kind> receiver_kind_from_string(std::string_view s) noexcept;

}  // namespace visionwatch
