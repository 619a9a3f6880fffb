#pragma once
/// Shared fixtures of the alerts tests: the fixed wall-clock start, a plain route identity and
/// a fully filled firing notification (every field set, a last failure with usage and the
/// largest seed).

#include <string>
#include <utility>

#include "alerts/notification.hpp"
#include "alerts/rule_engine.hpp"

namespace visionwatch::test {

using namespace std::chrono_literals;

inline const wall_time t0 = from_epoch_ms(1'800'000'000'000);  // 2027-01-15T08:00:00.000Z

/// A route of model "m" on gateway "g", without a status link or external labels.
inline route_identity route_id(std::string route) { return {std::move(route), "m", "g", "", {}}; }

inline notification firing_note() {
  notification n;
  n.kind = notification_kind::firing;
  n.route = "vision-a";
  n.model = "gpt-4o-mini";
  n.gateway = "openrouter";
  n.rule = alert_rule_kind::silent_failure;
  n.severity = "critical";
  n.summary = "vision-a answers but does not see the image";
  n.reason = "2 consecutive silent failures, last: no_image_claim: says no image";
  n.value = 2;
  n.threshold = 2;
  probe_snapshot p;
  p.result = outcome::no_image_claim;
  p.reason = "says no image";
  p.http_status = 200;
  p.reply_excerpt = "Please upload an image for analysis. No image provided.";
  p.latency_seconds = 4.402;
  p.tokens.prompt_tokens = 27;
  p.tokens.completion_tokens = 12;
  p.seed = 18446744073709551615ull;
  p.sequence = 7;
  p.started_at = t0 - 5s;
  n.last_failure = p;
  n.starts_at = t0;
  n.status_url = "https://watch.example/routes/vision-a";
  n.fingerprint = make_fingerprint(n.route, n.rule);
  return n;
}

}  // namespace visionwatch::test
