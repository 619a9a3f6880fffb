#pragma once
/// Receivers as pure functions: a notification becomes the HTTP request of one receiver kind
/// (generic webhook, Slack incoming webhook, PagerDuty Events API v2, Alertmanager API v2), and
/// a response becomes a delivery verdict. No I/O; `now` and the message id are passed in so
/// retries of one message keep their id and tests see fixed bytes. Thread-safe.

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert_config.hpp"
#include "alerts/notification.hpp"
#include "probes/http_types.hpp"
#include "probes/redactor.hpp"

namespace visionwatch {

inline constexpr std::string_view pagerduty_default_url = "https://events.pagerduty.com/v2/enqueue";
/// PagerDuty rejects summaries longer than this.
inline constexpr std::size_t pagerduty_summary_limit = 1024;

/// What every receiver shares: the instance's external labels (without replica labels) and its
/// public link base.
struct receiver_context {
  std::map<std::string, std::string> external_labels;
  std::string public_url;  ///< fallback link when a notification has no status_url
};

/// Empty when the receiver can be used; otherwise why not (never quoting the secret or URL).
std::string check_receiver(const receiver_config& receiver);

/// The request for `note` (receiver.url or the PagerDuty default; receiver.timeout set).
/// Throws std::invalid_argument for a receiver that check_receiver() refuses.
http_request format_request(const receiver_config& receiver,
                            const notification& note,
                            const receiver_context& context,
                            std::string_view message_id,
                            wall_time now);

/// One Alertmanager request for several notifications: the JSON array Prometheus sends, one
/// alert per notification. Throws std::invalid_argument like format_request().
http_request format_alertmanager_batch(const receiver_config& receiver,
                                       const std::vector<notification>& notes,
                                       const receiver_context& context,
                                       wall_time now);

/// The generic webhook body (documented field by field in docs/alerting.md).
nlohmann::json webhook_body(const notification& note,
                            const receiver_context& context,
                            std::string_view message_id,
                            wall_time now);
nlohmann::json slack_body(const notification& note, const receiver_context& context);
nlohmann::json pagerduty_body(const notification& note,
                              const receiver_context& context,
                              std::string_view routing_key);
/// An array with one alert; endsAt = now + 4 × resend_interval while firing, now on resolve.
nlohmann::json alertmanager_body(const notification& note,
                                 const receiver_context& context,
                                 std::chrono::seconds resend_interval,
                                 wall_time now);

/// critical | error | warning | info; "warn" → warning, anything unknown → error.
std::string_view pagerduty_severity(std::string_view severity) noexcept;

enum class delivery_status : std::uint8_t {
  delivered,  ///< 2xx
  retry,      ///< transport error, 408, 429, 5xx: try again later
  permanent,  ///< any other status: retrying cannot help (bad key, bad payload, wrong URL)
};
std::string_view to_string(delivery_status s) noexcept;

struct delivery_verdict {
  delivery_status status = delivery_status::delivered;
  std::optional<std::chrono::seconds> retry_after;  ///< from the Retry-After header
  std::string reason;  ///< for logs: "HTTP 400: {\"status\":\"invalid event\"...}"
};

delivery_verdict classify_response(const http_result& result, wall_time now);

/// Masks the receiver's secrets (signing secret or routing key, the URL and its tokens) and
/// common key shapes in texts the receiver sent back, before they reach logs and the API.
redactor receiver_redactor(const receiver_config& receiver);

}  // namespace visionwatch
