#pragma once
/// The notification value: everything a receiver needs to describe one alert event, independent
/// of the receiver kind. Produced by rule_engine, queued by delivery_queue, formatted by
/// receivers. Plain data; the JSON helpers here are the persistence form (not the webhook body).

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert_config.hpp"
#include "probes/outcome.hpp"
#include "probes/reply.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch {

using wall_clock = std::chrono::system_clock;
using wall_time = wall_clock::time_point;

/// Version of the webhook body and of the persisted notification form.
inline constexpr std::string_view notification_version = "1";
/// Bytes of the model's reply carried in a notification.
inline constexpr std::size_t notification_excerpt_limit = 200;

enum class alert_status : std::uint8_t { firing, resolved };

enum class notification_kind : std::uint8_t {
  firing,    ///< the rule started firing (or a silence ended before it was ever announced)
  reminder,  ///< still firing, repeat_interval after the last announcement
  resolved,  ///< the rule resolved (success_threshold good evaluations in a row)
  refresh,   ///< Alertmanager re-send of a firing alert (every resend_interval)
};

std::string_view to_string(alert_status s) noexcept;
std::string_view to_string(notification_kind k) noexcept;
std::optional<notification_kind> notification_kind_from_string(std::string_view s) noexcept;

/// The last failing probe of the route, as shown to the person paged.
struct probe_snapshot {
  outcome result = outcome::ok;
  std::string reason;
  unsigned http_status = 0;
  std::string reply_excerpt;  ///< at most notification_excerpt_limit bytes, valid UTF-8
  double latency_seconds = 0;
  usage tokens;
  std::uint64_t seed = 0;  ///< `visionwatch challenge --seed <seed>` redraws the image
  std::uint64_t sequence = 0;
  wall_time started_at{};
};

struct notification {
  notification_kind kind = notification_kind::firing;
  std::string route;
  std::string model;
  std::string gateway;
  alert_rule_kind rule = alert_rule_kind::silent_failure;
  std::string severity;
  std::string summary;  ///< the rule's description template, rendered
  std::string reason;   ///< why it fired (or resolved), one line
  double value = 0;     ///< the measured figure (streak length, ratio, seconds, USD)
  double threshold = 0;
  std::optional<probe_snapshot> last_failure;
  wall_time starts_at{};
  std::optional<wall_time> ends_at;  ///< set on resolved
  std::string status_url;            ///< link to the route on the status page; may be empty
  /// Stable per (route, rule, external labels): the dedup key of every receiver. The same
  /// after a restart, on an HA peer with the same labels, and across incidents of one rule.
  std::string fingerprint;
  std::vector<std::string> receivers;  ///< the rule's receivers; empty: every receiver

  [[nodiscard]] alert_status status() const noexcept {
    return kind == notification_kind::resolved ? alert_status::resolved : alert_status::firing;
  }
};

/// 32 lower-case hex digits of SHA-256 over the identifying labels: route, rule and the
/// instance's external labels. No time and no presentation field (severity, description,
/// receivers) enters it, so an alert keeps its identity across restarts, reloads and HA peers.
std::string make_fingerprint(std::string_view route,
                             alert_rule_kind rule,
                             const std::map<std::string, std::string>& external_labels = {});


/// The longest prefix of `s` of at most `limit` bytes that does not split a UTF-8 sequence;
/// invalid bytes are replaced by '?', so the result is always valid UTF-8.
std::string truncate_utf8(std::string_view s, std::size_t limit);

/// Milliseconds since the epoch: the persistence form of wall_time.
std::int64_t to_epoch_ms(wall_time t) noexcept;
wall_time from_epoch_ms(std::int64_t ms) noexcept;

/// What alerted and why (route, model, gateway, rule, reason, value, threshold) as every JSON
/// form of a notification spells it: the persistence form, the webhook body and PagerDuty's
/// custom_details each add their own members to this object.
nlohmann::json alert_fields(const notification& n);

/// Persistence form. from_json throws nlohmann::json::exception (or std::invalid_argument) on a
/// malformed document; callers treat that as corrupt state.
void to_json(nlohmann::json& j, const notification& n);
void from_json(const nlohmann::json& j, notification& n);
void to_json(nlohmann::json& j, const probe_snapshot& p);
void from_json(const nlohmann::json& j, probe_snapshot& p);

}  // namespace visionwatch
